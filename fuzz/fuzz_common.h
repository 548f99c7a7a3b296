// Shared by the libFuzzer harnesses: open bytes from memory the way openCheckpoint opens a file,
// then do what statelens-cli ls/info/stats/scan and the GUI do next, so the lazy paths (naming,
// storage offsets, element decoding, the weights-only emulation) are fuzzed too.
#pragma once

#include "core/formats/checkpoint_reader.h"
#include "core/model/checkpoint.h"

#include <cstddef>
#include <cstdint>

namespace statelens::fuzz {

// A reader entry point: readFileInto (what openCheckpoint runs: the reader the content calls
// for), or one format's reader called directly so that the sniffer does not turn mutated
// inputs away before they reach it.
using Reader = Result<Value*> (*)(Checkpoint& checkpoint, int fileIndex, Format* format);

// checkpoint.files[0] maps `data` (no copy: the bytes must outlive the checkpoint); reads it with
// `reader`, names the tensors and finds the state dicts, as openCheckpoint does.
// Null when a reader refused the bytes (after checking that the refusal carries a message).
CheckpointPtr openFromMemory(const uint8_t* data, size_t size, Reader reader = &readFileInto);

// Listing and summary JSON, the weights-only verdict, every storage's bytes, and a few elements
// of each tensor through ElementDecoder and ValueReader; statistics when the tensors are small.
// `verdict`: also scan's weights-only verdict (it needs a real file behind the checkpoint).
void touch(const CheckpointPtr& checkpoint, bool verdict = true);

// A reader's error must say something: the CLI prints it as the only line of a failure.
void checkError(const QString& message);

}  // namespace statelens::fuzz
