// The zip reader on archives built here byte by byte: what torch writes (ZIP64 end records, zero
// local sizes, a local-only extra field), real deflate data from zlib, and each lie a hostile
// file can tell (saturated sizes without their ZIP64 field, entry counts, CRCs, encryption,
// sizes that inflating contradicts). Every prefix of a valid archive fails cleanly.
#include "core/formats/zip_archive.h"

#include <QTest>

#include <zlib.h>

#include <optional>

using namespace statelens;

namespace {

QByteArray le16(quint16 v)
{
    QByteArray bytes(2, '\0');
    bytes[0] = char(v);
    bytes[1] = char(v >> 8);
    return bytes;
}
QByteArray le32(quint32 v) { return le16(quint16(v)) + le16(quint16(v >> 16)); }
QByteArray le64(quint64 v) { return le32(quint32(v)) + le32(quint32(v >> 32)); }

QByteArray rawDeflate(const QByteArray& data)
{
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out(qsizetype(deflateBound(&stream, uLong(data.size()))), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.constData()));
    stream.avail_in = uInt(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = uInt(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(qsizetype(stream.total_out));
    deflateEnd(&stream);
    return out;
}

quint32 crcOf(const QByteArray& data) { return quint32(crc32(0, reinterpret_cast<const Bytef*>(data.constData()), uInt(data.size()))); }

struct Record {
    QByteArray name;
    QByteArray data;
    bool deflate = false;
    bool zip64 = false;  // sizes and offset saturated in the central header, real ones in a ZIP64 extra
    bool zip64ExtraMissing = false;
    quint16 method = 0xFFFF;  // 0xFFFF: 8 when deflated, else 0
    quint16 flags = 0x0808;   // torch's: data descriptor, UTF-8 name
    std::optional<quint32> crc;
    std::optional<quint64> claimedSize;     // the uncompressed size the directory claims
    std::optional<quint64> compressedSize;  // likewise the compressed size
    std::optional<quint64> localOffset;
};

struct Archive {
    QVector<Record> records;
    bool zip64End = true;  // torch writes the ZIP64 end records even for tiny files
    int countDelta = 0;    // added to the entry count of the end records
    qsizetype cut = -1;    // keep only this many bytes

    QByteArray build() const
    {
        QByteArray body, directory;
        for (const Record& r : records) {
            const QByteArray payload = r.deflate ? rawDeflate(r.data) : r.data;
            const quint16 method = r.method != 0xFFFF ? r.method : (r.deflate ? 8 : 0);
            const quint64 usize = r.claimedSize.value_or(quint64(r.data.size()));
            const quint64 csize = r.compressedSize.value_or(quint64(payload.size()));
            const quint64 offset = r.localOffset.value_or(quint64(body.size()));
            // Like torch: zero CRC and sizes locally, and a local-only padding extra ("FB").
            const QByteArray localExtra = le16(0x4246) + le16(6) + QByteArray(6, 'Z');
            body += le32(0x04034b50) + le16(20) + le16(r.flags) + le16(method) + le16(0) + le16(0) + le32(0) + le32(0) + le32(0)
                + le16(quint16(r.name.size())) + le16(quint16(localExtra.size())) + r.name + localExtra + payload;
            QByteArray extra;
            if (r.zip64 && !r.zip64ExtraMissing)
                extra = le16(1) + le16(24) + le64(usize) + le64(csize) + le64(offset);
            directory += le32(0x02014b50) + le16(45) + le16(45) + le16(r.flags) + le16(method) + le16(0) + le16(0)
                + le32(r.crc.value_or(crcOf(r.data))) + le32(r.zip64 ? 0xFFFFFFFF : quint32(csize))
                + le32(r.zip64 ? 0xFFFFFFFF : quint32(usize)) + le16(quint16(r.name.size())) + le16(quint16(extra.size()))
                + le16(0) + le16(0) + le16(0) + le32(0) + le32(r.zip64 ? 0xFFFFFFFF : quint32(offset)) + r.name + extra;
        }
        const quint64 count = quint64(records.size() + countDelta);
        QByteArray out = body + directory;
        if (zip64End) {
            const quint64 zip64Eocd = quint64(out.size());
            out += le32(0x06064b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0) + le64(count) + le64(count)
                + le64(quint64(directory.size())) + le64(quint64(body.size()));
            out += le32(0x07064b50) + le32(0) + le64(zip64Eocd) + le32(1);
            // The classic record saturated: only the ZIP64 one can be right.
            out += le32(0x06054b50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFFFFFF) + le32(0xFFFFFFFF) + le16(0);
        } else {
            out += le32(0x06054b50) + le16(0) + le16(0) + le16(quint16(count)) + le16(quint16(count))
                + le32(quint32(directory.size())) + le32(quint32(body.size())) + le16(0);
        }
        return cut >= 0 ? out.left(cut) : out;
    }
};

Record stored(const QByteArray& name, const QByteArray& data)
{
    Record r;
    r.name = name;
    r.data = data;
    return r;
}
Record deflated(const QByteArray& name, const QByteArray& data)
{
    Record r = stored(name, data);
    r.deflate = true;
    return r;
}

QByteArray text(int size)
{
    QByteArray data;
    while (data.size() < size)
        data += "weights and biases " + QByteArray::number(data.size()) + '\n';
    return data.left(size);
}

Result<std::shared_ptr<ZipArchive>> openBytes(const QByteArray& bytes)
{
    return ZipArchive::open(MappedFile::fromMemory(QStringLiteral("test.zip"), bytes.constData(), bytes.size()));
}

}  // namespace

Q_DECLARE_METATYPE(Record)

class TestZipArchive : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testReadsTorchLayout_data();
    void testReadsTorchLayout();
    void testRefusesBrokenDirectory_data();
    void testRefusesBrokenDirectory();
    void testIrregularities_data();
    void testIrregularities();
    void testRefusesBrokenRecord_data();
    void testRefusesBrokenRecord();
    void testStoredOffsetKeepsTheSizeRule();
    void testEveryTruncationFailsCleanly();
};

