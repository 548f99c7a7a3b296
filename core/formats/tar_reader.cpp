// The torch 0.1.x tar format (checkpoint-formats.md §3.2), as torch's old `_save` wrote it:
// a PAX tar with four members, each a stream of pickles and raw binary.
//
//   sys_info  pickle {protocol_version, little_endian, type_sizes}        (torch never reads it)
//   pickle    the object; persistent ids are object keys or (module_class, source_file, source)
//   tensors   pickle num_tensors; per tensor pickle (key, storage_id, tensor_type), then
//             int32 ndim, 4 ignored bytes, ndim x int64 sizes, ndim x int64 strides, int64 offset
//   storages  pickle num_storages; per storage pickle (key, location, storage_type), then
//             int64 count + count elements; then pickle [(view_key, root_key, offset, numel)]
//
// Keys are decimal `_cdata` pointers: ints in `tensors`/`storages`, strings in `pickle`; torch
// matches them with int(saved_id), so keys are normalised to canonical decimal text here.
#include "core/formats/tar_reader.h"

#include "core/formats/storage_pid.h"
#include "core/formats/tar_index.h"

#include "core/base/checked_math.h"
#include "core/pickle/pickle_machine.h"

#include <QHash>
#include <QtEndian>

#include <cstring>

namespace statelens {

namespace {

// Messages interpolate names taken from the file: one multi-argument arg() call keeps a name
// such as "%2" from being taken for a placeholder.
QString num(qint64 value) { return QString::number(value); }

// ---- member streams ------------------------------------------------------------------------

// Sequential reads from one member's bytes; every read is checked against the member's end.
class MemberStream {
public:
    MemberStream(Checkpoint& checkpoint, const MappedFile& file, const QString& name, const TarMember& member, bool bigEndian)
        : m_checkpoint(checkpoint), m_data(file.data() + member.offset), m_base(member.offset), m_size(member.size),
          m_name(name), m_bigEndian(bigEndian)
    {
    }

    qint64 left() const { return m_size - m_pos; }
    qint64 absolute() const { return m_base + m_pos; }

    Result<Value*> pickle(PickleMachine::PersistentLoader loader = {}, int* protocol = nullptr)
    {
        // A hand-made archive may hold the member empty (burn's fixture does): say so, not "the
        // pickle ends at byte 0". torch.load's pickle.load fails there too.
        if (m_pos == 0 && m_size == 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar member '%1' is empty, but torch.save's tar format keeps a pickle there "
                                                                "(torch.load fails with EOFError: Ran out of input)").arg(m_name), m_base);
        PickleMachine machine(m_checkpoint);
        machine.setPickleName(QStringLiteral("tar member '%1'").arg(m_name));
        if (loader)
            machine.setPersistentLoader(std::move(loader));
        qint64 used = 0;
        auto value = machine.run(m_data + m_pos, m_size - m_pos, &used);
        if (!value) {
            Error error = value.error();
            error.offset = error.offset >= 0 ? absolute() + error.offset : absolute();
            error.message = QStringLiteral("tar member '%1': %2").arg(m_name, error.message);
            return error;
        }
        if (used <= 0 || used > left())
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar member '%1': a pickle ends outside the member").arg(m_name), absolute());
        m_pos += used;
        if (protocol)
            *protocol = machine.protocol();
        return value;
    }

    bool readInt32(qint32* value) { return readRaw(value, 4); }
    bool readInt64(qint64* value) { return readRaw(value, 8); }
    bool skip(qint64 count)
    {
        if (count < 0 || count > left())
            return false;
        m_pos += count;
        return true;
    }

    Error truncated(const QString& what) const
    {
        return makeError(ErrorCode::Truncated, QStringLiteral("tar member '%1' is truncated: %2").arg(m_name, what), absolute());
    }
    Error corrupt(const QString& what) const
    {
        return makeError(ErrorCode::Corrupt, QStringLiteral("tar member '%1': %2").arg(m_name, what), absolute());
    }

private:
    template <typename T>
    bool readRaw(T* value, qint64 width)
    {
        if (left() < width)
            return false;
        T raw;
        std::memcpy(&raw, m_data + m_pos, size_t(width));
        *value = m_bigEndian ? qFromBigEndian(raw) : qFromLittleEndian(raw);
        m_pos += width;
        return true;
    }

