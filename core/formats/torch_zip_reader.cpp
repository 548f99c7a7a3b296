#include "core/formats/torch_zip_reader.h"

#include "core/base/reserve_growing.h"

#include "core/formats/format_sniffer.h"
#include "core/formats/numpy_reader.h"
#include "core/formats/pt2_reader.h"
#include "core/formats/storage_pid.h"
#include "core/formats/torchscript_classes.h"
#include "core/formats/zip_archive.h"

#include "core/pickle/global_sweep.h"
#include "core/pickle/pickle_machine.h"


namespace statelens {

namespace {

constexpr qint64 kMaxSmallRecord = 4096;       // version, byteorder, archive_format
constexpr qint64 kMaxPickleBytes = 4ll << 30;  // data.pkl beyond 4 GiB is not a checkpoint

// torch's rule: the archive folder is everything before the first '/' of the first entry.
Result<QString> archivePrefix(const ZipArchive& zip)
{
    if (zip.entries().empty())
        return makeError(ErrorCode::NotACheckpoint, QStringLiteral("the zip archive is empty"));
    const QString& first = zip.entries().front().name;
    const qsizetype slash = first.indexOf(u'/');
    if (slash <= 0)
        return makeError(ErrorCode::NotACheckpoint, QStringLiteral("zip archive is not a PyTorch archive: its first record '%1' is not in a folder").arg(first));
    return first.left(slash);
}

QString readSmallRecord(const ZipArchive& zip, const QString& name)
{
    const int entry = zip.find(name);
    if (entry < 0)
        return {};
    auto bytes = zip.read(entry, kMaxSmallRecord);
    return bytes ? QString::fromUtf8(*bytes).trimmed() : QString();
}

// The number a canonical decimal names ("0", "17"; not "007", "+1" or " 1"), -1 for any other
// text or a number not below `limit`.
qint64 canonicalDecimal(QStringView text, qint64 limit)
{
    if (text.isEmpty() || text.size() > 12 || (text.size() > 1 && text.front() == u'0'))
        return -1;
    qint64 number = 0;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9')
            return -1;
        number = number * 10 + (c.unicode() - u'0');
    }
    return number < limit ? number : -1;
}

// Loads storages named by persistent ids in one pickle (`data.pkl` -> records `data/<key>`,
// TorchScript `constants.pkl` -> `constants/<key>`), one StorageInfo per distinct key.
class ZipStorageLoader {
public:
    ZipStorageLoader(Checkpoint& checkpoint, const ZipArchive& zip, int fileIndex, QString recordFolder, bool bigEndian)
        : m_checkpoint(checkpoint), m_zip(zip), m_fileIndex(fileIndex), m_folder(std::move(recordFolder)), m_bigEndian(bigEndian)
    {
        // Every storage is a record of its own, so the archive's entry count (already read and
        // held in memory) bounds how many there can be: room for them up front saves regrowing
        // 100 000 times over. Tensors are usually one per storage: the same room for them (a
        // hint; views of one storage go beyond it) saves moving 256-byte TensorInfos 17 times.
        const size_t records = zip.entries().size();
        m_storageOfEntry.assign(records, -1);
        reserveGrowing(m_checkpoint.storages, size_t(m_checkpoint.storages.size()) + size_t(records));
        reserveGrowing(m_checkpoint.rebuilt, m_checkpoint.rebuilt.size() + size_t(records));

        // torch names storages 0, 1, 2, ...: a table from that number to the record's entry,
        // filled in one pass over the names in directory order, answers each persistent id
        // without building "folder/key" and hashing it into the archive's index (a cache miss
        // per tensor: 8% of opening 100 000 of them).
        m_entryOfNumber.assign(records, -1);
        for (size_t entry = 0; entry < records; ++entry) {
            const QString& name = zip.entries()[entry].name;
            if (!name.startsWith(m_folder))
                continue;
            const qint64 number = canonicalDecimal(QStringView(name).sliced(m_folder.size()), qint64(records));
            if (number >= 0)
                m_entryOfNumber[size_t(number)] = int(entry);
        }
    }

