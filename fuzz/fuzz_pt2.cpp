// torch.export .pt2 archives: the JSON configs and the payload records they name. The reader is
// called directly on the archive's folder, so a mutated `archive_format` record does not turn
// the input into a plain torch zip.
#include "fuzz/fuzz_common.h"

#include "core/formats/pt2_reader.h"
#include "core/formats/zip_archive.h"

using namespace statelens;

namespace {

Result<Value*> readAsPt2(Checkpoint& checkpoint, int fileIndex, Format* format)
{
    *format = Format::TorchExport;
    SourceFile& source = checkpoint.files[size_t(fileIndex)];
    auto zip = ZipArchive::open(source.map);
    if (!zip)
        return zip.error();
    source.records = *zip;
    if ((*zip)->entries().empty())
        return makeError(ErrorCode::NotACheckpoint, QStringLiteral("empty archive"));
    const QString& first = (*zip)->entries().front().name;
    const qsizetype slash = first.indexOf(u'/');
    if (slash <= 0)
        return makeError(ErrorCode::NotACheckpoint, QStringLiteral("no archive folder"));
    return readTorchExport(checkpoint, fileIndex, *zip, first.left(slash));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (auto checkpoint = fuzz::openFromMemory(data, size, &readAsPt2))
        fuzz::touch(checkpoint);
    return 0;
}
