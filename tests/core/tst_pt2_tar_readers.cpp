// The torch 0.1.x tar reader (checkpoint-formats.md §3.2) against archives built here the way
// torch's old `_save` wrote them, header variants of other tar writers, hostile members and every
// truncation; and the torch.export .pt2 reader against a real archive and hand-built variants.
#include "tests/support/fixture_expectations.h"

#include "core/base/display_format.h"
#include "core/formats/checkpoint_reader.h"
#include "core/formats/pt2_reader.h"
#include "core/formats/tar_reader.h"
#include "core/formats/zip_archive.h"
#include "core/model/tensor_naming.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTest>
#include <QtEndian>

#include <array>
#include <cstring>
#include <memory>
#include <optional>

using namespace statelens;

class TestPt2TarReaders : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testTarReadsTorchLayout();
    void testTarIsSniffed();
    void testTarHeaderVariants_data();
    void testTarHeaderVariants();
    void testTarRejectsBrokenArchive_data();
    void testTarRejectsBrokenArchive();
    void testTarEveryTruncationFailsCleanly();
    void testTarSurvivesMutations();
    void testTarFixture_data();
    void testTarFixture();

    void testPt2ReadsRealArchive();
    void testPt2Variants_data();
    void testPt2Variants();
    void testPt2RejectsBrokenArchive_data();
    void testPt2RejectsBrokenArchive();
    void testPt2TruncatedConfigFailsCleanly();
    void testPt2RefusesHugeConfig();
    void testPt2SurvivesMutatedConfigs();
    void testExportScalarTypes_data();
    void testExportScalarTypes();
};

Q_DECLARE_METATYPE(ErrorCode)

namespace {

// ---- a protocol-2 pickle writer -------------------------------------------------------------

class PickleWriter {
public:
    PickleWriter() { m_bytes.append("\x80\x02", 2); }

    PickleWriter& integer(qint64 value)
    {
        if (value >= std::numeric_limits<qint32>::min() && value <= std::numeric_limits<qint32>::max()) {
            m_bytes.append('J');
            appendLittle<qint32>(qint32(value));
        } else {
            m_bytes.append("\x8a\x08", 2);  // LONG1, 8 bytes two's complement
            appendLittle<qint64>(value);
        }
        return *this;
    }
    PickleWriter& text(const QByteArray& utf8)
    {
        m_bytes.append('X');
        appendLittle<quint32>(quint32(utf8.size()));
        m_bytes.append(utf8);
        return *this;
    }
    PickleWriter& none() { return op('N'); }
    PickleWriter& boolean(bool value) { return op(value ? '\x88' : '\x89'); }
    PickleWriter& global(const QByteArray& module, const QByteArray& name)
    {
        m_bytes.append('c').append(module).append('\n').append(name).append('\n');
        return *this;
    }
    PickleWriter& mark() { return op('('); }
    PickleWriter& tuple() { return op('t'); }
    PickleWriter& emptyTuple() { return op(')'); }
    PickleWriter& emptyList() { return op(']'); }
    PickleWriter& appends() { return op('e'); }
    PickleWriter& emptyDict() { return op('}'); }
    PickleWriter& setItems() { return op('u'); }
    PickleWriter& reduce() { return op('R'); }
    PickleWriter& persistentId() { return op('Q'); }
    QByteArray stop() const { return m_bytes + '.'; }

private:
    PickleWriter& op(char code)
    {
        m_bytes.append(code);
        return *this;
    }
    template <typename T>
    void appendLittle(T value)
    {
        char raw[sizeof(T)];
        qToLittleEndian<T>(value, raw);
        m_bytes.append(raw, sizeof(T));
    }
    QByteArray m_bytes;
};

template <typename T>
QByteArray littleEndian(std::initializer_list<T> values)
{
    QByteArray bytes;
    for (T value : values) {
        char raw[sizeof(T)];
        qToLittleEndian<T>(value, raw);
        bytes.append(raw, sizeof(T));
    }
    return bytes;
}

// ---- torch's tar members ---------------------------------------------------------------------

struct StorageSpec {
    qint64 key;
    QByteArray location;
    QByteArray type;        // "FloatStorage"
    qint64 count;           // the int64 written before the data
    QByteArray data;
};

struct ViewSpec {
    qint64 view, root, offset, numel;
};

struct TensorSpec {
    TensorSpec(qint64 key, qint64 storage, QByteArray type, QVector<qint64> sizes, QVector<qint64> strides, qint64 offset = 0,
               std::optional<qint32> ndim = std::nullopt)
        : key(key), storage(storage), type(std::move(type)), sizes(std::move(sizes)), strides(std::move(strides)), offset(offset), ndim(ndim)
    {
    }
    qint64 key;
    qint64 storage;         // -1: None
    QByteArray type;        // "FloatTensor"
    QVector<qint64> sizes;
    QVector<qint64> strides;
    qint64 offset;
    std::optional<qint32> ndim;  // what the file claims; sizes.size() when unset
};

QByteArray storagesMember(const QVector<StorageSpec>& storages, const QVector<ViewSpec>& views, qint64 announced = -1)
{
    QByteArray member = PickleWriter().integer(announced >= 0 ? announced : storages.size()).stop();
    for (const StorageSpec& storage : storages) {
        member += PickleWriter().mark().integer(storage.key).text(storage.location).global("torch", storage.type).tuple().stop();
        member += littleEndian<qint64>({storage.count}) + storage.data;
    }
    PickleWriter list;
    list.emptyList().mark();
    for (const ViewSpec& view : views)
        list.mark().integer(view.view).integer(view.root).integer(view.offset).integer(view.numel).tuple();
    return member + list.appends().stop();
}

QByteArray tensorsMember(const QVector<TensorSpec>& tensors, qint64 announced = -1)
{
    QByteArray member = PickleWriter().integer(announced >= 0 ? announced : tensors.size()).stop();
    for (const TensorSpec& tensor : tensors) {
        PickleWriter header;
        header.mark().integer(tensor.key);
        if (tensor.storage >= 0)
            header.integer(tensor.storage);
        else
            header.none();
        member += header.global("torch", tensor.type).tuple().stop();
        // The oldest writer wrote an int through an 8-byte long: 4 bytes of garbage follow ndim.
        member += littleEndian<qint32>({tensor.ndim.value_or(qint32(tensor.sizes.size()))}) + QByteArray("\xde\xad\xbe\xef", 4);
        for (qint64 size : tensor.sizes)
            member += littleEndian<qint64>({size});
        for (qint64 stride : tensor.strides)
            member += littleEndian<qint64>({stride});
        member += littleEndian<qint64>({tensor.offset});
    }
    return member;
}

QByteArray floats(std::initializer_list<float> values) { return littleEndian<float>(values); }

QVector<StorageSpec> referenceStorages()
{
    return {{1001, "cpu", "FloatStorage", 6, floats({0, 1, 2, 3, 4, 5})},
            {1002, "cuda:0", "LongStorage", 2, littleEndian<qint64>({7, 8})}};
}
QVector<ViewSpec> referenceViews() { return {{1003, 1001, 2, 3}}; }
QVector<TensorSpec> referenceTensors()
{
    return {{2001, 1001, "FloatTensor", {2, 3}, {3, 1}},
            {2002, 1003, "FloatTensor", {3}, {1}},
            {2003, 1002, "LongTensor", {}, {}, 1},
            {2004, 1001, "FloatTensor", {3, 2}, {1, 3}}};
}

// {'weight': 2001, 'view': 2002, 'step': 2003, 'weight_t': 2004, 'storage': 1001, 'net': <module pid>}
QByteArray objectMember(const QByteArray& weightPid = "2001")
{
    PickleWriter object;
    object.emptyDict().mark();
    object.text("weight").text(weightPid).persistentId();
    object.text("view").text("2002").persistentId();
    object.text("step").text("2003").persistentId();
    object.text("weight_t").text("2004").persistentId();
    object.text("storage").text("1001").persistentId();
    object.text("net").mark().global("__main__", "Net").text("net.py").text("class Net: pass").tuple().persistentId();
    return object.setItems().stop();
}

QByteArray sysInfoMember()
{
    return PickleWriter()
        .emptyDict()
        .mark()
        .text("protocol_version").integer(1000)
        .text("little_endian").boolean(true)
        .text("type_sizes").emptyDict().mark().text("short").integer(2).text("int").integer(4).text("long").integer(4).setItems()
        .setItems()
        .stop();
}

// ---- tar -------------------------------------------------------------------------------------

enum class SizeField { Octal, Base256, Zero };

QByteArray tarHeader(const QByteArray& name, qint64 size, char type = '0', SizeField sizeField = SizeField::Octal)
{
    QByteArray header(512, '\0');
    std::memcpy(header.data(), name.constData(), size_t(qMin<qsizetype>(name.size(), 100)));
    std::memcpy(header.data() + 100, "0000644", 7);
    std::memcpy(header.data() + 108, "0000000", 7);
    std::memcpy(header.data() + 116, "0000000", 7);
    if (sizeField == SizeField::Octal) {
        const QByteArray octal = QByteArray::number(size, 8).rightJustified(11, '0');
        std::memcpy(header.data() + 124, octal.constData(), 11);
    } else if (sizeField == SizeField::Base256) {
        header[124] = char(0x80);
        qToBigEndian<qint64>(size, header.data() + 128);
    }
    std::memcpy(header.data() + 136, "00000000000", 11);
    header[156] = type;
    std::memcpy(header.data() + 257, "ustar\0" "00", 8);
    std::memset(header.data() + 148, ' ', 8);
    int sum = 0;
    for (char c : header)
        sum += static_cast<unsigned char>(c);
    const QByteArray checksum = QByteArray::number(sum, 8).rightJustified(6, '0');
    std::memcpy(header.data() + 148, checksum.constData(), 6);
    header[154] = '\0';
    return header;
}

// After editing a header: its checksum as a writer would have computed it.
QByteArray rechecksummed(QByteArray header)
{
    std::memset(header.data() + 148, ' ', 8);
    int sum = 0;
    for (char c : header)
        sum += static_cast<unsigned char>(c);
    header.replace(148, 7, QByteArray(QByteArray::number(sum, 8).rightJustified(6, '0') + '\0'));
    return header;
}

QByteArray padded(const QByteArray& data)
{
    return data + QByteArray((512 - data.size() % 512) % 512, '\0');
}

QByteArray tarMember(const QByteArray& name, const QByteArray& data, SizeField sizeField = SizeField::Octal)
{
    return tarHeader(name, data.size(), '0', sizeField) + padded(data);
}

QByteArray paxRecord(const QByteArray& key, const QByteArray& value)
{
    const QByteArray body = ' ' + key + '=' + value + '\n';
    qsizetype length = body.size() + 1;
    while (QByteArray::number(length).size() + body.size() != length)
        ++length;
    return QByteArray::number(length) + body;
}

QByteArray paxHeader(const QByteArray& records, char type = 'x')
{
    return tarHeader("PaxHeaders.0/x", records.size(), type) + padded(records);
}

const QByteArray kTarEnd(1024, '\0');

struct TarParts {
    QByteArray sysInfo = sysInfoMember();
    QByteArray object = objectMember();
    QByteArray tensors = tensorsMember(referenceTensors());
    QByteArray storages = storagesMember(referenceStorages(), referenceViews());

