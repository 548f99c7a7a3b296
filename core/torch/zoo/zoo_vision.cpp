// torchvision's classification models, module for module: the same attribute names, the same
// registration order (state_dict() order and load_state_dict's error order follow it), the same
// shapes. Initialisation is libtorch's default: the weights come from checkpoints.
#include "core/torch/torch_precompiled.h"

#include "core/torch/zoo/zoo.h"

#include <algorithm>
#include <stdexcept>

namespace statelens::zoo {

namespace nn = torch::nn;

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0, bool bias = true,
                int64_t groups = 1)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias).groups(groups));
}

// ---- ResNet (torchvision.models.resnet) ----

struct ResidualBlock : nn::Module {
    virtual at::Tensor forward(const at::Tensor& x) = 0;
};

struct BasicBlock : ResidualBlock {
    static constexpr int64_t expansion = 1;
    BasicBlock(int64_t inplanes, int64_t planes, int64_t stride, nn::Sequential downsample)
    {
        conv1 = register_module("conv1", conv(inplanes, planes, 3, stride, 1, false));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        relu = register_module("relu", nn::ReLU(nn::ReLUOptions(true)));
        conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1, false));
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        if (downsample)
            this->downsample = register_module("downsample", downsample);
    }
    at::Tensor forward(const at::Tensor& x) override
    {
        at::Tensor out = relu->forward(bn1->forward(conv1->forward(x)));
        out = bn2->forward(conv2->forward(out));
        return relu->forward(out + (downsample ? downsample->forward(x) : x));
    }
    nn::Conv2d conv1{nullptr}, conv2{nullptr};
    nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    nn::ReLU relu{nullptr};
    nn::Sequential downsample{nullptr};
};

struct Bottleneck : ResidualBlock {
    static constexpr int64_t expansion = 4;
    Bottleneck(int64_t inplanes, int64_t planes, int64_t stride, nn::Sequential downsample)
    {
        conv1 = register_module("conv1", conv(inplanes, planes, 1, 1, 0, false));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1, false));
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        conv3 = register_module("conv3", conv(planes, planes * expansion, 1, 1, 0, false));
        bn3 = register_module("bn3", nn::BatchNorm2d(planes * expansion));
        relu = register_module("relu", nn::ReLU(nn::ReLUOptions(true)));
        if (downsample)
            this->downsample = register_module("downsample", downsample);
    }
    at::Tensor forward(const at::Tensor& x) override
    {
        at::Tensor out = relu->forward(bn1->forward(conv1->forward(x)));
        out = relu->forward(bn2->forward(conv2->forward(out)));
        out = bn3->forward(conv3->forward(out));
        return relu->forward(out + (downsample ? downsample->forward(x) : x));
    }
    nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    nn::ReLU relu{nullptr};
    nn::Sequential downsample{nullptr};
};

// A stage of blocks, named "0", "1", ... like nn.Sequential, run in order.
struct Stage : nn::Module {
    void add(std::shared_ptr<ResidualBlock> block)
    {
        blocks.push_back(register_module(std::to_string(blocks.size()), block));
    }
    at::Tensor forward(at::Tensor x)
    {
        for (auto& block : blocks)
            x = block->forward(x);
        return x;
    }
    std::vector<std::shared_ptr<ResidualBlock>> blocks;
};

template <typename Block>
struct ResNet : nn::Module {
    ResNet(const std::vector<int64_t>& layers, int64_t numClasses)
    {
        conv1 = register_module("conv1", conv(3, 64, 7, 2, 3, false));
        bn1 = register_module("bn1", nn::BatchNorm2d(64));
        relu = register_module("relu", nn::ReLU(nn::ReLUOptions(true)));
        maxpool = register_module("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
        const int64_t planes[] = {64, 128, 256, 512};
        for (int i = 0; i < 4; ++i)
            stages.push_back(register_module("layer" + std::to_string(i + 1), makeStage(planes[i], layers[size_t(i)], i == 0 ? 1 : 2)));
        avgpool = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));
        fc = register_module("fc", nn::Linear(512 * Block::expansion, numClasses));
    }
    std::shared_ptr<Stage> makeStage(int64_t planes, int64_t blocks, int64_t stride)
    {
        nn::Sequential downsample{nullptr};
        if (stride != 1 || inplanes != planes * Block::expansion) {
            downsample = nn::Sequential(conv(inplanes, planes * Block::expansion, 1, stride, 0, false),
                                        nn::BatchNorm2d(planes * Block::expansion));
        }
        auto stage = std::make_shared<Stage>();
        stage->add(std::make_shared<Block>(inplanes, planes, stride, downsample));
        inplanes = planes * Block::expansion;
        for (int64_t i = 1; i < blocks; ++i)
            stage->add(std::make_shared<Block>(inplanes, planes, 1, nn::Sequential(nullptr)));
        return stage;
    }
    at::Tensor forward(at::Tensor x)
    {
        x = maxpool->forward(relu->forward(bn1->forward(conv1->forward(x))));
        for (auto& stage : stages)
            x = stage->forward(x);
        return fc->forward(torch::flatten(avgpool->forward(x), 1));
    }
    int64_t inplanes = 64;
    nn::Conv2d conv1{nullptr};
    nn::BatchNorm2d bn1{nullptr};
    nn::ReLU relu{nullptr};
    nn::MaxPool2d maxpool{nullptr};
    std::vector<std::shared_ptr<Stage>> stages;
    nn::AdaptiveAvgPool2d avgpool{nullptr};
    nn::Linear fc{nullptr};
};