    Result<Value*> load(Value* pid)
    {
        auto parsed = parseStoragePid(pid);
        if (!parsed)
            return parsed.error();
        const StoragePid& storage = *parsed;
        const qint64 nbytes = storage.nbytes;

        // The record: by number through the table, else through the archive's index. Storages
        // are deduplicated by record, so that one lookup answers "is it there" and "seen before".
        const qint64 number = canonicalDecimal(storage.key, qint64(m_entryOfNumber.size()));
        int entry = number >= 0 ? m_entryOfNumber[size_t(number)] : -1;
        if (entry < 0)
            entry = m_zip.find(m_folder + storage.key);
        // The record's name below the archive folder ("data/0"), without QString::section.
        const auto recordName = [this, &storage]() -> QString {
            return QStringView(m_folder).sliced(m_folder.indexOf(u'/') + 1) + storage.key;
        };
        if (entry < 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("storage record '%1' named by the pickle is missing from the archive").arg(recordName()));
        int& index = m_storageOfEntry[size_t(entry)];
        if (index < 0) {
            const ZipEntry& info = m_zip.entries()[size_t(entry)];
            if (info.uncompressedSize < quint64(nbytes))
                return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' holds %2 bytes but the pickle says %3 (%4 x %5)")
                                                         .arg(recordName()).arg(info.uncompressedSize).arg(nbytes).arg(storage.numel).arg(dtypeName(storage.dtype)));
            StorageInfo added;
            added.key = storage.key;
            added.record = recordName();
            added.dtype = storage.dtype;
            added.nbytes = nbytes;
            added.location = storage.location;
            added.file = m_fileIndex;
            added.zipEntry = entry;
            added.bigEndian = m_bigEndian;
            index = m_checkpoint.storages.size();
            m_checkpoint.storages.append(std::move(added));
        }
        Value* value = m_checkpoint.arena.make(ValueKind::Storage);
        value->index = index;
        value->dtype = storage.dtype;  // each reference carries its own class (v3 uses UntypedStorage)
        return value;
    }

private:
    Checkpoint& m_checkpoint;
    const ZipArchive& m_zip;
    int m_fileIndex;
    QString m_folder;
    bool m_bigEndian;
    std::vector<int> m_storageOfEntry;  // per archive entry: its index in Checkpoint::storages, -1 until named
    std::vector<int> m_entryOfNumber;   // per storage number n: the entry named m_folder + "n", -1 when none
};

// torch's unpicklers stop at STOP and never look at what follows; its writers leave nothing there.
// A reader that goes on (a second pickle.load on the same stream, a scanner that walks the whole
// record) reads other opcodes: the difference is noted and what follows is swept for globals.
void noteBytesAfterStop(Checkpoint& checkpoint, const QString& recordName, const char* bytes, qint64 size, qint64 end,
                        bool torchScript)
{
    const QString note = QStringLiteral("%1: %2 bytes follow its STOP at byte %3: torch.load never reads them, a reader "
                                        "that goes on reads them as more opcodes")
                             .arg(recordName).arg(size - end).arg(end - 1);
    checkpoint.readingDifferences.append(note);
    checkpoint.warnings.append(note);
    SweepOptions options;
    options.acrossStops = true;
    addOtherReadings(checkpoint, OtherReading::Kind::AfterStop, recordName, end, sweepGlobals(bytes + end, size - end, options),
                     torchScript);
}

// Two records of one name (or names one to torch's case-blind lookup): loaders and scanners may
// read different ones. Refused, after every pickle record has been swept for the globals it names,
// so that the scan names what any of them would import.
Error refuseTwins(Checkpoint& checkpoint, const ZipArchive& archive)
{
    checkpoint.readingDifferences.append(archive.twinProblem());
    const std::vector<ZipEntry>& entries = archive.entries();
    for (size_t entry = 0; entry < entries.size(); ++entry) {
        if (!entries[entry].name.endsWith(QLatin1String(".pkl"), Qt::CaseInsensitive))
            continue;
        const auto bytes = archive.readForSweep(int(entry), kMaxPickleBytes);
        if (!bytes)
            continue;
        SweepOptions options;
        options.acrossStops = true;
        addOtherReadings(checkpoint, OtherReading::Kind::TwinRecord, entries[entry].name, 0,
                         sweepGlobals(bytes->constData(), bytes->size(), options));
    }
    return makeError(ErrorCode::Corrupt, archive.twinProblem());
}