    Checkpoint& m_checkpoint;
    const char* m_data;
    qint64 m_base;
    qint64 m_size;
    qint64 m_pos = 0;
    QString m_name;
    bool m_bigEndian;
};

// torch matches keys with int(saved_id): "0012", 12 and "12" are the same object.
bool objectKey(const Value* value, QString* key)
{
    if (value && value->kind == ValueKind::BigInt) {
        *key = value->text;
        return true;
    }
    if (!textOf(value, key))
        return false;
    bool isNumber = false;
    const qint64 number = key->trimmed().toLongLong(&isNumber);
    if (isNumber)
        *key = QString::number(number);
    return true;
}

bool isInt(const Value* value) { return value && value->kind == ValueKind::Int; }

// ---- the reader ----------------------------------------------------------------------------

class TarLoader {
public:
    TarLoader(Checkpoint& checkpoint, int fileIndex)
        : m_checkpoint(checkpoint), m_fileIndex(fileIndex), m_file(*checkpoint.files[size_t(fileIndex)].map)
    {
    }

    Result<Value*> load()
    {
        auto indexed = indexTar(m_file);
        if (!indexed)
            return indexed.error();
        m_index = std::move(*indexed);

        readSysInfo();
        if (auto status = readStorages(); !status)
            return status.error();
        if (auto status = readTensors(); !status)
            return status.error();
        auto root = readObject();
        if (!root)
            return root.error();
        m_checkpoint.metadata.append({QStringLiteral("pickle protocol"), QString::number(m_protocol)});
        m_checkpoint.formatDetail = QStringLiteral("torch.save tar archive (torch 0.1.x), pickle protocol %1, %2 storages, %3 tensors")
                                        .arg(m_protocol).arg(m_storageByKey.size()).arg(m_tensorCount);
        return root;
    }

private:
    Result<MemberStream> member(const char* name)
    {
        const QString key = QLatin1String(name);
        const auto it = m_index.members.constFind(key);
        if (it == m_index.members.cend())
            return missingMember(key);
        if (it->truncated)
            return makeError(ErrorCode::Truncated, QStringLiteral("tar member '%1' is truncated: it needs %2 bytes at byte %3, the file has %4")
                                                       .arg(key, num(it->size), num(it->offset), num(m_file.size())), it->offset);
        return MemberStream(m_checkpoint, m_file, key, *it, m_bigEndian);
    }

    // Why a member is absent: the file was cut, it is some other tar archive, or it is damaged.
    Error missingMember(const QString& key) const
    {
        if (m_index.truncatedAt >= 0)
            return makeError(ErrorCode::Truncated, QStringLiteral("the tar archive is truncated at byte %1, before member '%2'").arg(num(m_index.truncatedAt), key), m_index.truncatedAt);
        if (!m_index.sawEndBlock)  // cut at a header boundary: nothing says the archive ended
            return makeError(ErrorCode::Truncated, QStringLiteral("the tar archive ends at byte %1 without member '%2': the file is truncated").arg(num(m_index.end), key), m_index.end);
        const bool torchLike = m_index.members.contains(QStringLiteral("pickle")) || m_index.members.contains(QStringLiteral("tensors"))
            || m_index.members.contains(QStringLiteral("storages"));
        if (!torchLike)
            return makeError(ErrorCode::NotACheckpoint, QStringLiteral("a tar archive, but not a torch.save checkpoint (it has no member '%1')").arg(key));
        return makeError(ErrorCode::Corrupt, QStringLiteral("the tar archive has no member '%1' of a torch.save checkpoint").arg(key));
    }

    // torch never reads sys_info; it only tells us the writer's byte order, so damage is a warning.
    void readSysInfo()
    {
        if (!m_index.members.contains(QStringLiteral("sys_info")))
            return;
        auto stream = member("sys_info");
        auto info = stream ? stream->pickle() : Result<Value*>(stream.error());
        if (!info || (*info)->kind != ValueKind::Dict) {
            m_checkpoint.warnings.append(QStringLiteral("tar member 'sys_info' is unreadable and was ignored"));
            return;
        }
        if (const Value* version = (*info)->find(u"protocol_version"); isInt(version))
            m_checkpoint.metadata.append({QStringLiteral("protocol version"), QString::number(version->integer)});
        if (const Value* little = (*info)->find(u"little_endian"); little && little->kind == ValueKind::Bool) {
            // The old writer dumped native integers and storage bytes; a big-endian host wrote both
            // big-endian (no such file seen; read as the writer's code implies).
            m_bigEndian = !little->boolean;
            m_checkpoint.metadata.append({QStringLiteral("byteorder"), m_bigEndian ? QStringLiteral("big") : QStringLiteral("little")});
        }
    }