at::Tensor imageInput()
{
    return torch::zeros({1, 3, 224, 224});
}

template <typename Block>
ZooEntry resnetEntry(const std::string& name, std::vector<int64_t> layers)
{
    return {name, "torchvision " + name + " (options: num_classes=1000); input [1, 3, 224, 224]",
            [name, layers](const Options& options) {
                checkKnownOptions(options, {"num_classes"}, name);
                return makeBuiltModel(std::make_shared<ResNet<Block>>(layers, intOption(options, "num_classes", 1000)),
                              "ResNet", imageInput());
            }};
}

// ---- VGG and AlexNet ----

struct VGG : nn::Module {
    VGG(const std::vector<int64_t>& config, bool batchNorm, int64_t numClasses)
    {
        features = nn::Sequential();
        int64_t in = 3;
        for (int64_t v : config) {
            if (v == 0) {  // "M"
                features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
                continue;
            }
            features->push_back(conv(in, v, 3, 1, 1));
            if (batchNorm)
                features->push_back(nn::BatchNorm2d(v));
            features->push_back(nn::ReLU(nn::ReLUOptions(true)));
            in = v;
        }
        register_module("features", features);
        avgpool = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({7, 7})));
        classifier = register_module("classifier",
                                     nn::Sequential(nn::Linear(512 * 7 * 7, 4096), nn::ReLU(nn::ReLUOptions(true)), nn::Dropout(0.5),
                                                    nn::Linear(4096, 4096), nn::ReLU(nn::ReLUOptions(true)), nn::Dropout(0.5),
                                                    nn::Linear(4096, numClasses)));
    }
    at::Tensor forward(const at::Tensor& x)
    {
        return classifier->forward(torch::flatten(avgpool->forward(features->forward(x)), 1));
    }
    nn::Sequential features{nullptr}, classifier{nullptr};
    nn::AdaptiveAvgPool2d avgpool{nullptr};
};

ZooEntry vggEntry(const std::string& name, std::vector<int64_t> config, bool batchNorm)
{
    return {name, "torchvision " + name + " (options: num_classes=1000); input [1, 3, 224, 224]",
            [name, config, batchNorm](const Options& options) {
                checkKnownOptions(options, {"num_classes"}, name);
                return makeBuiltModel(std::make_shared<VGG>(config, batchNorm, intOption(options, "num_classes", 1000)), "VGG",
                              imageInput());
            }};
}

struct AlexNet : nn::Module {
    explicit AlexNet(int64_t numClasses)
    {
        features = register_module(
            "features",
            nn::Sequential(conv(3, 64, 11, 4, 2), nn::ReLU(nn::ReLUOptions(true)), nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2)),
                           conv(64, 192, 5, 1, 2), nn::ReLU(nn::ReLUOptions(true)), nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2)),
                           conv(192, 384, 3, 1, 1), nn::ReLU(nn::ReLUOptions(true)), conv(384, 256, 3, 1, 1),
                           nn::ReLU(nn::ReLUOptions(true)), conv(256, 256, 3, 1, 1), nn::ReLU(nn::ReLUOptions(true)),
                           nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2))));
        avgpool = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({6, 6})));
        classifier = register_module(
            "classifier", nn::Sequential(nn::Dropout(0.5), nn::Linear(256 * 6 * 6, 4096), nn::ReLU(nn::ReLUOptions(true)),
                                         nn::Dropout(0.5), nn::Linear(4096, 4096), nn::ReLU(nn::ReLUOptions(true)),
                                         nn::Linear(4096, numClasses)));
    }
    at::Tensor forward(const at::Tensor& x)
    {
        return classifier->forward(torch::flatten(avgpool->forward(features->forward(x)), 1));
    }
    nn::Sequential features{nullptr}, classifier{nullptr};
    nn::AdaptiveAvgPool2d avgpool{nullptr};
};

// ---- MobileNetV2 ----

int64_t makeDivisible(double value, int64_t divisor)
{
    int64_t rounded = std::max(divisor, int64_t(value + divisor / 2.0) / divisor * divisor);
    if (double(rounded) < 0.9 * value)
        rounded += divisor;
    return rounded;
}

