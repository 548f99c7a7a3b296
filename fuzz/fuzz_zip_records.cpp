// The zip container under torch.save, TorchScript and .pt2 archives: ZipArchive's directory
// checks, every record read (inflated, CRC, bomb limits) and located (stored records), then the
// torch zip reader over the same bytes.
#include "fuzz/fuzz_common.h"

#include "core/formats/torch_zip_reader.h"
#include "core/formats/zip_archive.h"

using namespace statelens;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto map = MappedFile::fromMemory(QStringLiteral("fuzz-input"), reinterpret_cast<const char*>(data), qint64(size));
    auto zip = ZipArchive::open(map);
    if (!zip) {
        fuzz::checkError(zip.error().message);
        return 0;
    }
    const auto& entries = (*zip)->entries();
    for (int i = 0; i < int(entries.size()) && i < 64; ++i) {
        if ((*zip)->find(entries[size_t(i)].name) != i)
            __builtin_trap();  // the index and the entry list disagree
        auto bytes = (*zip)->read(i, 1 << 20);
        if (!bytes)
            fuzz::checkError(bytes.error().message);
        auto offset = (*zip)->dataOffset(i);
        if (offset) {
            if (!map->contains(*offset, qint64(entries[size_t(i)].uncompressedSize)))
                __builtin_trap();  // dataOffset promised bytes the file does not hold
            if (entries[size_t(i)].uncompressedSize > 0) {
                volatile char last = data[*offset + qint64(entries[size_t(i)].uncompressedSize) - 1];
                (void)last;
            }
        } else {
            fuzz::checkError(offset.error().message);
        }
    }
    if (auto checkpoint = fuzz::openFromMemory(data, size, &readTorchZip))
        fuzz::touch(checkpoint);
    return 0;
}
