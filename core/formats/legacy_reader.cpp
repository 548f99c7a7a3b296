#include "core/formats/legacy_reader.h"

#include "core/formats/storage_pid.h"

#include "core/base/checked_math.h"
#include "core/pickle/global_sweep.h"
#include "core/pickle/pickle_machine.h"

#include <QHash>
#include <QtEndian>

#include <cstring>

namespace statelens {

namespace {

// 0x1950A86A20F9469CFC6C, torch's MAGIC_NUMBER, as the pickle's LONG decodes it.
const QLatin1String kMagicDecimal("119547037146038801333356");
constexpr qint64 kProtocolVersion = 1001;

struct LegacyStorage {
    int index = -1;     // into Checkpoint::storages
    QString rootKey;    // for old view storages: the storage whose bytes they alias
    qint64 viewOffset = 0;  // in elements of the root
};

class LegacyLoader {
public:
    explicit LegacyLoader(Checkpoint& checkpoint, int fileIndex) : m_checkpoint(checkpoint), m_fileIndex(fileIndex) {}

    Result<Value*> load(Value* pid)
    {
        // ('module', class, source_file, source): the first sight of a Module subclass in a
        // whole-model pickle. The class stands for itself; its source is never run.
        QString tag;
        if (pid && pid->kind == ValueKind::Tuple && !pid->items.empty() && textOf(pid->items[0], &tag)
            && tag == QLatin1String("module")) {
            return pid->items.size() > 1 ? pid->items[1] : m_checkpoint.arena.make(ValueKind::None);
        }
        auto parsed = parseStoragePid(pid);
        if (!parsed)
            return parsed.error();
        const StoragePid& storage = *parsed;
        const qint64 nbytes = storage.nbytes;

        if (!m_storages.contains(storage.key)) {
            LegacyStorage entry;
            entry.index = addStorage(storage.key, storage.dtype, nbytes, storage.location);
            m_storages.insert(storage.key, entry);
        }
        int index = m_storages.value(storage.key).index;
        if (storage.viewMetadata) {
            // (view_key, offset, view_size): pre-1.0 files described views of a root storage.
            const Value* view = storage.viewMetadata;
            QString viewKey;
            if (view->kind != ValueKind::Tuple || view->items.size() != 3 || !textOf(view->items[0], &viewKey)
                || view->items[1]->kind != ValueKind::Int || view->items[2]->kind != ValueKind::Int
                || view->items[1]->integer < 0 || view->items[2]->integer < 0)
                return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' has malformed view metadata").arg(storage.key));
            qint64 end = 0;
            if (!checkedAdd(view->items[1]->integer, view->items[2]->integer, &end) || end > storage.numel)
                return makeError(ErrorCode::Corrupt, QStringLiteral("view '%1' runs past its storage '%2'").arg(viewKey, storage.key));
            if (!m_storages.contains(viewKey)) {
                LegacyStorage entry;
                entry.index = addStorage(viewKey, storage.dtype, view->items[2]->integer * dtypeItemSize(storage.dtype), storage.location);
                entry.rootKey = storage.key;
                entry.viewOffset = view->items[1]->integer;
                m_storages.insert(viewKey, entry);
            }
            index = m_storages.value(viewKey).index;
        }
        Value* value = m_checkpoint.arena.make(ValueKind::Storage);
        value->index = index;
        value->dtype = storage.dtype;
        return value;
    }