// torchvision's Conv2dNormActivation: a Sequential(conv, bn, ReLU6). A subclass with a plain
// forward(), because libtorch cannot nest a templated Sequential inside another.
struct ConvBnRelu6 : nn::SequentialImpl {
    ConvBnRelu6(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups)
    {
        push_back(conv(in, out, kernel, stride, (kernel - 1) / 2, false, groups));
        push_back(nn::BatchNorm2d(out));
        push_back(nn::ReLU6(nn::ReLU6Options(true)));
    }
    at::Tensor forward(at::Tensor x) { return nn::SequentialImpl::forward(x); }
};

std::shared_ptr<ConvBnRelu6> convBnRelu6(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups)
{
    return std::make_shared<ConvBnRelu6>(in, out, kernel, stride, groups);
}

struct InvertedResidual : nn::Module {
    InvertedResidual(int64_t in, int64_t out, int64_t stride, int64_t expandRatio)
        : useResidual(stride == 1 && in == out)
    {
        const int64_t hidden = int64_t(std::round(double(in) * double(expandRatio)));
        layers = nn::Sequential();
        if (expandRatio != 1)
            layers->push_back(convBnRelu6(in, hidden, 1, 1, 1));
        layers->push_back(convBnRelu6(hidden, hidden, 3, stride, hidden));
        layers->push_back(conv(hidden, out, 1, 1, 0, false));
        layers->push_back(nn::BatchNorm2d(out));
        register_module("conv", layers);
    }
    at::Tensor forward(const at::Tensor& x)
    {
        return useResidual ? x + layers->forward(x) : layers->forward(x);
    }
    bool useResidual;
    nn::Sequential layers{nullptr};
};

struct MobileNetV2 : nn::Module {
    explicit MobileNetV2(int64_t numClasses)
    {
        const int64_t settings[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                       {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        int64_t input = makeDivisible(32, 8);
        const int64_t last = makeDivisible(1280, 8);
        features = nn::Sequential();
        features->push_back(convBnRelu6(3, input, 3, 2, 1));
        for (const auto& s : settings) {
            const int64_t output = makeDivisible(double(s[1]), 8);
            for (int64_t i = 0; i < s[2]; ++i) {
                features->push_back(std::make_shared<InvertedResidual>(input, output, i == 0 ? s[3] : 1, s[0]));
                input = output;
            }
        }
        features->push_back(convBnRelu6(input, last, 1, 1, 1));
        register_module("features", features);
        classifier = register_module("classifier", nn::Sequential(nn::Dropout(0.2), nn::Linear(last, numClasses)));
    }
    at::Tensor forward(const at::Tensor& x)
    {
        at::Tensor y = torch::adaptive_avg_pool2d(features->forward(x), {1, 1});
        return classifier->forward(torch::flatten(y, 1));
    }
    nn::Sequential features{nullptr}, classifier{nullptr};
};

}  // namespace

void addVisionModels(std::vector<ZooEntry>& entries)
{
    entries.push_back(resnetEntry<BasicBlock>("resnet18", {2, 2, 2, 2}));
    entries.push_back(resnetEntry<BasicBlock>("resnet34", {3, 4, 6, 3}));
    entries.push_back(resnetEntry<Bottleneck>("resnet50", {3, 4, 6, 3}));
    entries.push_back(resnetEntry<Bottleneck>("resnet101", {3, 4, 23, 3}));
    entries.push_back(resnetEntry<Bottleneck>("resnet152", {3, 8, 36, 3}));
    const std::vector<int64_t> vgg11 = {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
    const std::vector<int64_t> vgg13 = {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
    const std::vector<int64_t> vgg16 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    const std::vector<int64_t> vgg19 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0,
                                        512, 512, 512, 512, 0};
    for (const auto& [name, config] : {std::pair{"vgg11", vgg11}, {"vgg13", vgg13}, {"vgg16", vgg16}, {"vgg19", vgg19}}) {
        entries.push_back(vggEntry(name, config, false));
        entries.push_back(vggEntry(std::string(name) + "_bn", config, true));
    }
    entries.push_back({"alexnet", "torchvision alexnet (options: num_classes=1000); input [1, 3, 224, 224]",
                       [](const Options& options) {
                           checkKnownOptions(options, {"num_classes"}, "alexnet");
                           return makeBuiltModel(std::make_shared<AlexNet>(intOption(options, "num_classes", 1000)), "AlexNet",
                                         imageInput());
                       }});
    entries.push_back({"mobilenet_v2", "torchvision mobilenet_v2 (options: num_classes=1000); input [1, 3, 224, 224]",
                       [](const Options& options) {
                           checkKnownOptions(options, {"num_classes"}, "mobilenet_v2");
                           return makeBuiltModel(std::make_shared<MobileNetV2>(intOption(options, "num_classes", 1000)),
                                         "MobileNetV2", imageInput());
                       }});
}

}  // namespace statelens::zoo
