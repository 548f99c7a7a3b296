// The legacy torch.save layout (five pickles back to back, then the storages), raw pickles and
// joblib files (compressed too), the 0.1.x tar format and NumPy's .npy, called directly (the sniffer would turn away inputs whose
// first bytes were mutated).
#include "fuzz/fuzz_common.h"

#include "core/formats/compressed_stream.h"
#include "core/formats/format_sniffer.h"
#include "core/formats/legacy_reader.h"
#include "core/formats/numpy_reader.h"
#include "core/formats/tar_reader.h"

using namespace statelens;

namespace {

Result<Value*> readLegacyOrTar(Checkpoint& checkpoint, int fileIndex, Format* format)
{
    const MappedFile& file = *checkpoint.files[size_t(fileIndex)].map;
    const SniffResult sniffed = sniffFormat(QByteArrayView(file.data(), qMin<qint64>(file.size(), 4096)), file.size());
    if (sniffed.format == SniffedFormat::ZlibStream || sniffed.format == SniffedFormat::GzipStream)
        return readCompressedPickle(checkpoint, fileIndex,
                                    sniffed.format == SniffedFormat::ZlibStream ? StreamCompression::Zlib : StreamCompression::Gzip, format);
    if (sniffed.format == SniffedFormat::NumpyArray) {
        *format = Format::NumpyArray;
        return readNumpyArray(checkpoint, fileIndex);
    }
    if (sniffed.format == SniffedFormat::Tar) {
        *format = Format::TorchTar;
        return readTorchTar(checkpoint, fileIndex);
    }
    return readTorchLegacy(checkpoint, fileIndex, format);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (auto checkpoint = fuzz::openFromMemory(data, size, &readLegacyOrTar))
        fuzz::touch(checkpoint);
    return 0;
}