void TestZipArchive::testReadsTorchLayout_data()
{
    QTest::addColumn<bool>("zip64");
    QTest::addColumn<bool>("zip64End");
    QTest::addRow("32-bit fields, classic end record") << false << false;
    QTest::addRow("32-bit fields, ZIP64 end records") << false << true;
    QTest::addRow("ZIP64 extra fields and end records") << true << true;
}

void TestZipArchive::testReadsTorchLayout()
{
    QFETCH(bool, zip64);
    QFETCH(bool, zip64End);
    Archive archive;
    archive.zip64End = zip64End;
    archive.records = {stored("archive/data.pkl", text(300)), stored("archive/data/0", QByteArray(64, '\x7f')),
                       deflated("archive/code/m.py", text(100000)), stored("archive/empty", {}), deflated("archive/empty.z", {})};
    for (Record& r : archive.records)
        r.zip64 = zip64;
    const QByteArray bytes = archive.build();
    auto zip = openBytes(bytes);
    QVERIFY2(zip.ok(), qPrintable(zip ? QString() : zip.error().message));
    QCOMPARE(qsizetype((*zip)->entries().size()), archive.records.size());
    for (int i = 0; i < archive.records.size(); ++i) {
        const Record& r = archive.records[i];
        const int entry = (*zip)->find(QString::fromLatin1(r.name));
        QCOMPARE(entry, i);
        const ZipEntry& info = (*zip)->entries()[size_t(i)];
        QCOMPARE(info.uncompressedSize, quint64(r.data.size()));
        QCOMPARE(info.method, r.deflate ? 8 : 0);
        auto read = (*zip)->read(entry, 1 << 20);
        QVERIFY2(read.ok(), qPrintable(read ? QString() : read.error().message));
        QCOMPARE(*read, r.data);
        auto offset = (*zip)->dataOffset(entry);
        if (r.deflate) {
            QVERIFY(!offset);
            QVERIFY(offset.error().message.contains(QLatin1String("compressed")));
        } else {
            QVERIFY2(offset.ok(), qPrintable(offset ? QString() : offset.error().message));
            QCOMPARE(QByteArray(bytes.constData() + *offset, r.data.size()), r.data);
        }
    }
    QCOMPARE((*zip)->find(QStringLiteral("archive/missing")), -1);
    QVERIFY(!(*zip)->read(99, 1 << 20));
}

