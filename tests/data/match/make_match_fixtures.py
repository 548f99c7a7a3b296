#!/usr/bin/python3
"""Writes the load_state_dict matching fixtures into tests/data/match/ (or the folder given as argv[1]).

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision). Every expected value
in match_expected.json comes from torch itself: the str() of the RuntimeError raised by
Module.load_state_dict(sd, strict=True) and the (missing_keys, unexpected_keys) it returns with
strict=False. Nothing is computed by hand. See README.md.
"""
import copy
import json
import os
import re
import sys
from collections import OrderedDict

import torch
import torchvision
from torch import nn

OUT = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------
# Models (torch side truth)
# ---------------------------------------------------------------------------------------------

class SimpleCNN(nn.Module):
    """Exactly resources/sample/make_sample.py's model."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.fc = nn.Linear(16 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        return self.fc(torch.flatten(x, 1))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class OptimizedModule(nn.Module):
    """Stand-in for torch.compile's wrapper (torch._dynamo.eval_frame.OptimizedModule, torch >= 2.0):
    torch 1.13 has no torch.compile. Like the real one it holds the model as `_orig_mod`, so its
    state_dict keys (and `_metadata` keys) are the model's with a `_orig_mod.` prefix."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)


class LitModel(nn.Module):
    """A LightningModule holding the network as `self.model`: its state_dict is the network's with
    a `model.` prefix, and an OrderedDict with `_metadata` like any Module's."""

    def __init__(self):
        super().__init__()
        self.model = SimpleCNN()


def build(arch):
    """A fresh model for an arch string of match_expected.json, built after torch.manual_seed(0)."""
    torch.manual_seed(0)
    if arch == "simple_cnn":
        return SimpleCNN()
    if arch == "lenet5":
        return LeNet5()
    if arch.startswith("mlp:sizes="):
        return MLP([int(s) for s in arch[len("mlp:sizes="):].split("-")])
    if arch == "resnet18":
        return torchvision.models.resnet18()
    if arch == "resnet18:num_classes=10":
        return torchvision.models.resnet18(num_classes=10)
    if arch == "resnet50":
        return torchvision.models.resnet50()
    if arch.startswith("torchscript:"):
        return torch.jit.load(os.path.join(OUT, arch[len("torchscript:"):]), map_location="cpu")
    raise ValueError(arch)


# ---------------------------------------------------------------------------------------------
# Tiny tensors: one element per tensor, stride-0 views keep names, shapes and dtypes
# ---------------------------------------------------------------------------------------------

def tiny(t):
    return torch.zeros((), dtype=t.dtype).expand(t.shape)


def tiny_sd(sd):
    """Same keys, order and `_metadata` (module versions); every tensor a one-element expand view."""
    out = OrderedDict((k, tiny(v)) for k, v in sd.items())
    if hasattr(sd, "_metadata"):
        out._metadata = copy.deepcopy(sd._metadata)
    return out