    Status readStorages()
    {
        auto opened = member("storages");
        if (!opened)
            return opened.error();
        MemberStream& stream = *opened;
        qint64 count = 0;
        if (auto status = readCount(stream, 8, &count); !status)
            return status;
        for (qint64 i = 0; i < count; ++i) {
            if (auto status = readStorage(stream); !status)
                return status;
        }
        auto views = stream.pickle();
        if (!views)
            return views.error();
        if ((*views)->kind != ValueKind::List && (*views)->kind != ValueKind::Tuple)
            return stream.corrupt(QStringLiteral("the storage view list is %1, not a list").arg((*views)->summary(60)));
        for (const Value* view : (*views)->items) {
            if (auto status = addView(stream, view); !status)
                return status;
        }
        if (stream.left() > 0)
            m_checkpoint.warnings.append(QStringLiteral("%1 bytes after the storage views in tar member 'storages' are ignored").arg(stream.left()));
        return Ok{};
    }

    // A count pickled before the records it announces; each record takes at least `minBytes`.
    static Status readCount(MemberStream& stream, qint64 minBytes, qint64* count)
    {
        auto value = stream.pickle();
        if (!value)
            return value.error();
        if (!isInt(*value) || (*value)->integer < 0)
            return stream.corrupt(QStringLiteral("the record count is %1, not a count").arg((*value)->summary(40)));
        if ((*value)->integer > stream.left() / minBytes)
            return stream.truncated(QStringLiteral("%1 records announced, only %2 bytes follow").arg((*value)->integer).arg(stream.left()));
        *count = (*value)->integer;
        return Ok{};
    }

    // (key, location, storage_type), then int64 element count and the elements.
    Status readStorage(MemberStream& stream)
    {
        auto header = stream.pickle();
        if (!header)
            return header.error();
        const Value* tuple = *header;
        QString key, location;
        if (tuple->kind != ValueKind::Tuple || tuple->items.size() != 3 || !objectKey(tuple->items[0], &key))
            return stream.corrupt(QStringLiteral("a storage header is %1, not (key, location, type)").arg(tuple->summary(80)));
        if (!textOf(tuple->items[1], &location))
            location = QStringLiteral("cpu");
        const Value* type = tuple->items[2];
        const DType dtype = type->kind == ValueKind::Global ? dtypeFromStorageClass(type->text) : DType::Unknown;
        if (dtype == DType::Unknown)
            return makeError(ErrorCode::Unsupported, QStringLiteral("storage '%1' has unknown type %2").arg(key, type->summary(60)), stream.absolute());
        if (m_storageByKey.contains(key))
            return stream.corrupt(QStringLiteral("storage '%1' is stored twice").arg(key));

        qint64 numel = 0;
        if (!stream.readInt64(&numel))
            return stream.truncated(QStringLiteral("storage '%1' has no element count").arg(key));
        qint64 nbytes = 0;
        if (numel < 0 || !checkedMul(numel, dtypeItemSize(dtype), &nbytes))
            return stream.corrupt(QStringLiteral("storage '%1' has a bad element count %2").arg(key, num(numel)));
        if (nbytes > stream.left())
            return stream.truncated(QStringLiteral("storage '%1' needs %2 bytes, %3 are left").arg(key, num(nbytes), num(stream.left())));
        StorageInfo info;
        info.key = key;
        info.dtype = dtype;
        info.nbytes = nbytes;
        info.location = location;
        info.file = m_fileIndex;
        info.fileOffset = stream.absolute();
        info.bigEndian = m_bigEndian;
        addStorage(std::move(info));
        stream.skip(nbytes);
        return Ok{};
    }

