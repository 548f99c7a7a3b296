// From the object tree to the listing: dotted names as torch.load (or state_dict()) gives them,
// and the candidate state dicts inside training checkpoints.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

// Fills checkpoint.tensors from checkpoint.root: dict keys as text, list/tuple indices in decimal;
// pickled nn.Modules and TorchScript objects named as their state_dict() (no `_modules` segments,
// non-persistent buffers left out). Bounded in depth and in total work: a pickle can describe a
// cycle or a graph with exponentially many paths, which is reported as a warning, never followed.
Status nameTensors(Checkpoint& checkpoint);

// Fills checkpoint.candidates: the root or nested dicts that hold tensors like a state dict
// (Lightning `state_dict`, `model_state_dict`, `model`, `ema`, ...), optimizer states, and pickled
// modules, each with its tensor count and share of the bytes.
void findCandidateStateDicts(Checkpoint& checkpoint);

}  // namespace statelens