// A zip that is no torch layout (no archive folder, no data.pkl, records outside the folder) may
// still carry pickles that some loader unpickles (picklescan's malicious1.zip: a bare data.pkl calling eval). Before the
// archive is refused, each record whose bytes read as a pickle is swept for its globals. Returns
// what the refusal should add: the records whose content could not be looked at (encrypted ones,
// modelscan's password_protected.zip), so that nobody takes "not a PyTorch archive" for "checked".
QString sweepForeignZip(Checkpoint& checkpoint, const ZipArchive& archive)
{
    constexpr qint64 kMaxSweptRecord = qint64(64) << 20;
    constexpr size_t kMaxSweptRecords = 4096;
    constexpr quint16 kFlagEncrypted = 0x0001;
    const std::vector<ZipEntry>& entries = archive.entries();
    QStringList unread;
    for (size_t entry = 0; entry < entries.size() && entry < kMaxSweptRecords; ++entry) {
        const ZipEntry& info = entries[entry];
        const bool encrypted = info.flags & kFlagEncrypted;
        const auto bytes = archive.readForSweep(int(entry), kMaxSweptRecord);
        if (!bytes) {
            unread.append(encrypted ? QStringLiteral("record '%1' is encrypted").arg(info.name) : bytes.error().message);
            continue;
        }
        const QByteArrayView head(bytes->constData(), qMin<qsizetype>(bytes->size(), 4096));
        if (sniffFormat(head, bytes->size()).format != SniffedFormat::LegacyPickle) {
            // A stored record flagged encrypted is read as it lies, in case the flag is a decoy
            // (picklescan's malicious1_0x1.zip); when it holds no pickle, it is ciphertext.
            if (encrypted)
                unread.append(QStringLiteral("record '%1' is encrypted").arg(info.name));
            continue;
        }
        SweepOptions options;
        options.acrossStops = true;
        addOtherReadings(checkpoint, OtherReading::Kind::ZipRecord, info.name, 0,
                         sweepGlobals(bytes->constData(), bytes->size(), options));
    }
    if (entries.size() > kMaxSweptRecords)
        unread.append(QStringLiteral("%1 records after the first %2 were not looked at").arg(entries.size() - kMaxSweptRecords).arg(kMaxSweptRecords));
    if (unread.isEmpty())
        return {};
    constexpr qsizetype kMaxNamed = 3;
    QString note = QStringLiteral("; what could not be scanned: ") + unread.mid(0, kMaxNamed).join(QStringLiteral(", "));
    if (unread.size() > kMaxNamed)
        note += QStringLiteral(" and %1 more").arg(unread.size() - kMaxNamed);
    return note;
}

Result<Value*> runPickleRecord(Checkpoint& checkpoint, const ZipArchive& zip, int entry, ZipStorageLoader& loader,
                               bool torchScript, int* protocol)
{
    const ZipEntry& info = zip.entries()[size_t(entry)];
    QByteArray copy;
    const char* bytes = nullptr;
    qint64 size = qint64(info.uncompressedSize);
    if (info.method == 0) {
        auto offset = zip.dataOffset(entry);  // stored: run straight from the map
        if (!offset)
            return offset.error();
        bytes = zip.file().data() + *offset;
    } else {
        bool crcFailed = false;
        auto read = zip.readIgnoringCrc(entry, kMaxPickleBytes, &crcFailed);
        if (!read)
            return read.error();
        if (crcFailed) {
            const QString note = QStringLiteral("zip record '%1' fails its CRC check: torch's reader (miniz built without CRC "
                                                "checks) unpickles it all the same, Python's zipfile refuses it")
                                     .arg(info.name);
            checkpoint.readingDifferences.append(note);
            checkpoint.warnings.append(note);
        }
        copy = std::move(*read);
        bytes = copy.constData();
        size = copy.size();
    }
    const QString recordName = info.name.section(u'/', 1);
    PickleMachine machine(checkpoint);
    machine.setTorchScriptMode(torchScript);
    machine.setPersistentLoader([&loader](Value* pid) { return loader.load(pid); });
    machine.setPickleName(recordName);
    qint64 end = 0;
    auto root = machine.run(bytes, size, &end);
    if (!root) {
        Error error = root.error();
        error.message = recordName + QStringLiteral(": ") + error.message;
        return error;
    }
    if (end < size)
        noteBytesAfterStop(checkpoint, recordName, bytes, size, end, torchScript);
    if (protocol)
        *protocol = machine.protocol();
    return root;
}

}  // namespace