void TestZipArchive::testRefusesBrokenDirectory_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    const Record pkl = stored("archive/data.pkl", text(40));
    const Record weights = stored("archive/data/0", QByteArray(16, '\1'));

    Archive a;
    a.records = {pkl, weights};
    a.records[1].zip64 = true;
    a.records[1].zip64ExtraMissing = true;
    QTest::addRow("saturated sizes, no ZIP64 extra") << a.build() << "in a ZIP64 extra field it does not have";

    a = {};
    a.records = {pkl, weights};
    a.countDelta = 1;
    QTest::addRow("end record counts one more") << a.build() << "it claims 3 entries in a central directory of 122 bytes";
    a.countDelta = -1;
    QTest::addRow("end record counts one less") << a.build() << "its end record claims 1 entries but its central directory holds more";
    a.zip64End = false;
    a.countDelta = 5000;
    QTest::addRow("more entries than bytes") << a.build() << "it claims 5002 entries in";
    a.countDelta = 0;
    QByteArray damaged = a.build();
    damaged[damaged.lastIndexOf("PK\1\2") + 3] = 9;
    QTest::addRow("a damaged central header") << damaged << "corrupt zip central directory after 1 entries (its end record claims 2)";

    a = {};
    a.records = {pkl, weights, stored("archive/data.pkl", "x")};
    QTest::addRow("a name twice") << a.build() << "record 'archive/data.pkl' appears twice";
    // torch's reader looks names up ignoring ASCII case: either of such a pair could be read.
    a.records = {pkl, weights, stored("archive/Data.pkl", "x")};
    QTest::addRow("a name twice, once capitalised") << a.build() << "record 'archive/Data.pkl' differs from another only in letter case";
    a.records = {stored("archive/DATA.pkl", "x"), weights, stored("archive/Data.pkl", "x")};
    QTest::addRow("a name twice, capitalised twice") << a.build() << "record 'archive/Data.pkl' differs from another only in letter case";
    a.records = {stored("archive/Data.pkl", "x"), weights, pkl};
    QTest::addRow("a name twice, capitalised first") << a.build() << "record 'archive/data.pkl' differs from another only in letter case";

    a = {};
    a.records = {pkl};
    QByteArray bytes = a.build();
    bytes[bytes.size() - 22 - 20 - 56 + 20] = 1;  // the ZIP64 end record's "disk where the directory starts"
    QTest::addRow("split over disks") << bytes << "split over several disks";

    QTest::addRow("no end record") << QByteArray(100, 'x') << "no end-of-central-directory record";
    QTest::addRow("too short") << QByteArray("PK\5\6", 4) << "too short for its directory";
}

void TestZipArchive::testRefusesBrokenDirectory()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    auto zip = openBytes(bytes);
    QVERIFY(!zip);
    QVERIFY2(zip.error().message.contains(message), qPrintable(zip.error().message));
    // A scanner may keep twins (it sweeps every pickle): the refusal becomes twinProblem, every
    // record is listed, and find() gives the first. Every other problem still refuses.
    ZipOpenOptions keep;
    keep.keepTwins = true;
    auto kept = ZipArchive::open(MappedFile::fromMemory(QStringLiteral("test.zip"), bytes.constData(), bytes.size()), keep);
    const bool twins = message.contains(QLatin1String("appears twice")) || message.contains(QLatin1String("letter case"));
    QCOMPARE(kept.ok(), twins);
    if (twins) {
        QVERIFY2((*kept)->twinProblem().contains(message), qPrintable((*kept)->twinProblem()));
        QCOMPARE((*kept)->entries().size(), size_t(3));
        QCOMPARE((*kept)->find((*kept)->entries()[0].name), 0);
    }
}

