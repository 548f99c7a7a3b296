// safetensors: the 8-byte length, the JSON header (SAX, every rule of the reference
// implementation), offsets and shapes; called directly, whatever the sniffer would say.
#include "fuzz/fuzz_common.h"

#include "core/formats/safetensors_reader.h"

using namespace statelens;

namespace {

Result<Value*> readAsSafetensors(Checkpoint& checkpoint, int fileIndex, Format* format)
{
    *format = Format::Safetensors;
    return readSafetensors(checkpoint, fileIndex);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (auto checkpoint = fuzz::openFromMemory(data, size, &readAsSafetensors))
        fuzz::touch(checkpoint);
    return 0;
}