    // (view_key, root_key, offset, numel) in elements of the root: the view aliases its bytes.
    Status addView(const MemberStream& stream, const Value* view)
    {
        QString viewKey, rootKey;
        if (view->kind != ValueKind::Tuple || view->items.size() != 4 || !objectKey(view->items[0], &viewKey)
            || !objectKey(view->items[1], &rootKey) || !isInt(view->items[2]) || !isInt(view->items[3])
            || view->items[2]->integer < 0 || view->items[3]->integer < 0)
            return stream.corrupt(QStringLiteral("a storage view is %1, not (key, root, offset, numel)").arg(view->summary(80)));
        const int rootIndex = m_storageByKey.value(rootKey, -1);
        if (rootIndex < 0)
            return stream.corrupt(QStringLiteral("view '%1' refers to storage '%2', which is not stored").arg(viewKey, rootKey));
        if (m_storageByKey.contains(viewKey))
            return stream.corrupt(QStringLiteral("storage '%1' is stored twice").arg(viewKey));
        const StorageInfo root = m_checkpoint.storages[rootIndex];
        const qint64 itemSize = dtypeItemSize(root.dtype);
        const qint64 offset = view->items[2]->integer;
        const qint64 numel = view->items[3]->integer;
        qint64 end = 0;
        if (!checkedAdd(offset, numel, &end) || end > root.nbytes / itemSize)
            return stream.corrupt(QStringLiteral("view '%1' (%2 elements at %3) runs past storage '%4' (%5 elements)")
                                      .arg(viewKey, num(numel), num(offset), rootKey, num(root.nbytes / itemSize)));
        StorageInfo info = root;  // end <= root numel, so these products cannot overflow
        info.key = viewKey;
        info.nbytes = numel * itemSize;
        info.fileOffset = root.fileOffset + offset * itemSize;
        addStorage(std::move(info));
        return Ok{};
    }

    void addStorage(StorageInfo info)
    {
        const int index = m_checkpoint.storages.size();
        Value* value = m_checkpoint.arena.make(ValueKind::Storage);
        value->index = index;
        value->dtype = info.dtype;
        m_storageByKey.insert(info.key, index);
        m_objects.insert(info.key, value);
        m_checkpoint.storages.append(std::move(info));
    }

    Status readTensors()
    {
        auto opened = member("tensors");
        if (!opened)
            return opened.error();
        MemberStream& stream = *opened;
        qint64 count = 0;
        if (auto status = readCount(stream, 16, &count); !status)  // ndim + padding + offset
            return status;
        for (qint64 i = 0; i < count; ++i) {
            if (auto status = readTensor(stream); !status)
                return status;
        }
        m_tensorCount = count;
        return Ok{};
    }

    // (key, storage_id, tensor_type), then the geometry in 64-bit little-endian words.
    Status readTensor(MemberStream& stream)
    {
        auto header = stream.pickle();
        if (!header)
            return header.error();
        const Value* tuple = *header;
        QString key;
        if (tuple->kind != ValueKind::Tuple || tuple->items.size() != 3 || !objectKey(tuple->items[0], &key))
            return stream.corrupt(QStringLiteral("a tensor header is %1, not (key, storage, type)").arg(tuple->summary(80)));
        if (m_objects.contains(key) && m_objects.value(key)->kind == ValueKind::Tensor)
            return stream.corrupt(QStringLiteral("tensor '%1' is stored twice").arg(key));

        TensorInfo tensor;
        if (auto status = readGeometry(stream, key, &tensor); !status)
            return status;
        if (auto status = attachStorage(stream, key, tuple->items[1], tuple->items[2], &tensor); !status)
            return status;

        Value* value = m_checkpoint.arena.make(ValueKind::Tensor);
        value->index = int(m_checkpoint.rebuilt.size());
        value->dtype = tensor.dtype;
        m_checkpoint.rebuilt.push_back(std::move(tensor));
        m_objects.insert(key, value);  // torch's deserialized_objects: a tensor replaces a same-key storage
        return Ok{};
    }

    // int32 ndim + 4 ignored bytes (the oldest writer wrote an int through an 8-byte long),
    // sizes, strides, storage offset.
    static Status readGeometry(MemberStream& stream, const QString& key, TensorInfo* tensor)
    {
        qint32 ndim = 0;
        if (!stream.readInt32(&ndim) || !stream.skip(4))
            return stream.truncated(QStringLiteral("tensor '%1' has no dimension count").arg(key));
        if (ndim < 0)
            return stream.corrupt(QStringLiteral("tensor '%1' has %2 dimensions").arg(key, num(ndim)));
        if (ndim > (stream.left() - 8) / 16)
            return stream.truncated(QStringLiteral("tensor '%1' needs %2 geometry bytes, %3 are left").arg(key, num(16 * qint64(ndim) + 8), num(stream.left())));
        tensor->shape.resize(ndim);
        tensor->strides.resize(ndim);
        for (qint32 i = 0; i < ndim; ++i)
            stream.readInt64(&tensor->shape[i]);
        for (qint32 i = 0; i < ndim; ++i)
            stream.readInt64(&tensor->strides[i]);
        stream.readInt64(&tensor->storageOffset);
        for (qint32 i = 0; i < ndim; ++i) {
            // torch never writes negative strides; refusing them keeps every index non-negative.
            if (tensor->shape[i] < 0 || tensor->strides[i] < 0)
                return stream.corrupt(QStringLiteral("tensor '%1' has a negative size or stride").arg(key));
        }
        if (tensor->storageOffset < 0)
            return stream.corrupt(QStringLiteral("tensor '%1' has a negative storage offset").arg(key));
        return Ok{};
    }