// Places where zip readers disagree without one refusing: records over each other's bytes, and
// general-purpose flags miniz and zipfile refuse (0x20 patched data, 0x40 strong encryption).
void TestZipArchive::testIrregularities_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("irregularity");  // empty: none
    const Record pkl = stored("archive/data.pkl", text(300));
    const Record weights = stored("archive/data/0", text(24));
    Archive a;
    a.records = {pkl, weights};
    QTest::addRow("torch's layout") << a.build() << QString();
    Record alias = stored("archive/twin.pkl", text(300));
    alias.localOffset = 0;  // the directory points it at data.pkl's local header
    a.records = {pkl, weights, alias};
    QTest::addRow("two entries, one record") << a.build() << "zip records 'archive/data.pkl' and 'archive/twin.pkl' overlap";
    Record inside = stored("archive/inner", text(10));
    inside.localOffset = 100;  // inside data.pkl's 300 bytes
    a.records = {pkl, weights, inside};
    QTest::addRow("an entry inside another") << a.build() << "zip records 'archive/data.pkl' and 'archive/inner' overlap";
    for (const quint16 flag : {quint16(0x20), quint16(0x40)}) {
        Record flagged = pkl;
        flagged.flags |= flag;
        a.records = {flagged, weights};
        QTest::addRow("flag 0x%x", flag) << a.build() << QStringLiteral("general-purpose flag 0x%1").arg(flag, 2, 16, QLatin1Char('0'));
    }
}

void TestZipArchive::testIrregularities()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, irregularity);
    auto zip = openBytes(bytes);
    QVERIFY2(zip, zip ? "" : qPrintable(zip.error().message));
    const QStringList found = (*zip)->irregularities();
    if (irregularity.isEmpty()) {
        QVERIFY2(found.isEmpty(), qPrintable(found.join(u'\n')));
        return;
    }
    QCOMPARE(found.size(), 1);
    QVERIFY2(found.first().contains(irregularity), qPrintable(found.first()));
}

void TestZipArchive::testRefusesBrokenRecord_data()
{
    QTest::addColumn<Record>("record");
    QTest::addColumn<QString>("message");
    QTest::addColumn<qint64>("maxBytes");
    const QByteArray data = text(5000);
    const qint64 plenty = qint64(8) << 30;  // so that each lie meets its own check

    Record r = deflated("r", data);
    r.flags |= 1;
    QTest::addRow("encrypted") << r << "record 'r' is encrypted" << plenty;
    r = stored("r", data);
    r.flags |= 1;
    QTest::addRow("encrypted, stored") << r << "record 'r' is encrypted" << plenty;
    r = deflated("r", data);
    r.claimedSize = 100;
    QTest::addRow("inflates past its claim") << r << "record 'r' inflates to more than its directory size" << plenty;
    r = deflated("r", data);
    r.claimedSize = 6000;
    QTest::addRow("inflates short of its claim") << r << "record 'r' is truncated: 5000 of 6000 bytes" << plenty;
    r = deflated("r", data);
    r.crc = 1234;
    QTest::addRow("wrong CRC") << r << "record 'r' fails its CRC check" << plenty;
    r = deflated("r", data);
    r.claimedSize = 0xFFFFFFF0;
    QTest::addRow("zip bomb claim") << r << "more than deflate can produce" << plenty;
    r = deflated("r", data);
    r.claimedSize = 0xFFFFFFF0;  // within 1032:1 of the claimed compressed size, not of the bytes there
    r.compressedSize = 0xFFFFFFFE;
    QTest::addRow("compressed size past the file") << r << "(4294967294 compressed bytes at byte 41) runs past the end of the file" << plenty;
    r = deflated("r", data);
    r.claimedSize = (quint64(1) << 32) + 16;  // only the ZIP64 field can say it
    r.zip64 = true;
    QTest::addRow("zip bomb claim in ZIP64") << r << "claims 4294967312 bytes from" << plenty;
    QTest::addRow("over the caller's limit") << deflated("r", data) << "record 'r' is 5000 bytes, more than the 4999 allowed" << qint64(4999);
    r = deflated("r", data);
    r.method = 12;
    QTest::addRow("bzip2") << r << "uses zip compression method 12" << plenty;
    r = stored("r", data);
    r.localOffset = 1 << 20;
    QTest::addRow("local header past the end") << r << "corrupt local header for record 'r'" << plenty;
    r = stored("r", data);
    r.localOffset = quint64(1) << 63;
    r.zip64 = true;
    QTest::addRow("local header at 2^63") << r << "corrupt local header for record 'r'" << plenty;
    r = stored("r", data);
    r.localOffset = 5;
    QTest::addRow("no local header signature") << r << "corrupt local header for record 'r'" << plenty;
    r = stored("r", data);
    r.claimedSize = 4000;
    QTest::addRow("stored sizes disagree") << r << "stored record 'r' claims 4000 bytes but holds 5000" << plenty;
}

