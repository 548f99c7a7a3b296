#include "core/formats/numpy_reader.h"

#include "core/base/display_format.h"
#include "core/formats/npy_header.h"
#include "core/formats/zip_archive.h"
#include "core/model/numpy_dtype.h"
#include "core/pickle/pickle_machine.h"

#include <algorithm>

namespace statelens {

namespace {

// An object array's pickle beyond this is no array a person opens to look at.
constexpr qint64 kMaxObjectPickleBytes = qint64(1) << 30;
// Enough for any header NumPy reads (kNumpyMaxHeaderChars, UTF-8) and its length fields.
constexpr qint64 kMaxHeaderBytes = 12 + 4 * kNumpyMaxHeaderChars;

// Where an array's bytes are: a file's own bytes, or a zip record's (stored or deflated).
struct ArrayPlace {
    int file = 0;
    qint64 fileOffset = -1;   // .npy: the header's end
    qint64 zipEntry = -1;     // .npz
    bool deflated = false;
    QString name;             // for messages and storage keys
};

// numpy.load of a .npy file reads its data with numpy.fromfile(count=product of the shape): a
// negative product reads every byte left, and the array is then given the header's shape, which
// takes one negative size as "whatever is left" (reshape's -1). So a header saying (-4,) over 16
// bytes of '<f4' gives 4 elements. An .npz record is read into numpy.ndarray(count), which refuses.
Result<QVector<qint64>> inferNegativeSize(Checkpoint& checkpoint, const NpyHeader& header, qint64 available, const ArrayPlace& place)
{
    QVector<qint64> shape = header.shape;
    const qsizetype negatives = std::count_if(shape.cbegin(), shape.cend(), [](qint64 dim) { return dim < 0; });
    if (negatives == 0)
        return shape;
    const NumpyType type = header.record ? NumpyType{} : numpyType(header.code);
    const qint64 itemSize = type.dtype != DType::Unknown ? type.size : header.record ? -1 : numpyItemSize(header.code);
    if (place.zipEntry >= 0 || negatives > 1 || itemSize <= 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: shape %2 has a negative size, which numpy.load refuses here").arg(place.name, formatShape(shape)));
    qint64 rest = 1;
    for (qint64 dim : shape) {
        if (dim >= 0 && (dim == 0 || rest > std::numeric_limits<qint64>::max() / dim))
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: shape %2 leaves no room to infer its negative size").arg(place.name, formatShape(shape)));
        rest *= dim >= 0 ? dim : 1;
    }
    const qint64 elements = (available - header.dataOffset) / itemSize;
    if (elements % rest != 0)
        return makeError(ErrorCode::Truncated, QStringLiteral("%1: cannot reshape array of size %2 into shape %3").arg(place.name).arg(elements).arg(formatShape(shape)));
    for (qint64& dim : shape) {
        if (dim < 0)
            dim = elements / rest;
    }
    checkpoint.warnings.append(QStringLiteral("%1: the header's shape %2 has a negative size; numpy.load infers it from the data, as we do: %3")
                                   .arg(place.name, formatShape(header.shape), formatShape(shape)));
    return shape;
}

Result<Value*> numericArray(Checkpoint& checkpoint, const NpyHeader& header, qint64 available, const ArrayPlace& place)
{
    TensorInfo array;
    array.shape = header.shape;
    if (auto inferred = inferNegativeSize(checkpoint, header, available, place); !inferred)
        return inferred.error();
    else
        array.shape = *inferred;
    qint64 numel = 0;
    if (!checkedNumel(array.shape, &numel))
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: shape %2 has more than 2^63 elements").arg(place.name, formatShape(header.shape)));
    NumpyType type;
    if (header.record) {
        array.kind = TensorKind::Array;
        array.numpyDtype = header.descr.simplified().left(200);
        array.strides = contiguousStrides(array.shape);
    } else {
        type = describeNumpyArray(&array, header.order, header.code, header.fortranOrder);
        if (header.order == QLatin1String(">") && type.size > 1)
            array.numpyDtype = header.order + header.code;  // numpy.load keeps the file's byte order
    }
    const qint64 itemSize = type.dtype != DType::Unknown ? type.size : header.record ? -1 : numpyItemSize(header.code);
    const qint64 dataBytes = available - header.dataOffset;
    if (itemSize > 0) {
        const bool fits = numel <= std::numeric_limits<qint64>::max() / itemSize;
        if (!fits || numel * itemSize > dataBytes)
            return makeError(ErrorCode::Truncated, QStringLiteral("%1: a %2 array of shape %3 needs %4 bytes of data, %5 follow the header")
                                                       .arg(place.name, array.numpyDtype, formatShape(header.shape))
                                                       .arg(fits ? QString::number(numel * itemSize) : QStringLiteral("more than 2^63"))
                                                       .arg(dataBytes));
    }
    if (type.dtype != DType::Unknown) {
        StorageInfo storage;
        storage.key = place.name;
        storage.dtype = type.dtype;
        storage.nbytes = numel * type.size;
        storage.location = QStringLiteral("cpu");
        storage.file = place.file;
        storage.bigEndian = header.order == QLatin1String(">") && type.size > 1;
        if (place.zipEntry >= 0) {
            storage.zipEntry = place.zipEntry;
            storage.recordOffset = header.dataOffset;
            storage.deflated = place.deflated;
        } else {
            storage.fileOffset = place.fileOffset;
        }
        checkpoint.storages.append(storage);
        array.storage = int(checkpoint.storages.size() - 1);
        array.dtype = type.dtype;
    }
    checkpoint.rebuilt.push_back(std::move(array));
    Value* value = checkpoint.arena.make(ValueKind::Tensor);
    value->index = int(checkpoint.rebuilt.size() - 1);
    return value;
}

// numpy.save writes an object array as pickle.dump(array, protocol=3) after the header.
Result<Value*> objectArray(Checkpoint& checkpoint, const char* data, qint64 size, const NpyHeader& header, const QString& name)
{
    PickleMachine machine(checkpoint);
    machine.setPickleName(name + QStringLiteral(" object array pickle"));
    auto value = machine.run(data + header.dataOffset, size - header.dataOffset);
    if (!value) {
        Error error = value.error();
        error.message = QStringLiteral("%1: object array pickle: %2").arg(name, error.message);
        return error;
    }
    const QString note = QStringLiteral("%1 is an object array: numpy.load unpickles it only with allow_pickle=True").arg(name);
    if (!checkpoint.warnings.contains(note))
        checkpoint.warnings.append(note);
    return *value;
}

}  // namespace

Result<Value*> readNumpyArray(Checkpoint& checkpoint, int fileIndex)
{
    const MappedFile& file = *checkpoint.files[size_t(fileIndex)].map;
    auto header = parseNpyHeader(file.data(), file.size());
    if (!header)
        return header.error();
    checkpoint.formatDetail = QStringLiteral("NumPy .npy, format version %1.%2, dtype %3").arg(header->major).arg(header->minor).arg(header->descr.left(80));
    if (header->holdsObjects())
        return objectArray(checkpoint, file.data(), file.size(), *header, QStringLiteral("the array"));
    ArrayPlace place;
    place.file = fileIndex;
    place.fileOffset = header->dataOffset;
    place.name = QStringLiteral("the array");
    return numericArray(checkpoint, *header, file.size(), place);
}

bool looksLikeNumpyArchive(const ZipArchive& archive)
{
    for (const ZipEntry& entry : archive.entries()) {
        if (entry.name.endsWith(QLatin1String(".npy")))
            return true;
    }
    return false;
}

Result<Value*> readNumpyArchive(Checkpoint& checkpoint, int fileIndex, const ZipArchive& archive)
{
    Value* root = checkpoint.arena.make(ValueKind::Dict);
    int arrays = 0, compressed = 0;
    QStringList others;
    const std::vector<ZipEntry>& entries = archive.entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        const ZipEntry& entry = entries[i];
        if (!entry.name.endsWith(QLatin1String(".npy"))) {
            others.append(entry.name);  // NpzFile hands these back as bytes: nothing is unpickled
            continue;
        }
        const QString key = entry.name.chopped(4);
        auto head = archive.readHead(int(i), kMaxHeaderBytes);
        if (!head)
            return head.error();
        auto header = parseNpyHeader(head->constData(), head->size());
        if (!header) {
            Error error = header.error();
            error.message = QStringLiteral("record '%1': %2").arg(entry.name, error.message);
            return error;
        }
        Result<Value*> value = static_cast<Value*>(nullptr);
        if (header->holdsObjects()) {
            auto bytes = archive.read(int(i), kMaxObjectPickleBytes);
            if (!bytes)
                return bytes.error();
            value = objectArray(checkpoint, bytes->constData(), bytes->size(), *header, QStringLiteral("record '%1'").arg(entry.name));
        } else {
            ArrayPlace place;
            place.file = fileIndex;
            place.zipEntry = qint64(i);
            place.deflated = entry.method != 0;
            place.name = QStringLiteral("record '%1'").arg(entry.name);
            // The record's own size: the directory's word, which reading the data checks.
            value = numericArray(checkpoint, *header, qint64(qMin<quint64>(entry.uncompressedSize, quint64(std::numeric_limits<qint64>::max()))), place);
            compressed += place.deflated ? 1 : 0;
        }
        if (!value)
            return value.error();
        Value* name = checkpoint.arena.make(ValueKind::String);
        name->text = key;
        root->extras().entries.emplace_back(name, *value);
        ++arrays;
    }
    checkpoint.formatDetail = QStringLiteral("NumPy .npz, %1 array%2%3").arg(arrays).arg(arrays == 1 ? "" : "s")
                                  .arg(compressed ? QStringLiteral(", %1 compressed").arg(compressed) : QString());
    if (!others.isEmpty())
        checkpoint.metadata.append({QStringLiteral("other records (read by numpy as bytes)"), others.mid(0, 20).join(QStringLiteral(", "))});
    return root;
}

}  // namespace statelens
