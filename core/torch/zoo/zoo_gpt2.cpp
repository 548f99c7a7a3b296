// GPT-2 as Hugging Face's GPT2LMHeadModel names it (transformer.wte, transformer.h.N.attn.c_attn,
// lm_head tied to wte, ...), with its Conv1D layers storing weights [in, out]. The causal mask is
// computed, not a buffer: recent transformers versions do not save it (persistent=False).
#include "core/torch/torch_precompiled.h"

#include "core/torch/zoo/zoo.h"

#include <cmath>
#include <stdexcept>

namespace statelens::zoo {

namespace nn = torch::nn;

namespace {

// transformers' Conv1D: y = x W + b with W of shape [in, out].
struct Conv1D : nn::Module {
    Conv1D(int64_t out, int64_t in)
    {
        weight = register_parameter("weight", torch::randn({in, out}) * 0.02);
        bias = register_parameter("bias", torch::zeros({out}));
    }
    at::Tensor forward(const at::Tensor& x) { return torch::addmm(bias, x.reshape({-1, x.size(-1)}), weight).view(outputShape(x)); }
    std::vector<int64_t> outputShape(const at::Tensor& x)
    {
        std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
        shape.back() = weight.size(1);
        return shape;
    }
    at::Tensor weight, bias;
};

struct Attention : nn::Module {
    Attention(int64_t width, int64_t heads) : heads(heads)
    {
        c_attn = register_module("c_attn", std::make_shared<Conv1D>(3 * width, width));
        c_proj = register_module("c_proj", std::make_shared<Conv1D>(width, width));
        attn_dropout = register_module("attn_dropout", nn::Dropout(0.1));
        resid_dropout = register_module("resid_dropout", nn::Dropout(0.1));
    }
    at::Tensor forward(const at::Tensor& x)
    {
        const int64_t batch = x.size(0), length = x.size(1), width = x.size(2), headWidth = width / heads;
        auto qkv = c_attn->forward(x).split(width, 2);
        auto split = [&](const at::Tensor& t) { return t.view({batch, length, heads, headWidth}).transpose(1, 2); };
        const at::Tensor q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
        at::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(double(headWidth));
        const at::Tensor causal = torch::ones({length, length}, torch::kBool).triu(1);
        scores = scores.masked_fill(causal, -std::numeric_limits<float>::infinity());
        at::Tensor out = torch::matmul(attn_dropout->forward(torch::softmax(scores, -1)), v);
        out = out.transpose(1, 2).contiguous().view({batch, length, width});
        return resid_dropout->forward(c_proj->forward(out));
    }
    int64_t heads;
    std::shared_ptr<Conv1D> c_attn, c_proj;
    nn::Dropout attn_dropout{nullptr}, resid_dropout{nullptr};
};

struct MLPBlock : nn::Module {
    explicit MLPBlock(int64_t width)
    {
        c_fc = register_module("c_fc", std::make_shared<Conv1D>(4 * width, width));
        c_proj = register_module("c_proj", std::make_shared<Conv1D>(width, 4 * width));
        // GPT-2's "gelu_new": the tanh approximation.
        act = register_module("act", nn::GELU(nn::GELUOptions().approximate("tanh")));
        dropout = register_module("dropout", nn::Dropout(0.1));
    }
    at::Tensor forward(const at::Tensor& x)
    {
        return dropout->forward(c_proj->forward(act->forward(c_fc->forward(x))));
    }
    std::shared_ptr<Conv1D> c_fc, c_proj;
    nn::GELU act{nullptr};
    nn::Dropout dropout{nullptr};
};

struct Block : nn::Module {
    Block(int64_t width, int64_t heads)
    {
        ln_1 = register_module("ln_1", nn::LayerNorm(nn::LayerNormOptions({width}).eps(1e-5)));
        attn = register_module("attn", std::make_shared<Attention>(width, heads));
        ln_2 = register_module("ln_2", nn::LayerNorm(nn::LayerNormOptions({width}).eps(1e-5)));
        mlp = register_module("mlp", std::make_shared<MLPBlock>(width));
    }
    at::Tensor forward(at::Tensor x)
    {
        x = x + attn->forward(ln_1->forward(x));
        return x + mlp->forward(ln_2->forward(x));
    }
    nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
    std::shared_ptr<Attention> attn;
    std::shared_ptr<MLPBlock> mlp;
};

struct Blocks : nn::Module {
    std::vector<std::shared_ptr<Block>> blocks;
};

struct GPT2Model : nn::Module {
    GPT2Model(int64_t layers, int64_t width, int64_t heads, int64_t vocab, int64_t positions)
    {
        wte = register_module("wte", nn::Embedding(vocab, width));
        wpe = register_module("wpe", nn::Embedding(positions, width));
        drop = register_module("drop", nn::Dropout(0.1));
        h = register_module("h", std::make_shared<Blocks>());
        for (int64_t i = 0; i < layers; ++i)
            h->blocks.push_back(h->register_module(std::to_string(i), std::make_shared<Block>(width, heads)));
        ln_f = register_module("ln_f", nn::LayerNorm(nn::LayerNormOptions({width}).eps(1e-5)));
    }
    at::Tensor forward(const at::Tensor& ids)
    {
        const at::Tensor positions = torch::arange(ids.size(1), torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
        at::Tensor x = drop->forward(wte->forward(ids) + wpe->forward(positions));
        for (auto& block : h->blocks)
            x = block->forward(x);
        return ln_f->forward(x);
    }
    nn::Embedding wte{nullptr}, wpe{nullptr};
    nn::Dropout drop{nullptr};
    std::shared_ptr<Blocks> h;
    nn::LayerNorm ln_f{nullptr};
};

// lm_head's weight is wte's weight (tied): one tensor registered in both places, as in PyTorch.
struct TiedHead : nn::Module {
    explicit TiedHead(const at::Tensor& embedding) { weight = register_parameter("weight", embedding); }
    at::Tensor forward(const at::Tensor& x) { return torch::matmul(x, weight.t()); }
    at::Tensor weight;
};

struct GPT2LMHeadModel : nn::Module {
    GPT2LMHeadModel(int64_t layers, int64_t width, int64_t heads, int64_t vocab, int64_t positions)
    {
        transformer = register_module("transformer", std::make_shared<GPT2Model>(layers, width, heads, vocab, positions));
        lm_head = register_module("lm_head", std::make_shared<TiedHead>(transformer->wte->weight));
    }
    at::Tensor forward(const at::Tensor& ids) { return lm_head->forward(transformer->forward(ids)); }
    std::shared_ptr<GPT2Model> transformer;
    std::shared_ptr<TiedHead> lm_head;
};

}  // namespace

void addGpt2(std::vector<ZooEntry>& entries)
{
    entries.push_back(
        {"gpt2",
         "GPT-2 with Hugging Face GPT2LMHeadModel names (options: layers=12, width=768, heads=12, vocab=50257, "
         "positions=1024); input token ids [1, 8]",
         [](const Options& options) {
             checkKnownOptions(options, {"layers", "width", "heads", "vocab", "positions"}, "gpt2");
             const int64_t layers = intOption(options, "layers", 12), width = intOption(options, "width", 768);
             const int64_t heads = intOption(options, "heads", 12), vocab = intOption(options, "vocab", 50257);
             const int64_t positions = intOption(options, "positions", 1024);
             if (width % heads != 0)
                 throw std::invalid_argument("gpt2: width must be a multiple of heads");
             if (layers > 512 || width > 65536 || vocab > (1 << 22) || positions > (1 << 20))
                 throw std::invalid_argument("gpt2: options beyond any GPT-2 (layers <= 512, width <= 65536)");
             return makeBuiltModel(std::make_shared<GPT2LMHeadModel>(layers, width, heads, vocab, positions), "GPT2LMHeadModel",
                                   torch::zeros({1, std::min<int64_t>(8, positions)}, torch::kLong));
         }});
}

}  // namespace statelens::zoo
