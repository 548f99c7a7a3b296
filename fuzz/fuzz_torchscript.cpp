// TorchScript archives (torch.jit.save): constants.pkl and data.pkl in TorchScript mode, the
// code/ records' class declarations. Inputs that are not zips go straight to the code parser
// (code records are deflated: a mutated one mostly fails its CRC before reaching the parser).
#include "fuzz/fuzz_common.h"

#include "core/formats/torch_zip_reader.h"
#include "core/formats/torchscript_classes.h"

using namespace statelens;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
        if (auto checkpoint = fuzz::openFromMemory(data, size, &readTorchZip))
            fuzz::touch(checkpoint);
        return 0;
    }
    ScriptClasses classes;
    parseScriptSource(QStringLiteral("__torch__.fuzz"), QString::fromUtf8(reinterpret_cast<const char*>(data), qsizetype(size)), &classes);
    return 0;
}