    Status attachStorage(const MemberStream& stream, const QString& key, const Value* storageId, const Value* tensorType, TensorInfo* tensor)
    {
        if (storageId->kind == ValueKind::None) {
            // The oldest writer saved storage-less (empty) tensors with storage_id None. In TH an
            // empty tensor had 0 dimensions, not the one element a 0-dim tensor has today.
            const QString typeName = tensorType->kind == ValueKind::Global ? tensorType->text : QString();
            tensor->dtype = dtypeFromStorageClass(typeName.endsWith(QLatin1String("Tensor")) ? typeName.chopped(6) + QLatin1String("Storage") : QString());
            if (tensor->shape.isEmpty()) {
                tensor->shape = {0};
                tensor->strides = {1};
            }
            if (tensor->numel() != 0)
                return stream.corrupt(QStringLiteral("tensor '%1' has elements but no storage").arg(key));
            return Ok{};
        }
        QString storageKey;
        const int storage = objectKey(storageId, &storageKey) ? m_storageByKey.value(storageKey, -1) : -1;
        if (storage < 0)
            return stream.corrupt(QStringLiteral("tensor '%1' refers to storage %2, which is not stored").arg(key, storageId->summary(40)));
        const StorageInfo& info = m_checkpoint.storages[storage];
        tensor->storage = storage;
        tensor->dtype = info.dtype;
        tensor->device = info.location;
        qint64 numel = 0;
        if (!checkedNumel(tensor->shape, &numel))
            return stream.corrupt(QStringLiteral("tensor '%1' has an element count that overflows").arg(key));
        if (numel == 0)
            return Ok{};  // no element is read, so torch does not constrain the offset
        qint64 extent = 0;
        const qint64 storageNumel = info.nbytes / dtypeItemSize(info.dtype);
        if (!checkedExtent(tensor->shape, tensor->strides, tensor->storageOffset, &extent) || extent >= storageNumel)
            return stream.corrupt(QStringLiteral("tensor '%1' reaches element %2 of storage '%3', which has %4")
                                      .arg(key, num(extent), info.key, num(storageNumel)));
        return Ok{};
    }

    Result<Value*> readObject()
    {
        auto opened = member("pickle");
        if (!opened)
            return opened.error();
        return opened->pickle([this](Value* pid) { return resolve(pid); }, &m_protocol);
    }

    Result<Value*> resolve(Value* pid)
    {
        if (pid && pid->kind == ValueKind::Tuple) {
            // (module_class, source_file, source): the class stands for itself; its source is never run.
            if (pid->items.empty())
                return makeError(ErrorCode::Corrupt, QStringLiteral("tar member 'pickle': empty persistent id"));
            return pid->items[0];
        }
        QString key;
        if (!objectKey(pid, &key))
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar member 'pickle': persistent id %1 is not an object key").arg(pid ? pid->summary(40) : QStringLiteral("nothing")));
        Value* object = m_objects.value(key, nullptr);
        if (!object)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar member 'pickle' refers to object '%1', which is neither a stored tensor nor a stored storage").arg(key));
        return object;
    }

    Checkpoint& m_checkpoint;
    int m_fileIndex;
    const MappedFile& m_file;
    TarIndex m_index;
    bool m_bigEndian = false;
    QHash<QString, int> m_storageByKey;   // storage key -> index in Checkpoint::storages
    QHash<QString, Value*> m_objects;     // torch's deserialized_objects: key -> Storage or Tensor
    qint64 m_tensorCount = 0;
    int m_protocol = 0;
};

}  // namespace

Result<Value*> readTorchTar(Checkpoint& checkpoint, int fileIndex)
{
    TarLoader loader(checkpoint, fileIndex);
    return loader.load();
}

}  // namespace statelens