void TestZipArchive::testRefusesBrokenRecord()
{
    QFETCH(Record, record);
    QFETCH(QString, message);
    QFETCH(qint64, maxBytes);
    Archive archive;
    archive.records = {record};
    const QByteArray bytes = archive.build();
    auto zip = openBytes(bytes);
    QVERIFY2(zip.ok(), qPrintable(zip ? QString() : zip.error().message));
    auto read = (*zip)->read(0, maxBytes);
    QVERIFY(!read);
    QVERIFY2(read.error().message.contains(message), qPrintable(read.error().message));
    // For pickles the CRC alone does not refuse (torch's miniz does not check it): the bytes come
    // back with the failure flagged. Every other problem refuses alike.
    bool crcFailed = false;
    auto tolerant = (*zip)->readIgnoringCrc(0, maxBytes, &crcFailed);
    const bool crc = message.contains(QLatin1String("CRC"));
    QCOMPARE(tolerant.ok(), crc);
    QCOMPARE(crcFailed, crc);
    if (crc)
        QCOMPARE(*tolerant, record.data);
    // A sweep also reads a stored record under the encrypted flag as it lies; nothing else changes.
    const bool storedEncrypted = message.contains(QLatin1String("encrypted")) && record.method != 8 && !record.deflate;
    auto swept = (*zip)->readForSweep(0, maxBytes);
    QCOMPARE(swept.ok(), crc || storedEncrypted);
    if (swept)
        QCOMPARE(*swept, record.data);
}

void TestZipArchive::testStoredOffsetKeepsTheSizeRule()
{
    // dataOffset (tensor records, data.pkl for the viewer) and read (the scanner) refuse alike.
    Record r = stored("r", text(5000));
    r.claimedSize = 6000;
    Archive archive;
    archive.records = {r};
    auto zip = openBytes(archive.build());
    QVERIFY(zip.ok());
    auto offset = (*zip)->dataOffset(0);
    QVERIFY(!offset);
    QVERIFY2(offset.error().message.contains(QStringLiteral("stored record 'r' claims 6000 bytes but holds 5000")), qPrintable(offset.error().message));
}

void TestZipArchive::testEveryTruncationFailsCleanly()
{
    Archive archive;
    archive.records = {stored("archive/data.pkl", text(200)), deflated("archive/code/m.py", text(3000)), stored("archive/version", "3\n")};
    const QByteArray whole = archive.build();
    for (qsizetype size = 0; size < whole.size(); ++size) {
        const QByteArray bytes = whole.left(size);
        auto zip = openBytes(bytes);
        if (!zip) {
            QVERIFY(!zip.error().message.isEmpty());
            continue;
        }
        for (int entry = 0; entry < int((*zip)->entries().size()); ++entry) {
            auto read = (*zip)->read(entry, 1 << 20);
            Q_UNUSED(read);
            auto offset = (*zip)->dataOffset(entry);
            if (offset)
                QVERIFY(qint64((*zip)->entries()[size_t(entry)].uncompressedSize) <= size - *offset);
        }
    }
}

QTEST_GUILESS_MAIN(TestZipArchive)
#include "tst_zip_archive.moc"
