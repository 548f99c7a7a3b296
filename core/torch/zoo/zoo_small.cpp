// Small models researchers train first: the PyTorch tutorial's SimpleCNN (the bundled sample),
// LeNet-5 and a multi-layer perceptron, as tests/data/match/make_match_fixtures.py defines them.
#include "core/torch/torch_precompiled.h"

#include "core/torch/zoo/zoo.h"

#include <sstream>
#include <stdexcept>

namespace statelens::zoo {

namespace nn = torch::nn;

namespace {

struct SimpleCNN : nn::Module {
    SimpleCNN()
    {
        conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 16, 3).padding(1)));
        relu = register_module("relu", nn::ReLU());
        pool = register_module("pool", nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
        fc = register_module("fc", nn::Linear(16 * 14 * 14, 10));
    }
    at::Tensor forward(const at::Tensor& x)
    {
        return fc->forward(torch::flatten(pool->forward(relu->forward(conv1->forward(x))), 1));
    }
    nn::Conv2d conv1{nullptr};
    nn::ReLU relu{nullptr};
    nn::MaxPool2d pool{nullptr};
    nn::Linear fc{nullptr};
};

struct LeNet5 : nn::Module {
    LeNet5()
    {
        conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, 6, 5)));
        relu = register_module("relu", nn::ReLU());
        pool = register_module("pool", nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
        conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
        fc1 = register_module("fc1", nn::Linear(16 * 5 * 5, 120));
        fc2 = register_module("fc2", nn::Linear(120, 84));
        fc3 = register_module("fc3", nn::Linear(84, 10));
    }
    at::Tensor forward(at::Tensor x)
    {
        x = pool->forward(relu->forward(conv1->forward(x)));
        x = pool->forward(relu->forward(conv2->forward(x)));
        x = torch::flatten(x, 1);
        return fc3->forward(relu->forward(fc2->forward(relu->forward(fc1->forward(x)))));
    }
    nn::Conv2d conv1{nullptr}, conv2{nullptr};
    nn::ReLU relu{nullptr};
    nn::MaxPool2d pool{nullptr};
    nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

// layers = Sequential(Linear, ReLU, Linear, ReLU, ..., Linear): names layers.0, layers.2, ...
struct MLP : nn::Module {
    explicit MLP(const std::vector<int64_t>& sizes)
    {
        layers = nn::Sequential();
        for (size_t i = 0; i + 1 < sizes.size(); ++i) {
            layers->push_back(nn::Linear(sizes[i], sizes[i + 1]));
            if (i + 2 < sizes.size())
                layers->push_back(nn::ReLU());
        }
        register_module("layers", layers);
    }
    at::Tensor forward(const at::Tensor& x) { return layers->forward(x); }
    nn::Sequential layers{nullptr};
};

std::vector<int64_t> parseSizes(const std::string& text)
{
    std::vector<int64_t> sizes;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, '-')) {
        size_t used = 0;
        long long value = 0;
        try {
            value = std::stoll(part, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != part.size() || value < 1 || value > (1 << 24))
            throw std::invalid_argument("mlp: sizes must be positive integers joined by '-', like 784-256-10");
        sizes.push_back(value);
    }
    if (sizes.size() < 2 || sizes.size() > 64)
        throw std::invalid_argument("mlp: sizes needs 2 to 64 layer widths, like 784-256-10");
    return sizes;
}

}  // namespace

void addSmallModels(std::vector<ZooEntry>& entries)
{
    entries.push_back({"simple_cnn", "the PyTorch tutorial's SimpleCNN (the bundled sample); input [1, 3, 28, 28]",
                       [](const Options& options) {
                           checkKnownOptions(options, {}, "simple_cnn");
                           return makeBuiltModel(std::make_shared<SimpleCNN>(), "SimpleCNN", torch::zeros({1, 3, 28, 28}));
                       }});
    entries.push_back({"lenet5", "LeNet-5 (conv1, conv2, fc1-fc3); input [1, 1, 32, 32]", [](const Options& options) {
                           checkKnownOptions(options, {}, "lenet5");
                           return makeBuiltModel(std::make_shared<LeNet5>(), "LeNet5", torch::zeros({1, 1, 32, 32}));
                       }});
    entries.push_back({"mlp", "multi-layer perceptron (options: sizes=784-256-10); input [1, sizes[0]]",
                       [](const Options& options) {
                           checkKnownOptions(options, {"sizes"}, "mlp");
                           const auto found = options.find("sizes");
                           const std::vector<int64_t> sizes = parseSizes(found == options.end() ? "784-256-10" : found->second);
                           return makeBuiltModel(std::make_shared<MLP>(sizes), "MLP", torch::zeros({1, sizes.front()}));
                       }});
}

}  // namespace statelens::zoo