    // After the pickles: `keys` lists the storages in file order, each as int64 count + bytes.
    Status locate(const Value* keys, qint64 position)
    {
        const MappedFile& file = *m_checkpoint.files[size_t(m_fileIndex)].map;
        if (!keys || keys->kind != ValueKind::List)
            return makeError(ErrorCode::Corrupt, QStringLiteral("the storage key list is missing"), position);
        for (const Value* keyValue : keys->items) {
            QString key;
            if (!textOf(keyValue, &key))
                return makeError(ErrorCode::Corrupt, QStringLiteral("a storage key is not a string"), position);
            if (!m_storages.contains(key) || !m_storages.value(key).rootKey.isEmpty())
                return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' is stored but never used").arg(key), position);
            StorageInfo& storage = m_checkpoint.storages[m_storages.value(key).index];
            if (!file.contains(position, 8))
                return makeError(ErrorCode::Truncated, QStringLiteral("truncated: storage '%1' should start at byte %2").arg(key).arg(position), position);
            qint64 count = 0;
            std::memcpy(&count, file.data() + position, 8);  // little-endian on every writer
            count = qFromLittleEndian(count);
            qint64 nbytes = 0;
            if (count < 0 || !checkedMul(count, dtypeItemSize(storage.dtype), &nbytes) || nbytes != storage.nbytes)
                return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' has wrong byte size: %2 elements stored, the pickle says %3")
                                                         .arg(key).arg(count).arg(storage.nbytes / dtypeItemSize(storage.dtype)), position);
            position += 8;
            if (!file.contains(position, nbytes))
                return makeError(ErrorCode::Truncated, QStringLiteral("truncated: storage '%1' needs %2 bytes at byte %3, the file has %4")
                                                           .arg(key).arg(nbytes).arg(position).arg(file.size()), position);
            storage.fileOffset = position;
            position += nbytes;
        }
        for (auto it = m_storages.cbegin(); it != m_storages.cend(); ++it) {
            StorageInfo& storage = m_checkpoint.storages[it->index];
            if (!it->rootKey.isEmpty()) {
                const StorageInfo& root = m_checkpoint.storages[m_storages.value(it->rootKey).index];
                storage.fileOffset = root.fileOffset + it->viewOffset * dtypeItemSize(root.dtype);
            } else if (storage.fileOffset < 0) {
                return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' is used but not stored in the file").arg(it.key()));
            }
        }
        if (position != file.size())
            m_checkpoint.warnings.append(QStringLiteral("%1 bytes after the last storage are ignored").arg(file.size() - position));
        return Ok{};
    }

private:
    int addStorage(const QString& key, DType dtype, qint64 nbytes, const QString& location)
    {
        StorageInfo info;
        info.key = key;
        info.dtype = dtype;
        info.nbytes = nbytes;
        info.location = location;
        info.file = m_fileIndex;
        m_checkpoint.storages.append(info);
        return m_checkpoint.storages.size() - 1;
    }

    Checkpoint& m_checkpoint;
    int m_fileIndex;
    QHash<QString, LegacyStorage> m_storages;
};

}  // namespace

namespace {

// The first pickle of a file is named before it is known whether it is torch's magic number or
// a raw pickle file's only pickle; rawPickle renames what was recorded under this name.
const QString& firstPickleName()
{
    static const QString name = QStringLiteral("first pickle (a legacy file's magic number)");
    return name;
}

// A raw pickle file (pickle.dump of anything), not torch.save's legacy layout: pickle.load reads
// its first pickle, and so do we. Several pickles may follow one another (a loader calling
// pickle.load repeatedly runs each; picklescan's malicious6.pkl hides a call in the second): what
// follows the first is swept for the globals it names.
Result<Value*> rawPickle(Checkpoint& checkpoint, const MappedFile& file, Value* value, qint64 firstEnd, int protocol, bool joblib,
                         Format* format)
{
    *format = joblib ? Format::Joblib : Format::Pickle;
    for (OtherReading& reading : checkpoint.otherReadings) {
        if (reading.pickle == firstPickleName())
            reading.pickle = QStringLiteral("the pickle");
    }
    if (firstEnd < file.size()) {
        SweepOptions options;
        options.acrossStops = true;
        addOtherReadings(checkpoint, OtherReading::Kind::AfterStop, QStringLiteral("the pickles after the first"), firstEnd,
                         sweepGlobals(file.data() + firstEnd, file.size() - firstEnd, options));
    }
    checkpoint.metadata.append({QStringLiteral("pickle protocol"), QString::number(protocol)});
    const QString what = joblib ? QStringLiteral("a joblib file (joblib.dump)") : QStringLiteral("a pickle file (pickle.dump)");
    checkpoint.formatDetail = firstEnd < file.size()
                                  ? QStringLiteral("%1, protocol %2; %3 bytes follow its STOP").arg(what).arg(protocol).arg(file.size() - firstEnd)
                                  : QStringLiteral("%1, protocol %2").arg(what).arg(protocol);
    return value;
}

}  // namespace