def tiny_obj(obj):
    """tiny() every tensor inside nested dicts/lists (optimizer state dicts)."""
    if isinstance(obj, torch.Tensor):
        return tiny(obj)
    if isinstance(obj, dict):
        return type(obj)((k, tiny_obj(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(tiny_obj(v) for v in obj)
    return obj


def drop_keys(sd, names):
    out = OrderedDict((k, v) for k, v in sd.items() if k not in names)
    if hasattr(sd, "_metadata"):
        out._metadata = copy.deepcopy(sd._metadata)
    return out


def save(obj, name, **kwargs):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(obj, path, **kwargs)
    return path


# ---------------------------------------------------------------------------------------------
# Architecture JSON specs: exactly the README snippet's expression
# ---------------------------------------------------------------------------------------------

def write_spec(m, name):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump({"model": type(m).__name__, "modules": [n for n, _ in m.named_modules()], "tensors": [[k, list(v.shape), str(v.dtype)[6:]] for k, v in m.state_dict().items()]}, f)


# ---------------------------------------------------------------------------------------------
# The built-in zoo's PyTorch counterparts: one spec per model (README snippet's expression), so
# tst_match checks that each libtorch module has exactly these names, shapes, dtypes and modules.
# ---------------------------------------------------------------------------------------------

class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: weight [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(nf))


class GPT2Attention(nn.Module):
    def __init__(self, width, heads, positions):
        super().__init__()
        # Recent transformers register the causal mask as non-persistent buffers (not saved).
        self.register_buffer("bias", torch.tril(torch.ones(positions, positions, dtype=torch.bool))
                             .view(1, 1, positions, positions), persistent=False)
        self.register_buffer("masked_bias", torch.tensor(-1e4), persistent=False)
        self.c_attn = Conv1D(3 * width, width)
        self.c_proj = Conv1D(width, width)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)


class GPT2MLP(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.c_fc = Conv1D(4 * width, width)
        self.c_proj = Conv1D(width, 4 * width)
        self.act = nn.GELU(approximate="tanh")
        self.dropout = nn.Dropout(0.1)


class GPT2Block(nn.Module):
    def __init__(self, width, heads, positions):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = GPT2Attention(width, heads, positions)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = GPT2MLP(width)


class GPT2Model(nn.Module):
    def __init__(self, layers, width, heads, vocab, positions):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(positions, width)
        self.drop = nn.Dropout(0.1)
        self.h = nn.ModuleList([GPT2Block(width, heads, positions) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)


class GPT2LMHeadModel(nn.Module):
    """Hugging Face GPT2LMHeadModel's module tree and state_dict (lm_head tied to wte)."""

    def __init__(self, layers=12, width=768, heads=12, vocab=50257, positions=1024):
        super().__init__()
        self.transformer = GPT2Model(layers, width, heads, vocab, positions)
        self.lm_head = nn.Linear(width, vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight


ZOO_SPECS = [
    ("simple_cnn", lambda: SimpleCNN()),
    ("lenet5", lambda: LeNet5()),
    ("mlp", lambda: MLP([784, 256, 10])),
    ("mlp:sizes=3072-512-128-10", lambda: MLP([3072, 512, 128, 10])),
    ("resnet18", torchvision.models.resnet18),
    ("resnet34", torchvision.models.resnet34),
    ("resnet50", torchvision.models.resnet50),
    ("resnet101", torchvision.models.resnet101),
    ("resnet152", torchvision.models.resnet152),
    ("resnet18:num_classes=10", lambda: torchvision.models.resnet18(num_classes=10)),
    ("vgg11", torchvision.models.vgg11), ("vgg11_bn", torchvision.models.vgg11_bn),
    ("vgg13", torchvision.models.vgg13), ("vgg13_bn", torchvision.models.vgg13_bn),
    ("vgg16", torchvision.models.vgg16), ("vgg16_bn", torchvision.models.vgg16_bn),
    ("vgg19", torchvision.models.vgg19), ("vgg19_bn", torchvision.models.vgg19_bn),
    ("alexnet", torchvision.models.alexnet),
    ("mobilenet_v2", torchvision.models.mobilenet_v2),
    ("gpt2:layers=2,width=64,heads=4,vocab=100,positions=32",
     lambda: GPT2LMHeadModel(layers=2, width=64, heads=4, vocab=100, positions=32)),
]


def write_zoo_specs():
    folder = os.path.join(OUT, "zoo")
    os.makedirs(folder, exist_ok=True)
    index = {}
    for arch, make in ZOO_SPECS:
        name = arch.replace(":", "_").replace("=", "").replace(",", "_") + ".json"
        write_spec(make(), os.path.join("zoo", name))
        index[arch] = name
    with open(os.path.join(folder, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------

SHARD_FILES = ["pytorch_model-%05d-of-00003.bin" % i for i in (1, 2, 3)]


def write_checkpoints():
    # 1-3: SimpleCNN
    cnn = build("simple_cnn")
    sd = tiny_sd(cnn.state_dict())
    save(sd, "simple_cnn_exact.pth")
    save(drop_keys(sd, {"fc.weight", "fc.bias"}), "simple_cnn_partial.pth")
    extra = drop_keys(sd, set())
    extra["conv2.weight"] = tiny(torch.empty(8, 16, 3, 3))
    extra["fc.extra"] = tiny(torch.empty(3))
    extra["head.bias"] = tiny(torch.empty(10))
    save(extra, "simple_cnn_extra.pth")
    # extra: keys torch's unexpected-key check lets through or reports late (see README)
    odd = drop_keys(sd, set())
    odd["fc"] = tiny(torch.empty(3))
    odd["conv1.weight.extra"] = tiny(torch.empty(2))
    odd["relu.weight"] = tiny(torch.empty(1))
    odd["fc.extra"] = tiny(torch.empty(3))
    odd["fc._extra_state"] = tiny(torch.empty(1))
    save(odd, "simple_cnn_odd_keys.pth")

    # 4-5: resnet18
    r18 = tiny_sd(build("resnet18").state_dict())
    save(r18, "resnet18.pth")
    save(tiny_sd(build("resnet18:num_classes=10").state_dict()), "resnet18_10class.pth")

    # 6-8: prefixes, made by real wrappers so that `_metadata` is what a wrapper's state_dict gives
    torch.manual_seed(0)
    dp = nn.DataParallel(torchvision.models.resnet18())  # CPU only: DataParallel just wraps
    save(tiny_sd(dp.state_dict()), "resnet18_module_prefix.pth")
    torch.manual_seed(0)
    save(tiny_sd(OptimizedModule(torchvision.models.resnet18()).state_dict()), "resnet18_orig_mod.pth")
    torch.manual_seed(0)
    stacked = nn.DataParallel(OptimizedModule(torchvision.models.resnet18()))
    save(tiny_sd(stacked.state_dict()), "resnet18_ddp_compiled.pth")

    # 9: legacy (non-zip) serialization
    save(r18, "resnet18_legacy.pth", _use_new_zipfile_serialization=False)

    # 10: Hugging Face style shards. transformers' shard_checkpoint fills shards in state-dict order
    # up to a byte budget and saves each as a plain dict; the index is json.dumps(index, indent=2,
    # sort_keys=True) + "\n", so weight_map is in name order. total_size counts the logical
    # tensors (numel * element_size), not the tiny stored storages.
    names = list(r18.keys())
    sizes = [r18[k].numel() * r18[k].element_size() for k in names]
    total = sum(sizes)
    shards, current, acc = [], [], 0
    for k, size in zip(names, sizes):
        if current and acc + size > total / 3 and len(shards) < 2:
            shards.append(current)
            current, acc = [], 0
        current.append(k)
        acc += size
    shards.append(current)
    assert len(shards) == 3
    weight_map = {}
    for fname, keys in zip(SHARD_FILES, shards):
        save({k: r18[k] for k in keys}, os.path.join("resnet18_sharded", fname))
        for k in keys:
            weight_map[k] = fname
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(OUT, "resnet18_sharded", "pytorch_model.bin.index.json"), "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")

    # 11: tutorial training checkpoint, SGD with momentum after one step
    model = build("simple_cnn")
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(2, 3, 28, 28)
    y = torch.randint(0, 10, (2,))
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    save({"epoch": 5, "model_state_dict": tiny_sd(model.state_dict()),
          "optimizer_state_dict": tiny_obj(opt.state_dict()), "loss": 0.25}, "tutorial_training.pt")

    # 12: Lightning layout, SimpleCNN held as `self.model`
    torch.manual_seed(0)
    lit = LitModel()
    lopt = torch.optim.SGD(lit.parameters(), lr=0.01, momentum=0.9)
    lopt.zero_grad()
    nn.functional.cross_entropy(lit.model(x), y).backward()
    lopt.step()
    save({"epoch": 3, "global_step": 100, "state_dict": tiny_sd(lit.state_dict()),
          "optimizer_states": [tiny_obj(lopt.state_dict())], "pytorch-lightning_version": "1.9.0"},
         "lightning_style.ckpt")

    # 13: num_batches_tracked removed; with and without `_metadata`
    no_nbt = drop_keys(r18, {k for k in r18 if k.endswith("num_batches_tracked")})
    save(no_nbt, "resnet18_no_nbt.pth")
    save(dict(no_nbt), "resnet18_no_nbt_plain.pth")

    # extra: num_batches_tracked stored with shape [1] (0.3-era 1-dim scalars) in one BatchNorm
    nbt_1d = drop_keys(r18, set())
    nbt_1d["bn1.num_batches_tracked"] = tiny(torch.empty(1, dtype=torch.long))
    nbt_1d["layer1.0.bn1.num_batches_tracked"] = tiny(torch.empty(2, dtype=torch.long))
    save(nbt_1d, "resnet18_nbt_1d.pth")

    # extra: MLP [784, 256, 10]
    save(tiny_sd(build("mlp:sizes=784-256-10").state_dict()), "mlp_784_256_10.pth")

    # 14: TorchScript (real weights)
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(SimpleCNN()), os.path.join(OUT, "simple_cnn_scripted.pt"))

    # 15: architecture specs
    write_spec(build("simple_cnn"), "simple_cnn.json")
    write_spec(build("lenet5"), "lenet5.json")
    write_spec(build("resnet18"), "resnet18.json")
    write_spec(build("resnet50"), "resnet50.json")


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------

CASES = [
    # (checkpoint, key, strip_prefix, arch, spec)
    ("simple_cnn_exact.pth", "", [], "simple_cnn", "simple_cnn.json"),
    ("simple_cnn_partial.pth", "", [], "simple_cnn", "simple_cnn.json"),
    ("simple_cnn_extra.pth", "", [], "simple_cnn", "simple_cnn.json"),
    ("resnet18.pth", "", [], "resnet18", "resnet18.json"),
    ("resnet18_10class.pth", "", [], "resnet18", "resnet18.json"),
    ("resnet18_10class.pth", "", [], "resnet18:num_classes=10", None),
    ("resnet18.pth", "", [], "resnet18:num_classes=10", None),
    ("resnet18_module_prefix.pth", "", [], "resnet18", "resnet18.json"),
    ("resnet18_module_prefix.pth", "", ["module."], "resnet18", "resnet18.json"),
    ("resnet18_orig_mod.pth", "", ["_orig_mod."], "resnet18", "resnet18.json"),
    ("resnet18_ddp_compiled.pth", "", ["module.", "_orig_mod."], "resnet18", "resnet18.json"),
    ("resnet18_ddp_compiled.pth", "", ["module."], "resnet18", "resnet18.json"),
    ("resnet18_ddp_compiled.pth", "", [], "resnet18", "resnet18.json"),
    ("resnet18_legacy.pth", "", [], "resnet18", "resnet18.json"),
    ("resnet18_sharded/pytorch_model.bin.index.json", "", [], "resnet18", "resnet18.json"),
    ("tutorial_training.pt", "model_state_dict", [], "simple_cnn", "simple_cnn.json"),
    ("lightning_style.ckpt", "state_dict", ["model."], "simple_cnn", "simple_cnn.json"),
    ("lightning_style.ckpt", "state_dict", [], "simple_cnn", "simple_cnn.json"),
    ("resnet18.pth", "", [], "resnet50", "resnet50.json"),
    ("resnet18_no_nbt.pth", "", [], "resnet18", "resnet18.json"),
    ("resnet18_no_nbt_plain.pth", "", [], "resnet18", "resnet18.json"),
    ("resnet18_nbt_1d.pth", "", [], "resnet18", "resnet18.json"),
    ("simple_cnn_exact.pth", "", [], "torchscript:simple_cnn_scripted.pt", None),
    ("simple_cnn_partial.pth", "", [], "torchscript:simple_cnn_scripted.pt", None),
    ("simple_cnn_extra.pth", "", [], "torchscript:simple_cnn_scripted.pt", None),
    ("simple_cnn_extra.pth", "", [], "lenet5", "lenet5.json"),
    ("simple_cnn_odd_keys.pth", "", [], "simple_cnn", "simple_cnn.json"),
    ("simple_cnn_odd_keys.pth", "", [], "torchscript:simple_cnn_scripted.pt", None),
    ("simple_cnn_exact.pth", "", [], "lenet5", "lenet5.json"),
    ("mlp_784_256_10.pth", "", [], "mlp:sizes=784-256-10", None),
    ("mlp_784_256_10.pth", "", [], "mlp:sizes=784-128-10", None),
    ("simple_cnn_exact.pth", "", [], "mlp:sizes=784-256-10", None),
]


def load_checkpoint(rel):
    path = os.path.join(OUT, rel)
    if rel.endswith(".index.json"):
        # union of the shards, in the order of the index's weight_map (name order, as written)
        with open(path) as f:
            weight_map = json.load(f)["weight_map"]
        shards = {}
        sd = OrderedDict()
        for name, fname in weight_map.items():
            if fname not in shards:
                shards[fname] = torch.load(os.path.join(os.path.dirname(path), fname), map_location="cpu")
            sd[name] = shards[fname][name]
        return sd
    return torch.load(path, map_location="cpu")


def strip(sd, prefix):
    """Removes `prefix` from every key that has it, keeping key order, and renames `_metadata`
    entries the same way ("module" -> "", "module.conv1" -> "conv1"). torch 1.13's
    consume_prefix_in_state_dict_if_present is not used: it re-inserts the stripped keys in sorted
    order, and looks for `_metadata` as a key rather than the attribute, leaving metadata stale."""
    out = OrderedDict((k[len(prefix):] if k.startswith(prefix) else k, v) for k, v in sd.items())
    metadata = getattr(sd, "_metadata", None)
    if metadata is not None:
        bare = prefix[:-1] if prefix.endswith(".") else prefix
        md = OrderedDict()
        for k, v in metadata.items():
            if k == bare:
                k = ""
            elif k.startswith(prefix):
                k = k[len(prefix):]
            elif k == "":
                continue  # the wrapper's own entry; the model's ("module") replaces it
            md[k] = v
        out._metadata = md
    return out


def fresh(sd):
    """load_state_dict copies its input, but keep every call independent anyway."""
    out = OrderedDict(sd.items())
    if hasattr(sd, "_metadata"):
        out._metadata = copy.deepcopy(sd._metadata)
    return out


SIZE_RE = re.compile(r"^size mismatch for (.+): copying a param with shape torch\.Size\(\[(.*)\]\) "
                     r"from checkpoint, the shape in current model is torch\.Size\(\[(.*)\]\)\.$")


def dims(text):
    return [int(d) for d in text.split(",") if d.strip()]


def run_case(checkpoint, key, strip_prefix, arch, spec, models):
    obj = load_checkpoint(checkpoint)
    sd = obj[key] if key else obj
    for prefix in strip_prefix:
        sd = strip(sd, prefix)
    if arch not in models:
        models[arch] = build(arch)
    model = models[arch]

    try:
        model.load_state_dict(fresh(sd), strict=True)
        strict_message = None
    except RuntimeError as e:
        strict_message = str(e)

    size_mismatch = []
    if strict_message is not None:
        for line in strict_message.split("\n\t")[1:]:
            m = SIZE_RE.match(line)
            if m:
                size_mismatch.append({"name": m.group(1), "checkpoint": dims(m.group(2)),
                                      "model": dims(m.group(3))})
    mismatched = {s["name"] for s in size_mismatch}

    # strict=False still raises on size mismatches: load without those keys, then take them back
    # out of the missing list (removing them is what made them missing).
    result = model.load_state_dict(drop_keys(sd, mismatched), strict=False)
    missing = [k for k in result.missing_keys if k not in mismatched]
    unexpected = list(result.unexpected_keys)

    return OrderedDict([
        ("checkpoint", checkpoint), ("key", key), ("strip_prefix", strip_prefix), ("arch", arch),
        ("spec", spec), ("model_class", type(model).__name__), ("strict_message", strict_message),
        ("missing", missing), ("unexpected", unexpected), ("size_mismatch", size_mismatch),
    ])


def main():
    global OUT
    if os.environ.get("PYTHONHASHSEED") != "0":
        # TorchScript's code/ text can list constants in set order: fix the hash seed
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    if len(sys.argv) > 1:
        OUT = os.path.abspath(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    write_checkpoints()
    write_zoo_specs()
    models = {}
    cases = [run_case(*c, models) for c in CASES]
    with open(os.path.join(OUT, "match_expected.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    for c in cases:
        print("%-48s %-38s %-22s %s" % (c["checkpoint"], c["arch"], "+".join(c["strip_prefix"]) or "-",
                                        "loads" if c["strict_message"] is None else
                                        "missing %d unexpected %d size %d" % (
                                            len(c["missing"]), len(c["unexpected"]), len(c["size_mismatch"]))))


if __name__ == "__main__":
    main()
