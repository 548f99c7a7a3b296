// The architecture entry points of the module's C ABI: the zoo's index, a model's layout (its
// state_dict() as PyTorch would list it), and loading checkpoint tensors into a model.
#include "core/torch/torch_precompiled.h"

#include "core/torch/torch_architectures.h"
#include "core/torch/zoo/zoo.h"

#include <chrono>
#include <cstdio>
#include <unordered_map>

namespace statelens::torchmodule {

namespace {

void writeError(char* error, int capacity, const std::string& text)
{
    if (error && capacity > 0)
        std::snprintf(error, size_t(capacity), "%s", text.c_str());
}

const char* dtypeName(at::ScalarType type)
{
    switch (type) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kByte: return "uint8";
    case at::kChar: return "int8";
    case at::kShort: return "int16";
    case at::kInt: return "int32";
    case at::kLong: return "int64";
    case at::kBool: return "bool";
    case at::kComplexFloat: return "complex64";
    case at::kComplexDouble: return "complex128";
    default: return "unknown";
    }
}

bool scalarTypeFromName(const std::string& name, at::ScalarType* type)
{
    static const std::unordered_map<std::string, at::ScalarType> types = {
        {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf}, {"bfloat16", at::kBFloat16},
        {"uint8", at::kByte}, {"int8", at::kChar}, {"int16", at::kShort}, {"int32", at::kInt},
        {"int64", at::kLong}, {"bool", at::kBool}, {"complex64", at::kComplexFloat}, {"complex128", at::kComplexDouble}};
    const auto found = types.find(name);
    if (found == types.end())
        return false;
    *type = found->second;
    return true;
}

// A model of either kind, with its state_dict() entries in PyTorch's order.
struct LoadedModel {
    std::string modelClass;
    std::vector<std::pair<std::string, at::Tensor>> stateDict;
    std::vector<std::string> modules;
    zoo::BuiltModel builtIn;        // set for zoo models
    torch::jit::Module script;      // set for TorchScript
    bool isScript = false;
};

bool isTorchScript(const std::string& spec)
{
    return spec.rfind("torchscript:", 0) == 0;
}

LoadedModel loadModelSpec(const std::string& spec)
{
    LoadedModel model;
    if (isTorchScript(spec)) {
        model.isScript = true;
        model.script = torch::jit::load(spec.substr(12), c10::Device(c10::kCPU));
        model.modelClass = "RecursiveScriptModule";
        for (const auto& named : model.script.named_modules()) {
            model.modules.push_back(named.name);
            for (const auto& parameter : named.value.named_parameters(false))
                model.stateDict.emplace_back(named.name.empty() ? parameter.name : named.name + "." + parameter.name, parameter.value);
            for (const auto& buffer : named.value.named_buffers(false))
                model.stateDict.emplace_back(named.name.empty() ? buffer.name : named.name + "." + buffer.name, buffer.value);
        }
        return model;
    }
    model.builtIn = zoo::buildModel(spec);
    model.modelClass = model.builtIn.modelClass;
    // state_dict(): each module's own parameters, then its own buffers, modules in pre-order.
    for (const auto& named : model.builtIn.module->named_modules("", true)) {
        model.modules.push_back(named.key());
        const std::string prefix = named.key().empty() ? "" : named.key() + ".";
        for (const auto& parameter : named.value()->named_parameters(false))
            model.stateDict.emplace_back(prefix + parameter.key(), parameter.value());
        for (const auto& buffer : named.value()->named_buffers(false))
            model.stateDict.emplace_back(prefix + buffer.key(), buffer.value());
    }
    return model;
}

template <typename Function>
int guarded(char* error, int capacity, Function function)
{
    try {
        function();
        return 0;
    } catch (const c10::Error& e) {
        writeError(error, capacity, e.what_without_backtrace());
    } catch (const std::exception& e) {
        writeError(error, capacity, e.what());
    }
    return 1;
}

}  // namespace