Result<Value*> readTorchLegacy(Checkpoint& checkpoint, int fileIndex, Format* format)
{
    *format = Format::TorchLegacy;
    const MappedFile& file = *checkpoint.files[size_t(fileIndex)].map;
    LegacyLoader loader(checkpoint, fileIndex);
    qint64 position = 0;
    int protocol = 0;
    // magic, protocol version, sys_info, the object, the storage keys: five pickles in a row.
    Value* parts[5] = {};
    // The magic number made by a call we do not run (picklescan's pytorch_magic_bypass.pt: eval of
    // a hex literal): torch.load compares what the call returns and, when it matches, reads on. So
    // do we, to name the globals of the other pickles, but such a file is never listed.
    const Value* computedMagic = nullptr;
    int firstProtocol = 0;
    static const char* const kNames[] = {"magic number", "protocol version", "system info", "object", "storage keys"};
    for (int part = 0; part < 5; ++part) {
        // A call's result alone in the file is a raw pickle (pickle.dump of an object that reduces
        // to a call), read as pickle.load reads it. A lone magic number is named for what it is
        // rather than by the error the missing second pickle would give.
        if (part == 1 && position == file.size() && computedMagic)
            return rawPickle(checkpoint, file, parts[0], position, firstProtocol, false, format);  // a call's result, alone
        if (part > 0 && position == file.size())
            return makeError(ErrorCode::NotACheckpoint, QStringLiteral("a pickle file holding one pickle, not a torch.save checkpoint "
                                                                       "(whose legacy format holds five)"));
        PickleMachine machine(checkpoint);
        // The first pickle is a raw pickle file's only one: named for both readings.
        machine.setPickleName(part == 0 ? firstPickleName()
                                        : QStringLiteral("legacy %1 pickle (from byte %2)").arg(QLatin1String(kNames[part])).arg(position));
        if (part == 3)
            machine.setPersistentLoader([&loader](Value* pid) { return loader.load(pid); });
        // A joblib file is one pickle whose arrays' bytes sit between its opcodes.
        if (part == 0)
            machine.setJoblibArrays({fileIndex, 0});
        qint64 used = 0;
        const qsizetype readingsBefore = checkpoint.otherReadings.size(), unsafeBefore = checkpoint.unsafeGlobals.size();
        auto value = machine.run(file.data() + position, file.size() - position, &used);
        // A raw pickle whose object is a call's result, then bytes that start no pickle at all
        // (modelscan's malicious14.pkl: whitespace): pickle.load reads the one pickle and stops.
        // torch.load would only read on if the call returned its magic number; what follows is
        // swept as bytes after STOP, not as a second pickle that failed.
        if (!value && part == 1 && computedMagic && value.error().offset == 0) {
            checkpoint.otherReadings.resize(readingsBefore);
            checkpoint.unsafeGlobals.resize(unsafeBefore);
            return rawPickle(checkpoint, file, parts[0], position, firstProtocol, false, format);
        }
        if (!value) {
            Error error = value.error();
            if (error.offset >= 0)
                error.offset += position;
            error.message = part == 0 ? QStringLiteral("first pickle: %1").arg(error.message)
                                      : QStringLiteral("legacy %1 pickle: %2").arg(QLatin1String(kNames[part]), error.message);
            return error;
        }
        parts[part] = *value;
        if (part == 0) {
            firstProtocol = machine.protocol();
            if ((*value)->kind == ValueKind::Object)
                computedMagic = *value;
            else if ((*value)->kind != ValueKind::BigInt || (*value)->text != kMagicDecimal)
                return rawPickle(checkpoint, file, *value, used, machine.protocol(), machine.sawJoblibArrays(), format);
        } else if (part == 1) {
            if ((*value)->kind != ValueKind::Int || (*value)->integer != kProtocolVersion)
                return makeError(ErrorCode::Unsupported, QStringLiteral("unsupported legacy protocol version %1").arg((*value)->summary(20)));
        } else if (part == 3) {
            protocol = machine.protocol();
        }
        position += used;
    }
    if (computedMagic) {
        return makeError(ErrorCode::NotACheckpoint,
                         QStringLiteral("a pickle file whose magic number is computed by a call torch.load would run (%1); "
                                        "its five pickles were read for their globals only")
                             .arg(computedMagic->summary(60)));
    }
    if (auto status = loader.locate(parts[4], position); !status)
        return status.error();
    checkpoint.metadata.append({QStringLiteral("pickle protocol"), QString::number(protocol)});
    checkpoint.formatDetail = QStringLiteral("legacy torch.save (pre-1.6 layout), pickle protocol %1, %2 storages")
                                  .arg(protocol).arg(parts[4]->items.size());
    return parts[3];
}

}  // namespace statelens