Result<Value*> readTorchZip(Checkpoint& checkpoint, int fileIndex, Format* format)
{
    SourceFile& source = checkpoint.files[size_t(fileIndex)];
    ZipOpenOptions options;
    options.keepTwins = true;  // refused below, once their pickles have been swept
    auto zipResult = ZipArchive::open(source.map, options);
    if (!zipResult)
        return zipResult.error();
    std::shared_ptr<ZipArchive> zip = *zipResult;
    source.records = zip;  // Checkpoint::storageBytes finds record data through it
    const ZipArchive& archive = *zip;
    if (!archive.twinProblem().isEmpty())
        return refuseTwins(checkpoint, archive);
    for (const QString& irregularity : archive.irregularities()) {
        checkpoint.readingDifferences.append(irregularity);
        checkpoint.warnings.append(irregularity);
    }

    auto prefixResult = archivePrefix(archive);
    if (!prefixResult && looksLikeNumpyArchive(archive)) {
        *format = Format::NumpyArchive;
        return readNumpyArchive(checkpoint, fileIndex, archive);
    }
    if (!prefixResult) {
        Error error = prefixResult.error();
        error.message += sweepForeignZip(checkpoint, archive);
        return error;
    }
    const QString prefix = *prefixResult + u'/';
    for (const ZipEntry& entry : archive.entries()) {
        if (entry.name.startsWith(prefix))
            continue;
        // torch refuses such an archive (inline_container.cc: "file in archive is not in a
        // subdirectory"); other loaders read its records (fickling's TorchScript polyglot): each
        // pickle among them is swept first, so that the refusal names what those would reach.
        Error error = makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' is outside the archive folder '%2'").arg(entry.name, *prefixResult));
        error.message += sweepForeignZip(checkpoint, archive);
        return error;
    }

    if (readSmallRecord(archive, prefix + QStringLiteral("archive_format")) == QLatin1String("pt2")) {
        *format = Format::TorchExport;
        return readTorchExport(checkpoint, fileIndex, zip, *prefixResult);
    }

    const QString byteorder = readSmallRecord(archive, prefix + QStringLiteral("byteorder"));
    if (!byteorder.isEmpty() && byteorder != QLatin1String("little") && byteorder != QLatin1String("big"))
        return makeError(ErrorCode::Corrupt, QStringLiteral("unknown byteorder '%1'").arg(byteorder.left(20)));
    const bool bigEndian = byteorder == QLatin1String("big");

    QString version = readSmallRecord(archive, prefix + QStringLiteral(".data/version"));
    if (version.isEmpty())
        version = readSmallRecord(archive, prefix + QStringLiteral("version"));

    const int dataPkl = archive.find(prefix + QStringLiteral("data.pkl"));
    const bool torchScript = archive.find(prefix + QStringLiteral("constants.pkl")) >= 0;
    if (dataPkl < 0 && looksLikeNumpyArchive(archive)) {
        *format = Format::NumpyArchive;
        return readNumpyArchive(checkpoint, fileIndex, archive);
    }
    if (dataPkl < 0) {
        const QString unscanned = sweepForeignZip(checkpoint, archive);
        if (archive.find(prefix + QStringLiteral(".data/version")) >= 0)
            return makeError(ErrorCode::Unsupported, QStringLiteral("a torch.package archive (no data.pkl), not a checkpoint") + unscanned);
        return makeError(ErrorCode::Corrupt, QStringLiteral("zip archive has no data.pkl record: not a torch.save checkpoint") + unscanned);
    }
    *format = torchScript ? Format::TorchScript : Format::TorchZip;

    checkpoint.metadata.append({QStringLiteral("archive folder"), *prefixResult});
    if (!version.isEmpty())
        checkpoint.metadata.append({QStringLiteral("version"), version});
    checkpoint.metadata.append({QStringLiteral("byteorder"), byteorder.isEmpty() ? QStringLiteral("little (no record)") : byteorder});
    for (const char* record : {".format_version", ".storage_alignment", ".data/serialization_id"}) {
        const QString value = readSmallRecord(archive, prefix + QLatin1String(record));
        if (!value.isEmpty())
            checkpoint.metadata.append({QLatin1String(record), value});
    }

    if (torchScript) {
        auto classes = readScriptClasses(archive, *prefixResult);
        if (!classes)
            return classes.error();
        checkpoint.scriptClasses = std::move(*classes);
        // Constants first: their storages live under constants/, and code may refer to them.
        ZipStorageLoader constantsLoader(checkpoint, archive, fileIndex, prefix + QStringLiteral("constants/"), bigEndian);
        auto constants = runPickleRecord(checkpoint, archive, archive.find(prefix + QStringLiteral("constants.pkl")), constantsLoader, true, nullptr);
        if (!constants)
            return constants.error();
    }
    ZipStorageLoader loader(checkpoint, archive, fileIndex, prefix + QStringLiteral("data/"), bigEndian);
    // A hint, not a bound: most files rebuild one tensor per storage record. Growing the table
    // instead moves every 260-byte TensorInfo a dozen times into freshly faulted memory.
    reserveGrowing(checkpoint.rebuilt, checkpoint.rebuilt.size() + archive.entries().size());
    int protocol = 0;
    auto root = runPickleRecord(checkpoint, archive, dataPkl, loader, torchScript, &protocol);
    if (!root)
        return root.error();
    checkpoint.formatDetail = QStringLiteral("%1, version %2, pickle protocol %3, %4 records")
                                  .arg(torchScript ? QStringLiteral("TorchScript archive") : QStringLiteral("torch.save zip"),
                                       version.isEmpty() ? QStringLiteral("?") : version)
                                  .arg(protocol)
                                  .arg(archive.entries().size());
    return root;
}

}  // namespace statelens