void listArchitectures(const StatelensArchitectureSink* sink)
{
    for (const zoo::ZooEntry& entry : zoo::zooEntries()) {
        if (sink->entry)
            sink->entry(sink->context, entry.name.c_str(), entry.description.c_str());
    }
}

int describeArchitecture(const char* spec, const StatelensArchitectureSink* sink, char* error, int capacity)
{
    return guarded(error, capacity, [&] {
        const LoadedModel model = loadModelSpec(spec);
        std::vector<long long> input;
        if (!model.isScript)
            input.assign(model.builtIn.exampleInput.sizes().begin(), model.builtIn.exampleInput.sizes().end());
        if (sink->model)
            sink->model(sink->context, model.modelClass.c_str(), input.data(), int(input.size()));
        for (const std::string& name : model.modules) {
            if (sink->module)
                sink->module(sink->context, name.c_str());
        }
        for (const auto& [name, tensor] : model.stateDict) {
            const std::vector<long long> shape(tensor.sizes().begin(), tensor.sizes().end());
            if (sink->tensor)
                sink->tensor(sink->context, name.c_str(), shape.data(), int(shape.size()), dtypeName(tensor.scalar_type()));
        }
    });
}

int loadModel(const char* spec, const char* device, const StatelensLoadTensor* tensors, int count, int runForward,
              StatelensLoadOutcome* outcome, char* error, int capacity)
{
    return guarded(error, capacity, [&] {
        using Clock = std::chrono::steady_clock;
        const c10::Device target{std::string(device)};
        const auto start = Clock::now();
        LoadedModel model = loadModelSpec(spec);
        std::unordered_map<std::string, at::Tensor> byName(model.stateDict.begin(), model.stateDict.end());
        torch::NoGradGuard noGrad;
        *outcome = StatelensLoadOutcome{};
        for (int i = 0; i < count; ++i) {
            const StatelensLoadTensor& source = tensors[i];
            const auto found = byName.find(source.name);
            if (found == byName.end())
                throw std::invalid_argument(std::string("the model has no tensor named ") + source.name);
            at::ScalarType type;
            if (!scalarTypeFromName(source.dtype, &type))
                throw std::invalid_argument(std::string(source.name) + ": libtorch cannot load " + source.dtype + " values");
            // long long on the ABI, int64_t (long on LP64) in ATen: copy rather than cast pointers.
            const std::vector<int64_t> shape(source.shape, source.shape + source.rank);
            const std::vector<int64_t> strides(source.strides, source.strides + source.rank);
            const at::Tensor view = at::from_blob(const_cast<void*>(source.data), shape, strides, at::TensorOptions().dtype(type));
            found->second.copy_(view);  // casts like load_state_dict's param.copy_(input_param)
            ++outcome->loaded;
        }
        // Loaded on the CPU, then moved, as model.to(device) after load_state_dict.
        if (model.isScript) {
            model.script.to(target);
            model.script.eval();
        } else {
            model.builtIn.module->to(target);
            model.builtIn.module->eval();
        }
        outcome->loadSeconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (runForward && !model.isScript) {
            const at::Tensor input = model.builtIn.exampleInput.to(target);
            const auto forwardStart = Clock::now();
            const at::Tensor output = model.builtIn.forward(input).to(at::kCPU);  // waits for the device
            outcome->forwardSeconds = std::chrono::duration<double>(Clock::now() - forwardStart).count();
            outcome->ranForward = 1;
            outcome->inputRank = int(std::min<int64_t>(8, input.dim()));
            for (int d = 0; d < outcome->inputRank; ++d)
                outcome->inputShape[d] = input.size(d);
            outcome->outputRank = int(std::min<int64_t>(8, output.dim()));
            for (int d = 0; d < outcome->outputRank; ++d)
                outcome->outputShape[d] = output.size(d);
        }
    });
}

}  // namespace statelens::torchmodule
