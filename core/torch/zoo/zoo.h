// The built-in architectures: libtorch C++ modules whose state_dict() names, shapes and module
// order equal their PyTorch / torchvision / Hugging Face counterparts, so a checkpoint saved from
// one loads into the other. Each takes options ("resnet18:num_classes=10").
#pragma once

#include <torch/nn.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace statelens::zoo {

using Options = std::map<std::string, std::string>;

// A built-in model: the module, and the zero input its forward pass is checked with.
struct BuiltModel {
    std::shared_ptr<torch::nn::Module> module;
    std::string modelClass;        // the PyTorch class name ("ResNet", "GPT2LMHeadModel")
    at::Tensor exampleInput;       // zeros of the documented shape and dtype
    std::function<at::Tensor(const at::Tensor&)> forward;
};

struct ZooEntry {
    std::string name;              // "resnet18"
    std::string description;       // one line, with the options it takes
    std::function<BuiltModel(const Options&)> build;  // throws std::invalid_argument on bad options
};

const std::vector<ZooEntry>& zooEntries();

// "resnet18:num_classes=10,foo=bar" -> ("resnet18", {num_classes: 10, ...}); throws on bad syntax.
std::pair<std::string, Options> parseSpec(const std::string& spec);
// Builds a model from a spec; throws std::invalid_argument naming the known models or options.
BuiltModel buildModel(const std::string& spec);

// Option helpers for the model files: an integer option or its default; throws on junk.
int64_t intOption(const Options& options, const std::string& key, int64_t fallback);
void checkKnownOptions(const Options& options, const std::vector<std::string>& known, const std::string& model);

// A BuiltModel around a module with a forward(const Tensor&).
template <typename Model>
BuiltModel makeBuiltModel(std::shared_ptr<Model> model, const std::string& modelClass, at::Tensor exampleInput)
{
    BuiltModel built;
    built.module = model;
    built.modelClass = modelClass;
    built.exampleInput = std::move(exampleInput);
    built.forward = [model](const at::Tensor& x) { return model->forward(x); };
    return built;
}

// Registration, one per model family file.
void addVisionModels(std::vector<ZooEntry>& entries);
void addSmallModels(std::vector<ZooEntry>& entries);
void addGpt2(std::vector<ZooEntry>& entries);

}  // namespace statelens::zoo