    // torch's order, plain ustar headers, the end-of-archive blocks.
    QByteArray archive(const QByteArray& storagesEntry = {}) const
    {
        return tarMember("sys_info", sysInfo) + tarMember("pickle", object) + tarMember("tensors", tensors)
            + (storagesEntry.isNull() ? tarMember("storages", storages) : storagesEntry) + kTarEnd;
    }
};

// ---- zip (for .pt2 variants) -----------------------------------------------------------------

quint32 crc32(const QByteArray& data)
{
    static const auto table = [] {
        std::array<quint32, 256> t{};
        for (quint32 i = 0; i < 256; ++i) {
            quint32 c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    quint32 crc = 0xFFFFFFFFu;
    for (char byte : data)
        crc = table[(crc ^ static_cast<unsigned char>(byte)) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

// Stored entries, or "deflated" ones written as deflate stored blocks (valid method-8 data).
class ZipWriter {
public:
    void add(const QByteArray& name, const QByteArray& data, bool deflate = false)
    {
        QByteArray payload = data;
        if (deflate) {
            payload.clear();
            qsizetype pos = 0;
            do {
                const qsizetype chunk = qMin<qsizetype>(data.size() - pos, 65535);
                const bool last = pos + chunk == data.size();
                payload += char(last ? 1 : 0);
                payload += littleEndian<quint16>({quint16(chunk), quint16(~quint16(chunk))});
                payload += data.mid(pos, chunk);
                pos += chunk;
            } while (pos < data.size());
        }
        const quint32 crc = crc32(data);
        const quint16 method = deflate ? 8 : 0;
        const quint32 offset = quint32(m_body.size());
        m_body += littleEndian<quint32>({0x04034b50}) + littleEndian<quint16>({20, 0, method, 0, 0x21})
            + littleEndian<quint32>({crc, quint32(payload.size()), quint32(data.size())})
            + littleEndian<quint16>({quint16(name.size()), 0}) + name + payload;
        m_directory += littleEndian<quint32>({0x02014b50}) + littleEndian<quint16>({20, 20, 0, method, 0, 0x21})
            + littleEndian<quint32>({crc, quint32(payload.size()), quint32(data.size())})
            + littleEndian<quint16>({quint16(name.size()), 0, 0, 0, 0}) + littleEndian<quint32>({0, offset}) + name;
        ++m_count;
    }
    QByteArray finish() const
    {
        return m_body + m_directory + littleEndian<quint32>({0x06054b50}) + littleEndian<quint16>({0, 0, m_count, m_count})
            + littleEndian<quint32>({quint32(m_directory.size()), quint32(m_body.size())}) + littleEndian<quint16>({0});
    }

private:
    QByteArray m_body, m_directory;
    quint16 m_count = 0;
};

// One PayloadMeta entry of a weights/constants config.
QByteArray payload(const QByteArray& fqn, const QByteArray& path, int dtype, const QByteArray& sizes, const QByteArray& strides,
                   qint64 offset = 0, bool isParam = true, bool usePickle = false)
{
    auto symInts = [](const QByteArray& list) -> QByteArray {
        QByteArrayList items;
        for (const QByteArray& item : list.split(','))
            if (!item.isEmpty())
                items.append(R"({"as_int": )" + item + '}');
        return '[' + items.join(", ") + ']';
    };
    return '"' + fqn + R"(": {"path_name": ")" + path + R"(", "is_param": )" + (isParam ? "true" : "false")
        + R"(, "use_pickle": )" + (usePickle ? "true" : "false") + R"(, "tensor_meta": {"dtype": )" + QByteArray::number(dtype)
        + R"(, "sizes": )" + symInts(sizes) + R"(, "requires_grad": )" + (isParam ? "true" : "false")
        + R"(, "device": {"type": "cpu", "index": null}, "strides": )" + symInts(strides)
        + R"(, "storage_offset": {"as_int": )" + QByteArray::number(offset) + R"(}, "layout": 7}})";
}

QByteArray config(const QByteArrayList& entries) { return R"({"config": {)" + entries.join(", ") + "}}"; }

QByteArray modelJson(const QByteArray& torchVersion = "2.9.0")
{
    return R"({"graph_module": {"graph": {"nodes": [], "tensor_values": {}}, "signature": {"input_specs": []}, "module_call_graph": []},)"
           R"( "schema_version": {"major": 8, "minor": 20}, "torch_version": ")" + torchVersion + R"("})";
}

// A .pt2 archive: folder "m/", one model "model" unless `extra` adds records of its own.
struct Pt2Parts {
    QByteArray weightsConfig = config({payload("lin.weight", "weight_0", 7, "2,3", "3,1"), payload("lin.bias", "weight_1", 7, "2", "1")});
    QByteArray constantsConfig = config({});
    QByteArray model = modelJson();
    QVector<QPair<QByteArray, QByteArray>> weights = {{"weight_0", floats({1, 2, 3, 4, 5, 6})}, {"weight_1", floats({7, 8})}};
    QVector<QPair<QByteArray, QByteArray>> extra;  // more records: name -> bytes
    QByteArray deflated;                           // a record to store deflated

    QByteArray archive() const
    {
        ZipWriter zip;
        zip.add("m/archive_format", "pt2");
        zip.add("m/archive_version", "0");
        zip.add("m/byteorder", "little");
        zip.add("m/models/model.json", model);
        zip.add("m/data/weights/model_weights_config.json", weightsConfig);
        zip.add("m/data/constants/model_constants_config.json", constantsConfig);
        for (const auto& [name, bytes] : weights)
            zip.add("m/data/weights/" + name, bytes, name == deflated);
        for (const auto& [name, bytes] : extra)
            zip.add("m/" + name, bytes, name == deflated);
        return zip.finish();
    }
};

// A torch.save zip of {name: float32 tensor} with the given values, as torch 1.13 writes data.pkl.
QByteArray torchSaveZip(const QByteArray& name, const QByteArray& values)
{
    PickleWriter pickle;
    pickle.emptyDict().mark().text(name).global("torch._utils", "_rebuild_tensor_v2").mark();
    pickle.mark().text("storage").global("torch", "FloatStorage").text("0").text("cpu").integer(values.size() / 4).tuple().persistentId();
    pickle.integer(0).mark().integer(values.size() / 4).tuple().mark().integer(1).tuple().boolean(false);
    pickle.global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce().setItems();
    ZipWriter zip;
    zip.add("archive/data.pkl", pickle.stop());
    zip.add("archive/data/0", values);
    zip.add("archive/version", "3\n");
    return zip.finish();
}

// ---- reading ---------------------------------------------------------------------------------

// A checkpoint over in-memory bytes (declared first, so they outlive the checkpoint's map).
struct Read {
    QByteArray bytes;
    std::unique_ptr<Checkpoint> checkpoint = std::make_unique<Checkpoint>();
    Result<Value*> root = static_cast<Value*>(nullptr);
    Format format = Format::TorchZip;
};

enum class Reader { Tar, Sniffed };

std::unique_ptr<Read> readBytes(const QByteArray& bytes, Reader reader = Reader::Sniffed)
{
    auto read = std::make_unique<Read>();
    read->bytes = bytes;
    read->checkpoint->files.push_back(SourceFile{MappedFile::fromMemory(QStringLiteral("test.pt"), read->bytes.constData(), read->bytes.size()), nullptr});
    if (reader == Reader::Tar)
        read->root = readTorchTar(*read->checkpoint, 0);
    else
        read->root = readFileInto(*read->checkpoint, 0, &read->format);
    if (read->root) {
        read->checkpoint->root = *read->root;
        if (auto named = nameTensors(*read->checkpoint); !named)
            read->root = named.error();
    }
    return read;
}

// "name dtype [shape] strides [..] +offset device", one line per listed tensor.
QStringList listing(const Checkpoint& checkpoint)
{
    QStringList lines;
    for (const TensorInfo& tensor : checkpoint.tensors)
        lines.append(QStringLiteral("%1 %2 %3 strides %4 +%5 %6")
                         .arg(tensor.name, dtypeName(tensor.dtype), formatShape(tensor.shape), formatShape(tensor.strides))
                         .arg(tensor.storageOffset)
                         .arg(tensor.device));
    return lines;
}

const TensorInfo* tensorNamed(const Checkpoint& checkpoint, const QString& name)
{
    for (const TensorInfo& tensor : checkpoint.tensors) {
        if (tensor.name == name)
            return &tensor;
    }
    return nullptr;
}

// Element `index` (in elements of T) of the tensor's storage, read through Checkpoint::storageBytes.
template <typename T>
T storageElement(const Checkpoint& checkpoint, const TensorInfo& tensor, qint64 index)
{
    auto bytes = checkpoint.storageBytes(tensor.storage);
    if (!bytes || (index + 1) * qint64(sizeof(T)) > bytes->size())
        return T(-12345);
    return qFromLittleEndian<T>(bytes->data() + index * qint64(sizeof(T)));
}

// `bytes` with a few bytes overwritten at random (seeded: failures reproduce).
QByteArray mutated(QByteArray bytes, QRandomGenerator& random, qsizetype from = 0)
{
    const int edits = 1 + int(random.bounded(4));
    for (int i = 0; i < edits && bytes.size() > from; ++i) {
        const qsizetype at = from + qsizetype(random.bounded(quint64(bytes.size() - from)));
        static const char kInteresting[] = {'\0', '\xff', '\x7f', '\x80', '9', '-', '[', '{', '"', ',', ':'};
        bytes[at] = random.bounded(2) ? char(random.bounded(256)) : kInteresting[random.bounded(int(sizeof(kInteresting)))];
    }
    return bytes;
}

QString errorText(const Result<Value*>& root) { return root ? QString() : root.error().message; }

QByteArray readFile(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

const QString kRealPt2 = QStringLiteral(STATELENS_TEST_DATA "/real/executorch__linear.pt2");

}  // namespace

// ---- tar -------------------------------------------------------------------------------------

void TestPt2TarReaders::testTarReadsTorchLayout()
{
    auto read = readBytes(TarParts().archive(), Reader::Tar);
    QVERIFY2(read->root, qPrintable(errorText(read->root)));
    const Checkpoint& checkpoint = *read->checkpoint;
    const QStringList expected = {
        QStringLiteral("weight float32 [2, 3] strides [3, 1] +0 cpu"),
        QStringLiteral("view float32 [3] strides [1] +0 cpu"),
        QStringLiteral("step int64 [] strides [] +1 cuda:0"),
        QStringLiteral("weight_t float32 [3, 2] strides [1, 3] +0 cpu"),
    };
    QCOMPARE(listing(checkpoint), expected);

    // Views alias their root's bytes: the view storage starts at element 2 of storage 1001.
    QCOMPARE(checkpoint.storages.size(), 3);
    QCOMPARE(storageElement<float>(checkpoint, *tensorNamed(checkpoint, QStringLiteral("view")), 0), 2.0f);
    QCOMPARE(storageElement<float>(checkpoint, *tensorNamed(checkpoint, QStringLiteral("weight")), 5), 5.0f);
    QCOMPARE(storageElement<qint64>(checkpoint, *tensorNamed(checkpoint, QStringLiteral("step")), 1), qint64(8));
    QCOMPARE(tensorNamed(checkpoint, QStringLiteral("weight"))->storage, tensorNamed(checkpoint, QStringLiteral("weight_t"))->storage);

    // A storage persistent id gives the storage; a module id gives its class, never its source.
    const Value* root = *read->root;
    QCOMPARE(root->kind, ValueKind::Dict);
    QCOMPARE(root->find(u"storage")->kind, ValueKind::Storage);
    QCOMPARE(root->find(u"net")->kind, ValueKind::Global);
    QCOMPARE(root->find(u"net")->text, QStringLiteral("__main__.Net"));
    QVERIFY2(checkpoint.formatDetail.contains(QLatin1String("tar")), qPrintable(checkpoint.formatDetail));
    QVERIFY(checkpoint.metadata.contains({QStringLiteral("byteorder"), QStringLiteral("little")}));
    QVERIFY(checkpoint.warnings.isEmpty());
}

void TestPt2TarReaders::testTarIsSniffed()
{
    auto read = readBytes(TarParts().archive());
    QVERIFY2(read->root, qPrintable(errorText(read->root)));
    QCOMPARE(read->format, Format::TorchTar);
    QCOMPARE(read->checkpoint->tensors.size(), 4);
}

void TestPt2TarReaders::testTarHeaderVariants_data()
{
    QTest::addColumn<QByteArray>("archive");
    const TarParts parts;
    const QByteArray storages = parts.storages;
    QTest::newRow("ustar as torch wrote it") << parts.archive();
    QTest::newRow("pax path replaces the header name")
        << parts.archive(paxHeader(paxRecord("path", "storages") + paxRecord("mtime", "1.5")) + tarMember("PaxHeaders.0/garbage", storages));
    QTest::newRow("pax size replaces a zero size field")
        << parts.archive(paxHeader(paxRecord("size", QByteArray::number(storages.size()))) + tarHeader("storages", 0, '0', SizeField::Zero) + padded(storages));
    QTest::newRow("gnu base-256 size") << parts.archive(tarMember("storages", storages, SizeField::Base256));
    QTest::newRow("gnu long name")
        << parts.archive(tarHeader("././@LongLink", 9, 'L') + padded(QByteArray("storages\0", 9)) + tarMember("garbage", storages));
    QTest::newRow("global pax header is skipped") << parts.archive(paxHeader(paxRecord("comment", "hi"), 'g') + tarMember("storages", storages));
    QTest::newRow("folder with a non-zero size field carries no data")
        << parts.archive(tarHeader("folder/", 4096, '5') + tarMember("storages", storages));
    QTest::newRow("dot-slash names in another order")
        << tarMember("./storages", storages) + tarMember("./tensors", parts.tensors) + tarMember("./pickle", parts.object) + kTarEnd;
    QTest::newRow("no end-of-archive blocks") << parts.archive().chopped(1024);
    QTest::newRow("no sys_info member")
        << tarMember("pickle", parts.object) + tarMember("tensors", parts.tensors) + tarMember("storages", storages) + kTarEnd;
}

void TestPt2TarReaders::testTarHeaderVariants()
{
    QFETCH(QByteArray, archive);
    auto read = readBytes(archive, Reader::Tar);
    QVERIFY2(read->root, qPrintable(errorText(read->root)));
    QCOMPARE(read->checkpoint->tensors.size(), 4);
    const TensorInfo* view = tensorNamed(*read->checkpoint, QStringLiteral("view"));
    QVERIFY(view);
    QCOMPARE(storageElement<float>(*read->checkpoint, *view, 2), 4.0f);
}

void TestPt2TarReaders::testTarRejectsBrokenArchive_data()
{
    QTest::addColumn<QByteArray>("archive");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");

    auto withStorages = [](const QVector<StorageSpec>& storages, const QVector<ViewSpec>& views, qint64 announced = -1) {
        TarParts parts;
        parts.storages = storagesMember(storages, views, announced);
        return parts.archive();
    };
    auto withTensors = [](const QVector<TensorSpec>& tensors, qint64 announced = -1) {
        TarParts parts;
        parts.tensors = tensorsMember(tensors, announced);
        return parts.archive();
    };
    auto withTensor = [&](const TensorSpec& replacement) {
        QVector<TensorSpec> tensors = referenceTensors();
        tensors[0] = replacement;
        return withTensors(tensors);
    };
    const TarParts parts;
    const QByteArray good = parts.archive();

    QByteArray badFirst = good;
    badFirst[0] = 'S';
    QTest::newRow("first header checksum") << badFirst << ErrorCode::Corrupt << "checksum";
    QByteArray badHeader = tarHeader("pickle", parts.object.size());
    badHeader[200] = 'x';  // inside the link name: only the checksum notices
    QTest::newRow("later header checksum") << tarMember("sys_info", parts.sysInfo) + badHeader + padded(parts.object) + kTarEnd
                                           << ErrorCode::Corrupt << "has a wrong checksum";
    QTest::newRow("no storages member")
        << tarMember("pickle", parts.object) + tarMember("tensors", parts.tensors) + kTarEnd << ErrorCode::Corrupt << "no member 'storages'";
    TarParts noTensors;
    noTensors.tensors.clear();  // storages, but an empty tensors member
    QTest::newRow("empty tensors member") << noTensors.archive() << ErrorCode::Corrupt
                                          << "tar member 'tensors' is empty, but torch.save's tar format keeps a pickle there";
    QTest::newRow("no tensors member")
        << tarMember("pickle", parts.object) + tarMember("storages", parts.storages) + kTarEnd << ErrorCode::Corrupt << "no member 'tensors'";
    QTest::newRow("ordinary tar archive") << tarMember("README", "hello") + kTarEnd << ErrorCode::NotACheckpoint << "not a torch.save checkpoint";
    QTest::newRow("cut between two members")
        << tarMember("sys_info", parts.sysInfo) + tarMember("pickle", parts.object) << ErrorCode::Truncated << "without member 'storages': the file is truncated";
    QTest::newRow("member past the end of the file")
        << tarMember("pickle", parts.object) + tarMember("tensors", parts.tensors) + tarHeader("storages", 1 << 20) + parts.storages
        << ErrorCode::Truncated << "tar member 'storages' is truncated";
    QTest::newRow("pax size past the end of the file")
        << parts.archive(paxHeader(paxRecord("size", "99999999")) + tarMember("storages", parts.storages)) << ErrorCode::Truncated << "truncated";
    QTest::newRow("malformed pax record") << parts.archive(paxHeader("12 size=3\n") + tarMember("storages", parts.storages))
                                          << ErrorCode::Corrupt << "malformed";
    QByteArray negativeSize = tarHeader("storages", 0, '0', SizeField::Zero);
    negativeSize[124] = char(0xFF);
    QTest::newRow("negative base-256 size") << parts.archive(rechecksummed(negativeSize)) << ErrorCode::Corrupt << "unreadable size";
    QByteArray badOctal = tarHeader("storages", 0);
    badOctal[130] = '9';
    QTest::newRow("size field not octal") << parts.archive(rechecksummed(badOctal)) << ErrorCode::Corrupt << "unreadable size";

    QTest::newRow("storage data past its member")
        << withStorages({{1001, "cpu", "FloatStorage", 600, floats({0, 1, 2, 3, 4, 5})}}, {}) << ErrorCode::Truncated << "needs 2400 bytes";
    QTest::newRow("negative element count")
        << withStorages({{1001, "cpu", "FloatStorage", -1, {}}}, {}) << ErrorCode::Corrupt << "bad element count";
    QTest::newRow("element count overflows")
        << withStorages({{1001, "cpu", "DoubleStorage", qint64(1) << 61, {}}}, {}) << ErrorCode::Corrupt << "bad element count";
    QTest::newRow("unknown storage type")
        << withStorages({{1001, "cpu", "FancyStorage", 0, {}}}, {}) << ErrorCode::Unsupported << "unknown type";
    QTest::newRow("storage count beyond the member")
        << withStorages(referenceStorages(), referenceViews(), 1000000) << ErrorCode::Truncated << "records announced";
    QTest::newRow("storage stored twice")
        << withStorages({referenceStorages()[0], referenceStorages()[0]}, {}) << ErrorCode::Corrupt << "stored twice";
    QTest::newRow("view past its root")
        << withStorages(referenceStorages(), {{1003, 1001, 4, 3}}) << ErrorCode::Corrupt << "runs past storage '1001'";
    QTest::newRow("view of a missing root")
        << withStorages(referenceStorages(), {{1003, 999, 0, 1}}) << ErrorCode::Corrupt << "'999', which is not stored";

    QTest::newRow("tensor past its storage")
        << withTensor({2001, 1001, "FloatTensor", {3, 3}, {3, 1}}) << ErrorCode::Corrupt << "reaches element 8 of storage '1001', which has 6";
    QTest::newRow("offset past its storage")
        << withTensor({2001, 1001, "FloatTensor", {1}, {1}, 6}) << ErrorCode::Corrupt << "reaches element 6";
    QTest::newRow("tensor on a missing storage")
        << withTensor({2001, 77, "FloatTensor", {1}, {1}}) << ErrorCode::Corrupt << "which is not stored";
    QTest::newRow("negative dimension count")
        << withTensor({2001, 1001, "FloatTensor", {}, {}, 0, -3}) << ErrorCode::Corrupt << "-3 dimensions";
    QTest::newRow("dimension count beyond the member")
        << withTensor({2001, 1001, "FloatTensor", {}, {}, 0, 1000000}) << ErrorCode::Truncated << "geometry bytes";
    QTest::newRow("negative stride")
        << withTensor({2001, 1001, "FloatTensor", {2}, {-1}, 1}) << ErrorCode::Corrupt << "negative";
    QTest::newRow("element count overflows in the shape")
        << withTensor({2001, 1001, "FloatTensor", {qint64(1) << 40, qint64(1) << 40}, {0, 0}}) << ErrorCode::Corrupt << "overflows";
    QTest::newRow("storage-less tensor with elements")
        << withTensor({2001, -1, "FloatTensor", {4}, {1}}) << ErrorCode::Corrupt << "has elements but no storage";
    QTest::newRow("tensor count beyond the member")
        << withTensors(referenceTensors(), 1000) << ErrorCode::Truncated << "records announced";

    TarParts unknownKey;
    unknownKey.object = objectMember("31337");
    QTest::newRow("pickle names an unknown key") << unknownKey.archive() << ErrorCode::Corrupt << "object '31337'";
    TarParts garbage;
    garbage.storages = "not a pickle at all";
    // The pickle machine chooses the code; the reader adds which member failed.
    QTest::newRow("member is not a pickle") << garbage.archive() << ErrorCode::Cancelled << "tar member 'storages':";
}

void TestPt2TarReaders::testTarRejectsBrokenArchive()
{
    QFETCH(QByteArray, archive);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    auto read = readBytes(archive, Reader::Tar);
    QVERIFY2(!read->root, "a broken archive was read without error");
    QVERIFY2(read->root.error().message.contains(message), qPrintable(read->root.error().message));
    if (code != ErrorCode::Cancelled)  // Cancelled: any code
        QCOMPARE(read->root.error().code, code);
}

void TestPt2TarReaders::testTarEveryTruncationFailsCleanly()
{
    const QByteArray archive = TarParts().archive();
    // Everything torch needs ends with the storages member; only the padding and the end blocks
    // may go missing without an error.
    const qsizetype lastData = archive.size() - 1024 - (512 - TarParts().storages.size() % 512) % 512;
    for (qsizetype cut = 0; cut < archive.size(); ++cut) {
        auto read = readBytes(archive.left(cut), Reader::Tar);
        if (cut < lastData) {
            QVERIFY2(!read->root, qPrintable(QStringLiteral("cut at %1 was read").arg(cut)));
            QVERIFY2(!read->root.error().message.isEmpty(), "an error without a message");
        } else {
            QVERIFY2(read->root, qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(errorText(read->root))));
        }
    }
}

void TestPt2TarReaders::testTarSurvivesMutations()
{
    // Damage anywhere (headers, pickles, geometry, data) reads or fails with a message, never
    // crashes; run under ASan/UBSan this also checks every read stays in bounds.
    const QByteArray archive = TarParts().archive();
    QRandomGenerator random(1950);
    for (int i = 0; i < 3000; ++i) {
        auto read = readBytes(mutated(archive, random), Reader::Tar);
        if (!read->root)
            QVERIFY2(!read->root.error().message.isEmpty(), "an error without a message");
    }
}

void TestPt2TarReaders::testTarFixture_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("expected");
    for (const FixtureExpectation& expectation : loadFixtureExpectations(QStringLiteral(STATELENS_TEST_DATA))) {
        if (expectation.format != QLatin1String("torch-tar"))
            continue;
        QStringList lines;
        for (const ExpectedTensor& tensor : expectation.tensors)
            lines.append(QStringLiteral("%1 %2 %3").arg(tensor.name, tensor.dtype, formatShape(tensor.shape)));
        QTest::addRow("%s", qPrintable(QFileInfo(expectation.fixturePath).fileName())) << expectation.fixturePath << lines;
    }
}

void TestPt2TarReaders::testTarFixture()
{
    QFETCH(QString, path);
    QFETCH(QStringList, expected);
    const QByteArray bytes = readFile(path);
    QVERIFY(!bytes.isEmpty());
    auto read = readBytes(bytes, Reader::Tar);
    QVERIFY2(read->root, qPrintable(errorText(read->root)));
    QStringList lines;
    for (const TensorInfo& tensor : read->checkpoint->tensors) {
        lines.append(QStringLiteral("%1 %2 %3").arg(tensor.name, dtypeName(tensor.dtype), formatShape(tensor.shape)));
        if (tensor.storage >= 0)
            QVERIFY2(read->checkpoint->storageBytes(tensor.storage), qPrintable(tensor.name));
    }
    QCOMPARE(lines, expected);

    // Every cut of the real file fails with a message or reads; none crashes.
    for (qsizetype cut = 0; cut < bytes.size(); cut += qMax<qsizetype>(1, bytes.size() / 2000)) {
        auto truncated = readBytes(bytes.left(cut), Reader::Tar);
        if (!truncated->root)
            QVERIFY2(!truncated->root.error().message.isEmpty(), "an error without a message");
    }
}

// ---- pt2 -------------------------------------------------------------------------------------

void TestPt2TarReaders::testPt2ReadsRealArchive()
{
    const QByteArray bytes = readFile(kRealPt2);
    QVERIFY2(!bytes.isEmpty(), "tests/data/real/executorch__linear.pt2 is missing");
    auto read = readBytes(bytes);
    QVERIFY2(read->root, qPrintable(errorText(read->root)));
    QCOMPARE(read->format, Format::TorchExport);
    const Checkpoint& checkpoint = *read->checkpoint;
    // Read by hand from data/weights/model_weights_config.json (unzip -p).
    const QStringList expected = {
        QStringLiteral("linear.weight float32 [3, 3] strides [3, 1] +0 cpu"),
        QStringLiteral("linear.bias float32 [3] strides [1] +0 cpu"),
    };
    QCOMPARE(listing(checkpoint), expected);
    for (const TensorInfo& tensor : checkpoint.tensors) {
        QVERIFY(tensor.isParameter);
        QVERIFY(tensor.requiresGrad);
        QCOMPARE(checkpoint.storages[tensor.storage].nbytes, tensor.numel() * 4);
        QCOMPARE(checkpoint.storages[tensor.storage].record, tensor.name.endsWith(QLatin1String("weight")) ? QStringLiteral("data/weights/weight_0")
                                                                                                             : QStringLiteral("data/weights/weight_1"));
    }
    // weight_0 starts 3d 3c 0b bf, weight_1 starts 18 48 47 be (xxd of the records).
    const auto first = [&](int i) {
        const quint32 bits = storageElement<quint32>(checkpoint, checkpoint.tensors[i], 0);
        float value;
        std::memcpy(&value, &bits, 4);
        return value;
    };
    QCOMPARE(storageElement<quint32>(checkpoint, checkpoint.tensors[0], 0), 0xbf0b3c3du);
    QCOMPARE(storageElement<quint32>(checkpoint, checkpoint.tensors[1], 0), 0xbe474818u);
    QVERIFY(first(0) < -0.5f && first(0) > -0.6f);

    QVERIFY(checkpoint.metadata.contains({QStringLiteral("archive_version"), QStringLiteral("0")}));
    QVERIFY(checkpoint.metadata.contains({QStringLiteral("models"), QStringLiteral("model")}));
    QVERIFY(checkpoint.metadata.contains({QStringLiteral("torch version"), QStringLiteral("2.9.0a0+fb")}));
    QVERIFY(checkpoint.metadata.contains({QStringLiteral("schema version"), QStringLiteral("8.12")}));
    QVERIFY2(checkpoint.formatDetail.contains(QLatin1String(".pt2")), qPrintable(checkpoint.formatDetail));
    QVERIFY2(checkpoint.warnings.isEmpty(), qPrintable(checkpoint.warnings.join(u'\n')));
}

void TestPt2TarReaders::testPt2Variants_data()
{
    QTest::addColumn<QByteArray>("archive");
    QTest::addColumn<QStringList>("expected");  // "name dtype [shape] strides [..] +offset storage-record"
    QTest::addColumn<QString>("warning");       // substring of a warning, empty when none

    const QStringList plain = {QStringLiteral("lin.weight float32 [2, 3] strides [3, 1] +0 data/weights/weight_0"),
                               QStringLiteral("lin.bias float32 [2] strides [1] +0 data/weights/weight_1")};
    QTest::newRow("weights in config order") << Pt2Parts().archive() << plain << QString();

    Pt2Parts unsorted;
    unsorted.weightsConfig = config({payload("z.weight", "weight_0", 7, "6", "1"), payload("a.bias", "weight_1", 7, "2", "1")});
    QTest::newRow("config order, not sorted order") << unsorted.archive()
        << QStringList{QStringLiteral("z.weight float32 [6] strides [1] +0 data/weights/weight_0"),
                       QStringLiteral("a.bias float32 [2] strides [1] +0 data/weights/weight_1")} << QString();

    Pt2Parts views;
    views.weightsConfig = config({payload("emb.weight", "weight_0", 7, "2,3", "3,1"), payload("head.weight", "weight_0", 7, "3,2", "1,3"),
                                  payload("row", "weight_0", 7, "3", "1", 3, false)});
    QTest::newRow("views share one record") << views.archive()
        << QStringList{QStringLiteral("emb.weight float32 [2, 3] strides [3, 1] +0 data/weights/weight_0"),
                       QStringLiteral("head.weight float32 [3, 2] strides [1, 3] +0 data/weights/weight_0"),
                       QStringLiteral("row float32 [3] strides [1] +3 data/weights/weight_0")} << QString();

    Pt2Parts constants;
    constants.constantsConfig = config({payload("mask", "tensor_0", 12, "4", "1", 0, false)});
    constants.extra = {{"data/constants/tensor_0", QByteArray("\x01\x00\x01\x01", 4)}};
    QTest::newRow("constants after weights") << constants.archive()
        << plain + QStringList{QStringLiteral("mask bool [4] strides [1] +0 data/constants/tensor_0")} << QString();

    Pt2Parts fake;
    fake.weights[1].second.clear();
    QTest::newRow("fake tensor saved without data") << fake.archive()
        << QStringList{plain[0], QStringLiteral("lin.bias float32 [2] strides [1] +0 -")} << QStringLiteral("saved without data");

    Pt2Parts noWeights;
    noWeights.weights[0].second.clear();
    noWeights.weights[1].second.clear();
    QTest::newRow("export without weights: one warning for all") << noWeights.archive()
        << QStringList{QStringLiteral("lin.weight float32 [2, 3] strides [3, 1] +0 -"), QStringLiteral("lin.bias float32 [2] strides [1] +0 -")}
        << QStringLiteral("2 entries ('lin.weight', ...) was saved without data");

    Pt2Parts deflated;
    deflated.deflated = "weight_0";
    QTest::newRow("deflated weight record") << deflated.archive()
        << QStringList{QStringLiteral("lin.weight float32 [2, 3] strides [3, 1] +0 -"), plain[1]} << QStringLiteral("compressed");

    Pt2Parts customObject;
    customObject.constantsConfig = R"({"config": {"obj": {"path_name": "custom_obj_0", "is_param": false, "use_pickle": true, "tensor_meta": null}}})";
    QTest::newRow("custom object constant") << customObject.archive() << plain << QStringLiteral("custom object");

    Pt2Parts unknownDtype;
    unknownDtype.weightsConfig = config({payload("lin.weight", "weight_0", 7, "2,3", "3,1"), payload("lin.bias", "weight_1", 99, "2", "1")});
    QTest::newRow("dtype this reader does not know") << unknownDtype.archive()
        << QStringList{plain[0], QStringLiteral("lin.bias unknown [2] strides [1] +0 -")} << QStringLiteral("export dtype 99");

    Pt2Parts pickled;
    pickled.weightsConfig = config({payload("lin.weight", "weight_0", 7, "2,3", "3,1"), payload("sub", "weight_1", 7, "2", "1", 0, true, true)});
    pickled.weights[1].second = torchSaveZip("inner", floats({7, 8}));
    QTest::newRow("pickled tensor subclass read in place") << pickled.archive()
        << QStringList{plain[0], QStringLiteral("sub.inner float32 [2] strides [1] +0 data/0")} << QString();

    Pt2Parts legacy;
    legacy.weights = {{"model.pt", torchSaveZip("lin.weight", floats({1, 2, 3}))}};
    legacy.weightsConfig.clear();
    QTest::newRow("older archive with a torch.save'd state dict") << legacy.archive()
        << QStringList{QStringLiteral("lin.weight float32 [3] strides [1] +0 data/0")} << QString();

    Pt2Parts deepModel;
    deepModel.model = R"({"graph_module": {"graph": )" + QByteArray(200000, '[') + QByteArray(200000, ']') + R"(}, "extra": )"
        + QByteArray(200000, '[') + QByteArray(200000, ']') + "}";
    QTest::newRow("deeply nested model.json") << deepModel.archive() << plain << QString();

    Pt2Parts twoModels;
    twoModels.extra = {{"models/second.json", modelJson("2.10.0")},
                       {"data/weights/second_weights_config.json", config({payload("w", "weight_2", 5, "1", "1")})},
                       {"data/weights/weight_2", littleEndian<qint64>({42})},
                       {"data/constants/second_constants_config.json", config({})}};
    QTest::newRow("two models, one dict each") << twoModels.archive()
        << QStringList{QStringLiteral("model.lin.weight float32 [2, 3] strides [3, 1] +0 data/weights/weight_0"),
                       QStringLiteral("model.lin.bias float32 [2] strides [1] +0 data/weights/weight_1"),
                       QStringLiteral("second.w int64 [1] strides [1] +0 data/weights/weight_2")} << QString();
}

void TestPt2TarReaders::testPt2Variants()
{
    QFETCH(QByteArray, archive);
    QFETCH(QStringList, expected);
    QFETCH(QString, warning);
    auto read = readBytes(archive);
    QVERIFY2(read->root, qPrintable(errorText(read->root)));
    QCOMPARE(read->format, Format::TorchExport);
    const Checkpoint& checkpoint = *read->checkpoint;
    QStringList lines;
    for (const TensorInfo& tensor : checkpoint.tensors) {
        lines.append(QStringLiteral("%1 %2 %3 strides %4 +%5 %6")
                         .arg(tensor.name, dtypeName(tensor.dtype), formatShape(tensor.shape), formatShape(tensor.strides))
                         .arg(tensor.storageOffset)
                         .arg(tensor.storage >= 0 ? checkpoint.storages[tensor.storage].record : QStringLiteral("-")));
        if (tensor.storage >= 0) {
            auto bytes = checkpoint.storageBytes(tensor.storage);
            QVERIFY2(bytes, qPrintable(bytes ? QString() : bytes.error().message));
        }
    }
    QCOMPARE(lines, expected);
    const QString warnings = checkpoint.warnings.join(u'\n');
    if (warning.isEmpty())
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings));
    else
        QVERIFY2(warnings.contains(warning), qPrintable(warnings));
    // Nested archives describe records, not this file: their facts stay out of the metadata.
    QVERIFY(!checkpoint.metadata.contains({QStringLiteral("archive folder"), QStringLiteral("archive")}));
}

void TestPt2TarReaders::testPt2RejectsBrokenArchive_data()
{
    QTest::addColumn<QByteArray>("archive");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");
    auto withConfig = [](const QByteArray& weightsConfig) {
        Pt2Parts parts;
        parts.weightsConfig = weightsConfig;
        return parts.archive();
    };
    QTest::newRow("config is not JSON") << withConfig("{\"config\": {") << ErrorCode::Corrupt << "not valid JSON";
    QTest::newRow("config without a config object") << withConfig(R"({"weights": {}})") << ErrorCode::Corrupt << "no \"config\" object";
    QTest::newRow("entry without path_name") << withConfig(R"({"config": {"w": {"is_param": true}}})") << ErrorCode::Corrupt << "no path_name";
    QTest::newRow("deeply nested entry") << withConfig(R"({"config": {"w": )" + QByteArray(200000, '[') + QByteArray(200000, ']') + "}}")
                                         << ErrorCode::Corrupt << "no path_name";
    QTest::newRow("entry without tensor_meta") << withConfig(R"({"config": {"w": {"path_name": "weight_0"}}})") << ErrorCode::Corrupt << "no tensor_meta";
    QTest::newRow("missing weight record") << withConfig(config({payload("w", "weight_9", 7, "1", "1")})) << ErrorCode::Corrupt
                                           << "record 'data/weights/weight_9' of tensor 'w' is missing";
    QTest::newRow("tensor past its record") << withConfig(config({payload("w", "weight_1", 7, "3", "1")})) << ErrorCode::Corrupt
                                            << "reaches element 2 of record 'data/weights/weight_1', which holds 2";
    QTest::newRow("offset past its record") << withConfig(config({payload("w", "weight_1", 7, "1", "1", 2)})) << ErrorCode::Corrupt
                                            << "reaches element 2";
    QTest::newRow("record not a whole number of elements") << withConfig(config({payload("w", "weight_0", 11, "1", "1")}))
                                                           << ErrorCode::Corrupt << "not a whole number of complex128 elements";
    QTest::newRow("symbolic size")
        << withConfig(config({payload("w", "weight_1", 7, "2", "1")}).replace(R"({"as_int": 2})", R"({"as_expr": {"expr_str": "s0"}})"))
        << ErrorCode::Corrupt << "symbolic";
    QTest::newRow("negative stride") << withConfig(config({payload("w", "weight_1", 7, "2", "-1", 1)})) << ErrorCode::Corrupt << "negative";
    QTest::newRow("size beyond 64 bits") << withConfig(config({payload("w", "weight_1", 7, "18446744073709551615", "1")}))
                                         << ErrorCode::Corrupt << "malformed";
    QTest::newRow("element count overflows")
        << withConfig(config({payload("w", "weight_1", 7, "4294967296,4294967296", "0,0")})) << ErrorCode::Corrupt << "overflows";
    Pt2Parts legacyNotDict;
    legacyNotDict.weights = {{"model.pt", Pt2Parts().archive()}};
    QTest::newRow("older archive whose state dict is another pt2") << legacyNotDict.archive() << ErrorCode::Unsupported << "pt2";
}

void TestPt2TarReaders::testPt2RejectsBrokenArchive()
{
    QFETCH(QByteArray, archive);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    auto read = readBytes(archive);
    QVERIFY2(!read->root, "a broken archive was read without error");
    QVERIFY2(read->root.error().message.contains(message), qPrintable(read->root.error().message));
    QCOMPARE(read->root.error().code, code);
}

void TestPt2TarReaders::testPt2TruncatedConfigFailsCleanly()
{
    const QByteArray full = Pt2Parts().weightsConfig;
    for (qsizetype cut = 0; cut < full.size(); ++cut) {
        Pt2Parts parts;
        parts.weightsConfig = full.left(cut);
        auto read = readBytes(parts.archive());
        QVERIFY2(!read->root, qPrintable(QStringLiteral("cut at %1 was read").arg(cut)));
        QVERIFY2(read->root.error().message.contains(QLatin1String("model_weights_config.json")), qPrintable(read->root.error().message));
    }
}

void TestPt2TarReaders::testPt2RefusesHugeConfig()
{
    Pt2Parts parts;
    parts.weightsConfig = config({}) + QByteArray((64 << 20) + 1, ' ');
    auto read = readBytes(parts.archive());
    QVERIFY(!read->root);
    QCOMPARE(read->root.error().code, ErrorCode::LimitExceeded);
    QVERIFY2(read->root.error().message.contains(QLatin1String("limit")), qPrintable(read->root.error().message));
}

void TestPt2TarReaders::testPt2SurvivesMutatedConfigs()
{
    const Pt2Parts reference;
    QRandomGenerator random(2024);
    for (int i = 0; i < 1500; ++i) {
        Pt2Parts parts;
        parts.weightsConfig = mutated(reference.weightsConfig, random);
        auto read = readBytes(parts.archive());
        if (!read->root)
            QVERIFY2(!read->root.error().message.isEmpty(), "an error without a message");
    }
}

void TestPt2TarReaders::testExportScalarTypes_data()
{
    QTest::addColumn<int>("value");
    QTest::addColumn<QString>("dtype");
    // torch/_export/serde/schema.py (schema 8.20), class ScalarType.
    const QVector<QPair<int, const char*>> table = {
        {0, "unknown"}, {1, "uint8"}, {2, "int8"}, {3, "int16"}, {4, "int32"}, {5, "int64"}, {6, "float16"}, {7, "float32"},
        {8, "float64"}, {9, "complex32"}, {10, "complex64"}, {11, "complex128"}, {12, "bool"}, {13, "bfloat16"},
        {14, "unknown"}, {27, "unknown"}, {28, "uint16"}, {29, "float8_e4m3fn"}, {30, "float8_e5m2"}, {31, "float8_e4m3fnuz"},
        {32, "float8_e5m2fnuz"}, {33, "float8_e8m0fnu"}, {34, "uint32"}, {35, "uint64"}, {36, "unknown"}, {-1, "unknown"}};
    for (const auto& [value, dtype] : table)
        QTest::addRow("%d is %s", value, dtype) << value << QString::fromLatin1(dtype);
}

void TestPt2TarReaders::testExportScalarTypes()
{
    QFETCH(int, value);
    QFETCH(QString, dtype);
    QCOMPARE(dtypeName(dtypeFromExportScalarType(value)), dtype);
}

QTEST_GUILESS_MAIN(TestPt2TarReaders)
#include "tst_pt2_tar_readers.moc"
