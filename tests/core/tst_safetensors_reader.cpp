// The safetensors reader against hand-built files: every validation rule of the reference
// implementation (docs/checkpoint-formats.md §5.3), every dtype string, and hostile headers; and
// the shard-index reader against folders of such files (§6.1).
#include "core/formats/checkpoint_reader.h"
#include "core/formats/safetensors_reader.h"
#include "core/formats/sharded_reader.h"

#include <QDir>
#include <QElapsedTimer>
#include <QThread>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <memory>

using namespace statelens;

// Declared before the helpers: moc mis-reads raw string literals with unbalanced brackets
// (R"(...[)"), and everything after the first one is lost to it.
class TestSafetensorsReader : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testListsTensorsInNameOrder();
    void testAcceptsValidVariants_data();
    void testAcceptsValidVariants();
    void testEveryDtype_data();
    void testEveryDtype();
    void testF4HalvesTheLastDimension();
    void testMetadata_data();
    void testMetadata();
    void testRejectsInvalidFile_data();
    void testRejectsInvalidFile();
    void testDeepNestingDoesNotRecurse();
    void testLargeHeaderReadsEveryEntry();
    void testReferenceVectors_data();
    void testReferenceVectors();
    void testHundredMegabyteHeader();

    void testShardedMergesInIndexOrder();
    void testShardedWarnsAboutUnlistedTensors();
    void testShardedRejectsBadIndex_data();
    void testShardedRejectsBadIndex();
    void testFindShardIndex_data();
    void testFindShardIndex();
};

namespace {

// A safetensors file: the 8-byte little-endian header length, the header, `dataSize` zero bytes.
QByteArray safetensorsFile(const QByteArray& header, qint64 dataSize = 0)
{
    QByteArray file(8, '\0');
    qToLittleEndian<quint64>(quint64(header.size()), file.data());
    return file + header + QByteArray(dataSize, '\0');
}

// A file whose length field claims `length` bytes whatever follows it.
QByteArray claimedLength(quint64 length, const QByteArray& rest)
{
    QByteArray file(8, '\0');
    qToLittleEndian<quint64>(length, file.data());
    return file + rest;
}

// One header entry: "name":{"dtype":...,"shape":[...],"data_offsets":[begin,end]}.
QByteArray entry(const QByteArray& name, const QByteArray& dtype, const QByteArray& shape, qint64 begin, qint64 end)
{
    return '"' + name + R"(":{"dtype":")" + dtype + R"(","shape":[)" + shape + R"(],"data_offsets":[)"
        + QByteArray::number(begin) + ',' + QByteArray::number(end) + "]}";
}

// A checkpoint over in-memory bytes, read with readSafetensors directly (no sniffing).
struct Read {
    QByteArray bytes;  // the mapped memory: declared first, so it outlives the checkpoint's map
    std::unique_ptr<Checkpoint> checkpoint = std::make_unique<Checkpoint>();
    Result<Value*> root = static_cast<Value*>(nullptr);
};

std::unique_ptr<Read> readBytes(const QByteArray& bytes)
{
    auto read = std::make_unique<Read>();
    read->bytes = bytes;
    read->checkpoint->files.push_back(
        SourceFile{MappedFile::fromMemory(QStringLiteral("test.safetensors"), read->bytes.constData(), read->bytes.size()), nullptr});
    read->root = readSafetensors(*read->checkpoint, 0);
    return read;
}

QString shapeText(const QVector<qint64>& shape)
{
    QStringList parts;
    for (const qint64 dim : shape)
        parts.append(QString::number(dim));
    return QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']');
}

QStringList rootNames(const Value* root)
{
    QStringList names;
    for (const auto& [key, value] : root->entries())
        names.append(key->text);
    return names;
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

}  // namespace


void TestSafetensorsReader::testListsTensorsInNameOrder()
{
    // Header order (b, c, a) and data order (c, a, b) both differ from name order (a, b, c).
    const QByteArray header = '{' + entry("b", "F32", "2,3", 16, 40) + ',' + entry("c", "I64", "", 0, 8) + ','
        + entry("a", "BF16", "4", 8, 16) + R"(,"__metadata__":{"format":"pt"}})";
    auto read = readBytes(safetensorsFile(header, 40));
    QVERIFY2(read->root, qPrintable(read->root ? QString() : read->root.error().message));
    const Checkpoint& checkpoint = *read->checkpoint;
    const Value* root = *read->root;
    QCOMPARE(root->kind, ValueKind::Dict);
    QCOMPARE(rootNames(root), (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));

    const qint64 dataStart = 8 + header.size();
    struct Want { DType dtype; QString shape; QString strides; qint64 begin, nbytes; };
    const Want want[] = {{DType::BFloat16, QStringLiteral("[4]"), QStringLiteral("[1]"), 8, 8},
                         {DType::Float32, QStringLiteral("[2,3]"), QStringLiteral("[3,1]"), 16, 24},
                         {DType::Int64, QStringLiteral("[]"), QStringLiteral("[]"), 0, 8}};
    QCOMPARE(checkpoint.rebuilt.size(), size_t(3));
    QCOMPARE(checkpoint.storages.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const Value* value = root->entries()[size_t(i)].second;
        QCOMPARE(value->kind, ValueKind::Tensor);
        const TensorInfo& tensor = checkpoint.rebuilt[size_t(value->index)];
        QCOMPARE(tensor.dtype, want[i].dtype);
        QCOMPARE(shapeText(tensor.shape), want[i].shape);
        QCOMPARE(shapeText(tensor.strides), want[i].strides);
        QCOMPARE(tensor.storageOffset, qint64(0));
        const StorageInfo& storage = checkpoint.storages[tensor.storage];
        QCOMPARE(storage.key, root->entries()[size_t(i)].first->text);
        QVERIFY(storage.record.isEmpty());
        QCOMPARE(storage.dtype, want[i].dtype);
        QCOMPARE(storage.nbytes, want[i].nbytes);
        QCOMPARE(storage.file, 0);
        QCOMPARE(storage.fileOffset, dataStart + want[i].begin);
        QCOMPARE(storage.location, QStringLiteral("cpu"));
    }
    QCOMPARE(checkpoint.metadata, (QVector<QPair<QString, QString>>{{QStringLiteral("format"), QStringLiteral("pt")}}));
    QCOMPARE(checkpoint.formatDetail, QStringLiteral("safetensors, header %1 bytes, 3 tensors").arg(header.size()));
    QVERIFY(checkpoint.warnings.isEmpty());
}

void TestSafetensorsReader::testAcceptsValidVariants_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QStringList>("shapes");

    const QByteArray one = entry("w", "F32", "2", 0, 8);
    QTest::addRow("no tensors") << safetensorsFile("{}") << QStringList() << QStringList();
    QTest::addRow("padded with spaces to 8 bytes") << safetensorsFile('{' + one + "}      ", 8) << QStringList{"w"} << QStringList{"[2]"};
    QTest::addRow("trailing newline and tab") << safetensorsFile('{' + one + "}\n\t", 8) << QStringList{"w"} << QStringList{"[2]"};
    // The reference accepts JSON whitespace before the object (test_whitespace_leading_padded_header:
    // "\t\n{}\r "), since safetensors#686 at the latest.
    QTest::addRow("leading tab and newline") << safetensorsFile("\t\n{}\r ") << QStringList() << QStringList();
    QTest::addRow("leading spaces") << safetensorsFile("    {" + one + '}', 8) << QStringList{"w"} << QStringList{"[2]"};
    QTest::addRow("whitespace inside the object") << safetensorsFile("{ \"w\" : {\"dtype\" : \"F32\", \"shape\" : [ 2 ], \"data_offsets\" : [0, 8] } }", 8)
                                                  << QStringList{"w"} << QStringList{"[2]"};
    QTest::addRow("unknown scalar field ignored")
        << safetensorsFile(R"({"w":{"dtype":"F32","extra":true,"shape":[2],"note":"x","data_offsets":[0,8],"n":-1.5}})", 8)
        << QStringList{"w"} << QStringList{"[2]"};
    QTest::addRow("unknown list field ignored")
        << safetensorsFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":[1,"a",null]}})", 8)
        << QStringList{"w"} << QStringList{"[2]"};
    QTest::addRow("unknown object field ignored")
        << safetensorsFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":{"a":1,"b":"c"}}})", 8)
        << QStringList{"w"} << QStringList{"[2]"};
    QTest::addRow("fields in any order")
        << safetensorsFile(R"({"w":{"data_offsets":[0,8],"shape":[2],"dtype":"F32"}})", 8) << QStringList{"w"} << QStringList{"[2]"};
    QTest::addRow("scalar tensor") << safetensorsFile('{' + entry("s", "F64", "", 0, 8) + '}', 8) << QStringList{"s"} << QStringList{"[]"};
    QTest::addRow("empty tensor keeps its shape") << safetensorsFile('{' + entry("e", "F32", "0,3", 0, 0) + '}') << QStringList{"e"} << QStringList{"[0,3]"};
    QTest::addRow("empty tensors at the same offset")
        << safetensorsFile('{' + entry("z2", "F32", "0", 0, 0) + ',' + entry("z1", "I8", "5,0", 0, 0) + ',' + one + '}', 8)
        << QStringList{"w", "z1", "z2"} << QStringList{"[2]", "[5,0]", "[0]"};
    QTest::addRow("escaped and non-ASCII names")
        << safetensorsFile('{' + entry("caf\xc3\xa9", "U8", "1", 0, 1) + ',' + entry("a\\\"b\\u00e9", "U8", "1", 1, 2) + '}', 2)
        << QStringList{QStringLiteral("a\"b\u00e9"), QStringLiteral("caf\u00e9")} << QStringList{"[1]", "[1]"};
    QTest::addRow("empty tensor name") << safetensorsFile('{' + entry("", "U8", "1", 0, 1) + '}', 1) << QStringList{""} << QStringList{"[1]"};
    QTest::addRow("name that looks like a field") << safetensorsFile('{' + entry("dtype", "U8", "1", 0, 1) + '}', 1) << QStringList{"dtype"} << QStringList{"[1]"};
    QTest::addRow("limit-sized dimension with a zero")
        << safetensorsFile('{' + entry("big", "F32", "9223372036854775807,0", 0, 0) + '}') << QStringList{"big"}
        << QStringList{"[9223372036854775807,0]"};
}

void TestSafetensorsReader::testAcceptsValidVariants()
{
    QFETCH(QByteArray, file);
    QFETCH(QStringList, names);
    QFETCH(QStringList, shapes);
    auto read = readBytes(file);
    QVERIFY2(read->root, qPrintable(read->root ? QString() : read->root.error().message));
    QCOMPARE(rootNames(*read->root), names);
    QStringList actualShapes;
    for (const auto& [key, value] : (*read->root)->entries())
        actualShapes.append(shapeText(read->checkpoint->rebuilt[size_t(value->index)].shape));
    QCOMPARE(actualShapes, shapes);
}

void TestSafetensorsReader::testEveryDtype_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<int>("dtypeValue");
    QTest::addColumn<int>("bits");
    // The complete Dtype enum of the reference implementation (§5.2).
    QTest::addRow("BOOL") << QByteArray("BOOL") << int(DType::Bool) << 8;
    QTest::addRow("F4") << QByteArray("F4") << int(DType::Float4_e2m1fn_x2) << 4;
    QTest::addRow("F6_E2M3") << QByteArray("F6_E2M3") << int(DType::Float6_e2m3fn) << 6;
    QTest::addRow("F6_E3M2") << QByteArray("F6_E3M2") << int(DType::Float6_e3m2fn) << 6;
    QTest::addRow("U8") << QByteArray("U8") << int(DType::UInt8) << 8;
    QTest::addRow("I8") << QByteArray("I8") << int(DType::Int8) << 8;
    QTest::addRow("F8_E5M2") << QByteArray("F8_E5M2") << int(DType::Float8_e5m2) << 8;
    QTest::addRow("F8_E4M3") << QByteArray("F8_E4M3") << int(DType::Float8_e4m3fn) << 8;
    QTest::addRow("F8_E8M0") << QByteArray("F8_E8M0") << int(DType::Float8_e8m0fnu) << 8;
    QTest::addRow("F8_E4M3FNUZ") << QByteArray("F8_E4M3FNUZ") << int(DType::Float8_e4m3fnuz) << 8;
    QTest::addRow("F8_E5M2FNUZ") << QByteArray("F8_E5M2FNUZ") << int(DType::Float8_e5m2fnuz) << 8;
    QTest::addRow("I16") << QByteArray("I16") << int(DType::Int16) << 16;
    QTest::addRow("U16") << QByteArray("U16") << int(DType::UInt16) << 16;
    QTest::addRow("F16") << QByteArray("F16") << int(DType::Float16) << 16;
    QTest::addRow("BF16") << QByteArray("BF16") << int(DType::BFloat16) << 16;
    QTest::addRow("I32") << QByteArray("I32") << int(DType::Int32) << 32;
    QTest::addRow("U32") << QByteArray("U32") << int(DType::UInt32) << 32;
    QTest::addRow("F32") << QByteArray("F32") << int(DType::Float32) << 32;
    QTest::addRow("C64") << QByteArray("C64") << int(DType::Complex64) << 64;
    QTest::addRow("F64") << QByteArray("F64") << int(DType::Float64) << 64;
    QTest::addRow("I64") << QByteArray("I64") << int(DType::Int64) << 64;
    QTest::addRow("U64") << QByteArray("U64") << int(DType::UInt64) << 64;
}

void TestSafetensorsReader::testEveryDtype()
{
    QFETCH(QByteArray, code);
    QFETCH(int, dtypeValue);
    QFETCH(int, bits);
    const DType dtype = DType(dtypeValue);
    // 2 x 4 elements: a whole number of bytes for every width, 4 and 6 bits included.
    const qint64 nbytes = 8 * bits / 8;
    auto read = readBytes(safetensorsFile('{' + entry("t", code, "2,4", 0, nbytes) + '}', nbytes));
    QVERIFY2(read->root, qPrintable(read->root ? QString() : read->root.error().message));
    const TensorInfo& tensor = read->checkpoint->rebuilt.at(0);
    QCOMPARE(tensor.dtype, dtype);
    QCOMPARE(read->checkpoint->storages.at(0).nbytes, nbytes);
    // torch.float4_e2m1fn_x2 holds two 4-bit values per element; F6 has no torch type and keeps
    // its logical shape.
    QCOMPARE(shapeText(tensor.shape), dtype == DType::Float4_e2m1fn_x2 ? QStringLiteral("[2,2]") : QStringLiteral("[2,4]"));
}

void TestSafetensorsReader::testF4HalvesTheLastDimension()
{
    // Even last dimension: pairs along it, shape [3, 6] -> [3, 3], 9 bytes.
    auto even = readBytes(safetensorsFile('{' + entry("even", "F4", "3,6", 0, 9) + '}', 9));
    QVERIFY(even->root);
    QCOMPARE(shapeText(even->checkpoint->rebuilt.at(0).shape), QStringLiteral("[3,3]"));
    QCOMPARE(shapeText(even->checkpoint->rebuilt.at(0).strides), QStringLiteral("[3,1]"));
    QVERIFY(even->checkpoint->warnings.isEmpty());

    // Odd last dimension: pairs straddle rows; listed as the flat byte run, with a warning.
    auto odd = readBytes(safetensorsFile('{' + entry("odd", "F4", "2,3", 0, 3) + '}', 3));
    QVERIFY(odd->root);
    QCOMPARE(shapeText(odd->checkpoint->rebuilt.at(0).shape), QStringLiteral("[3]"));
    QCOMPARE(odd->checkpoint->warnings.size(), 1);
    QVERIFY2(odd->checkpoint->warnings.at(0).contains(QLatin1String("odd last dimension")), qPrintable(odd->checkpoint->warnings.at(0)));
}

void TestSafetensorsReader::testMetadata_data()
{
    QTest::addColumn<QByteArray>("metadata");
    QTest::addColumn<QStringList>("pairs");  // key, value, key, value...
    QTest::addRow("null, as Apple MLX writes") << QByteArray("null") << QStringList();
    QTest::addRow("empty map") << QByteArray("{}") << QStringList();
    QTest::addRow("string map, header order") << QByteArray(R"({"format":"pt","b":"2","a":"{\"x\": 1}"})")
                                              << QStringList{"format", "pt", "b", "2", "a", R"({"x": 1})"};
}

void TestSafetensorsReader::testMetadata()
{
    QFETCH(QByteArray, metadata);
    QFETCH(QStringList, pairs);
    auto read = readBytes(safetensorsFile(R"({"__metadata__":)" + metadata + ',' + entry("w", "U8", "1", 0, 1) + '}', 1));
    QVERIFY2(read->root, qPrintable(read->root ? QString() : read->root.error().message));
    QStringList actual;
    for (const auto& [key, value] : read->checkpoint->metadata)
        actual << key << value;
    QCOMPARE(actual, pairs);
    QCOMPARE(rootNames(*read->root), QStringList{"w"});  // __metadata__ is no tensor
}

void TestSafetensorsReader::testRejectsInvalidFile_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const int truncated = int(ErrorCode::Truncated), corrupt = int(ErrorCode::Corrupt), limit = int(ErrorCode::LimitExceeded);
    const QByteArray w = entry("w", "F32", "2", 0, 8);

    // The length field (SafeTensors::read_metadata).
    QTest::addRow("empty file") << QByteArray() << truncated << "file of 0 bytes is too small";
    QTest::addRow("file shorter than 8 bytes") << QByteArray("\x02\0\0\0{}", 6) << truncated << "file of 6 bytes is too small";
    QTest::addRow("header length of 100 000 001 bytes") << claimedLength(100'000'001, "{}") << limit << "exceeds the limit of 100000000 bytes";
    QTest::addRow("header length of 2^64 - 1") << claimedLength(~quint64(0), "{}") << limit << "exceeds the limit";
    QTest::addRow("header runs past the end") << claimedLength(4096, '{' + QByteArray(91, ' ')) << truncated
                                              << "safetensors header of 4096 bytes runs past the end of the file (100 bytes)";
    QTest::addRow("header of 100 000 000 bytes on a small file") << claimedLength(100'000'000, "{}") << truncated << "runs past the end";

    // The header text.
    // safetensors' own test vectors (safetensors/src/tensor.rs at 24b0b28): test_invalid_header_not_json,
    // and an empty or whitespace-only header (serde_json: "EOF while parsing a value").
    QTest::addRow("empty header") << safetensorsFile("") << corrupt << "holds no JSON object";
    QTest::addRow("whitespace only") << safetensorsFile(" \t\r\n") << corrupt << "holds no JSON object";
    QTest::addRow("header is a list") << safetensorsFile("[]") << corrupt << "not a JSON object (it starts with '[' at header byte 0)";
    QTest::addRow("a lone brace") << safetensorsFile("{") << corrupt << "not valid JSON";
    QTest::addRow("form feed before the object") << safetensorsFile("\x0c{}") << corrupt << "not a JSON object";
    QTest::addRow("invalid UTF-8 byte") << safetensorsFile("{\"\xff\":1}") << corrupt << "not valid UTF-8 (header byte 2)";
    QTest::addRow("overlong UTF-8") << safetensorsFile("{\"\xc0\xaf\":1}") << corrupt << "not valid UTF-8";
    QTest::addRow("UTF-8 encoded surrogate") << safetensorsFile("{\"\xed\xa0\x80\":1}") << corrupt << "not valid UTF-8";
    QTest::addRow("UTF-8 cut short at the end") << safetensorsFile("{\"a\":\"\xc3") << corrupt << "not valid UTF-8";
    QTest::addRow("unterminated object") << safetensorsFile(R"({"w":)") << corrupt << "not valid JSON";
    QTest::addRow("garbage after the object") << safetensorsFile("{} x") << corrupt << "not valid JSON";
    QTest::addRow("NUL padding") << safetensorsFile(QByteArray("{}\0\0\0\0\0\0", 8)) << corrupt << "NUL byte at header byte 2";
    QTest::addRow("NUL then a second object") << safetensorsFile(QByteArray("{}\0{\"x\":1}", 10)) << corrupt << "NUL byte";
    QTest::addRow("lone surrogate escape") << safetensorsFile(R"({"\ud800":1})") << corrupt << "not valid JSON";

    // The shape of the JSON (serde's deserialization).
    QTest::addRow("tensor entry is a list") << safetensorsFile(R"({"w":[1]})") << corrupt << "entry of tensor 'w' is a list, not an object";
    QTest::addRow("tensor entry is null") << safetensorsFile(R"({"w":null})") << corrupt << "entry of tensor 'w' is null";
    QTest::addRow("unknown dtype C128") << safetensorsFile('{' + entry("w", "C128", "2", 0, 32) + '}', 32) << corrupt << "tensor 'w' has unknown dtype 'C128'";
    QTest::addRow("dtype spelled F8_E4M3FN") << safetensorsFile('{' + entry("w", "F8_E4M3FN", "2", 0, 2) + '}', 2) << corrupt << "unknown dtype 'F8_E4M3FN'";
    QTest::addRow("lower-case dtype") << safetensorsFile('{' + entry("w", "f32", "2", 0, 8) + '}', 8) << corrupt << "unknown dtype 'f32'";
    QTest::addRow("dtype is a number") << safetensorsFile(R"({"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", 8) << corrupt
                                       << "dtype of tensor 'w' is a number, not a string";
    QTest::addRow("shape is a string") << safetensorsFile(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8) << corrupt
                                       << "shape of tensor 'w' is a string, not a list";
    QTest::addRow("negative dimension") << safetensorsFile('{' + entry("w", "F32", "-2", 0, 8) + '}', 8) << corrupt << "holds a negative number";
    QTest::addRow("minus zero dimension") << safetensorsFile('{' + entry("w", "F32", "-0", 0, 0) + '}') << corrupt << "holds a negative number";
    QTest::addRow("fractional dimension") << safetensorsFile('{' + entry("w", "F32", "2.0", 0, 8) + '}', 8) << corrupt << "holds a non-integer number";
    QTest::addRow("dimension with exponent") << safetensorsFile('{' + entry("w", "F32", "2e0", 0, 8) + '}', 8) << corrupt << "non-integer";
    QTest::addRow("dimension beyond 64 bits") << safetensorsFile('{' + entry("w", "F32", "18446744073709551616", 0, 8) + '}', 8) << corrupt
                                              << "an integer beyond 64 bits";
    QTest::addRow("dimension beyond int64") << safetensorsFile('{' + entry("w", "F32", "9223372036854775808,0", 0, 0) + '}') << limit
                                            << "beyond 64-bit sizes";
    QTest::addRow("dimension is a list") << safetensorsFile('{' + entry("w", "F32", "[2]", 0, 8) + '}', 8) << corrupt << "holds a list";
    QTest::addRow("negative offset") << safetensorsFile(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[-1,0]}})") << corrupt
                                     << "data_offsets of tensor 'w' holds a negative number";
    QTest::addRow("one offset") << safetensorsFile(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0]}})") << corrupt << "holds 1 number, not [begin, end]";
    QTest::addRow("three offsets") << safetensorsFile(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0,0]}})") << corrupt
                                   << "holds more than [begin, end]";
    QTest::addRow("offset beyond any file") << safetensorsFile(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0,9223372036854775808]}})")
                                            << corrupt << "beyond any file";
    QTest::addRow("missing dtype") << safetensorsFile(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 8) << corrupt << "tensor 'w' has no 'dtype' field";
    QTest::addRow("missing shape") << safetensorsFile(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", 8) << corrupt << "has no 'shape' field";
    QTest::addRow("missing data_offsets") << safetensorsFile(R"({"w":{"dtype":"F32","shape":[2]}})", 8) << corrupt << "has no 'data_offsets' field";
    QTest::addRow("field given twice") << safetensorsFile(R"({"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8) << corrupt
                                       << "tensor 'w' has two 'dtype' fields";
    QTest::addRow("duplicate tensor name") << safetensorsFile('{' + entry("w", "F32", "1", 0, 4) + ',' + entry("w", "F32", "1", 4, 8) + '}', 8)
                                           << corrupt << "tensor name 'w' appears twice";
    QTest::addRow("metadata value is a number") << safetensorsFile(R"({"__metadata__":{"epoch":3}})") << corrupt
                                                << "__metadata__ value of 'epoch' is a number, not a string";
    QTest::addRow("metadata value is null") << safetensorsFile(R"({"__metadata__":{"epoch":null}})") << corrupt << "value of 'epoch' is null";
    QTest::addRow("metadata value is an object") << safetensorsFile(R"({"__metadata__":{"cfg":{}}})") << corrupt << "value of 'cfg' is an object";
    QTest::addRow("metadata is a list") << safetensorsFile(R"({"__metadata__":["a"]})") << corrupt << "__metadata__ is a list, not an object";
    QTest::addRow("metadata is a string") << safetensorsFile(R"({"__metadata__":"pt"})") << corrupt << "__metadata__ is a string";
    QTest::addRow("metadata given twice") << safetensorsFile(R"({"__metadata__":{},"__metadata__":null})") << corrupt << "two __metadata__ entries";
    QTest::addRow("metadata key given twice") << safetensorsFile(R"({"__metadata__":{"a":"1","a":"2"}})") << corrupt << "key 'a' appears twice";
    QTest::addRow("nesting below an unknown field") << safetensorsFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":{"y":[1]}}})", 8)
                                                    << limit << "nests deeper than 3 levels";

    // The layout (Metadata::validate), walked in data order.
    QTest::addRow("overlapping tensors") << safetensorsFile('{' + entry("a", "F32", "2", 0, 8) + ',' + entry("b", "F32", "2", 4, 12) + '}', 12)
                                         << corrupt << "tensor 'b' overlaps";
    QTest::addRow("gap before the first tensor") << safetensorsFile('{' + entry("a", "F32", "2", 4, 12) + '}', 12) << corrupt
                                                 << "gap of 4 bytes before tensor 'a'";
    QTest::addRow("gap between tensors") << safetensorsFile('{' + entry("a", "F32", "1", 0, 4) + ',' + entry("b", "F32", "1", 8, 12) + '}', 12)
                                         << corrupt << "gap of 4 bytes before tensor 'b'";
    QTest::addRow("end before begin") << safetensorsFile('{' + entry("a", "U8", "4", 0, 4) + ',' + entry("b", "U8", "0", 4, 2) + '}', 4) << corrupt
                                      << "tensor 'b' has data_offsets [4, 2] that end before they begin";
    QTest::addRow("empty tensor too large to describe") << safetensorsFile('{' + entry("a", "U8", "0,4611686018427387904,4", 0, 0) + '}') << limit
                                                        << "shape of tensor 'a' is beyond 64-bit sizes";
    QTest::addRow("element count overflows") << safetensorsFile('{' + entry("a", "U8", "4294967296,4294967296,4", 0, 8) + '}', 8) << corrupt
                                             << "element count of tensor 'a' overflows";
    QTest::addRow("size in bits overflows") << safetensorsFile('{' + entry("a", "F64", "1152921504606846976", 0, 8) + '}', 8) << corrupt
                                            << "size in bits of tensor 'a' overflows";
    QTest::addRow("odd count of F4 values") << safetensorsFile('{' + entry("a", "F4", "3", 0, 1) + '}', 1) << corrupt << "tensor 'a' is misaligned";
    QTest::addRow("F6 values not filling bytes") << safetensorsFile('{' + entry("a", "F6_E3M2", "3", 0, 2) + '}', 2) << corrupt << "misaligned";
    QTest::addRow("byte count does not match shape") << safetensorsFile('{' + entry("a", "F32", "2", 0, 4) + '}', 4) << corrupt
                                                     << "tensor 'a' spans 4 bytes, but 2 elements of F32 need 8";
    QTest::addRow("bytes after the last tensor") << safetensorsFile('{' + w + '}', 11) << corrupt << "3 bytes after the last tensor";
    QTest::addRow("bytes after an empty header") << safetensorsFile("{}", 1) << corrupt << "1 byte after the last tensor";
    QTest::addRow("data cut short") << safetensorsFile('{' + w + '}', 5) << truncated
                                    << QStringLiteral("file is truncated: tensors need %1 bytes, the file has %2").arg(8 + 2 + w.size() + 8).arg(8 + 2 + w.size() + 5);
}

void TestSafetensorsReader::testRejectsInvalidFile()
{
    QFETCH(QByteArray, file);
    QFETCH(int, code);
    QFETCH(QString, message);
    auto read = readBytes(file);
    QVERIFY2(!read->root, "an invalid file was accepted");
    const Error& error = read->root.error();
    QVERIFY2(error.message.contains(message), qPrintable(QStringLiteral("message '%1' lacks '%2'").arg(error.message, message)));
    QCOMPARE(int(error.code), code);
    QVERIFY(error.path.isEmpty());  // the entry point adds it
    QVERIFY(read->checkpoint->rebuilt.empty());
    QVERIFY(read->checkpoint->storages.isEmpty());
}

void TestSafetensorsReader::testDeepNestingDoesNotRecurse()
{
    // A megabyte of '[' where the parser may go deep (an ignored field) and where it may not
    // (a shape): both stop at once, without recursing.
    const QByteArray brackets(1 << 20, '[');
    const struct { QByteArray header; QString message; } cases[] = {
        {R"({"w":{"x":)" + brackets, QStringLiteral("nests deeper than 3 levels")},
        {R"({"w":{"shape":)" + brackets, QStringLiteral("holds a list")},
        {R"({"__metadata__":)" + brackets, QStringLiteral("__metadata__ is a list")},
    };
    // Read on a thread with a 256 KiB stack: a parser that recursed once per '[' would overflow
    // it long before the end (the time it takes: tests/bench/bench_hostile).
    for (const auto& c : cases) {
        std::unique_ptr<Read> read;
        std::unique_ptr<QThread> thread(QThread::create([&] { read = readBytes(safetensorsFile(c.header)); }));
        thread->setStackSize(256 * 1024);
        thread->start();
        QVERIFY(thread->wait());
        QVERIFY(read);
        QVERIFY(!read->root);
        QVERIFY2(read->root.error().message.contains(c.message), qPrintable(read->root.error().message));
    }
}

void TestSafetensorsReader::testLargeHeaderReadsEveryEntry()
{
    // A large language model's worth of tensors: 36 000 entries, about 3 MB of header.
    constexpr int kCount = 36'000;
    QByteArray header = "{";
    header.reserve(kCount * 100);
    for (int i = 0; i < kCount; ++i) {
        if (i)
            header += ',';
        header += entry("model.layers." + QByteArray::number(i / 12) + ".mlp.proj_" + QByteArray::number(i % 12) + ".weight", "BF16", "2,2",
                        qint64(i) * 8, qint64(i) * 8 + 8);
    }
    header += R"(,"__metadata__":{"format":"pt"}})";
    const QByteArray file = safetensorsFile(header, qint64(kCount) * 8);

    // Every entry read (the time it takes, against Python's json.loads: tests/bench/bench_hostile).
    auto read = readBytes(file);
    QVERIFY2(read->root, qPrintable(read->root ? QString() : read->root.error().message));
    QCOMPARE(int((*read->root)->entries().size()), kCount);
    QCOMPARE((*read->root)->entries().front().first->text, QStringLiteral("model.layers.0.mlp.proj_0.weight"));
}

// The reference's own test vectors (safetensors/src/tensor.rs `mod tests`, commit 24b0b28), opened
// as files the way the app opens them (format sniffing included): each one it accepts is read, each
// one it refuses is refused with a message that names its cause (the reference's error variant in
// the row name).
void TestSafetensorsReader::testReferenceVectors_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("refusal");  // empty: it opens
    const QByteArray h = R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";
    const QByteArray zeros(16, '\0');
    const auto length = [](quint64 n) {
        QByteArray field(8, '\0');
        qToLittleEndian(n, field.data());
        return field;
    };
    QTest::addRow("HeaderTooSmall (test_header_too_small)") << QByteArray() << "the file is empty";
    QTest::addRow("HeaderTooLarge (test_header_too_large)") << QByteArray("<\0\0\0\0\xff\xff\xff", 8) + h + zeros << "exceeds the limit";
    QTest::addRow("InvalidHeaderLength (test_invalid_header_length)") << length(60) << "its header of 60 bytes runs past the end of the file";
    QTest::addRow("InvalidHeader (test_invalid_header_non_utf8)") << length(1) + "\xff" << "its header is not valid UTF-8";
    QTest::addRow("InvalidHeaderDeserialization (test_invalid_header_not_json)") << length(1) + "{" << "not valid JSON";
    QTest::addRow("ok (test_whitespace_padded_header)") << length(6) + "{}\r \t\n" << QString();
    QTest::addRow("ok (test_whitespace_leading_padded_header)") << length(6) + "\t\n{}\r " << QString();
    QTest::addRow("MetadataIncompleteBuffer, extra data (test_metadata_incomplete_buffer)")
        << length(quint64(h.size())) + h + zeros + "extra_bogus_data_for_polyglot_file" << "34 bytes after the last tensor";
    QTest::addRow("MetadataIncompleteBuffer, short data (test_metadata_incomplete_buffer)")
        << length(quint64(h.size())) + h + QByteArray(14, '\0') << "tensors need 84 bytes, the file has 82";
    QByteArray invalidInfo = h;
    invalidInfo.replace("[0,16]", "[0, 4]");
    QTest::addRow("TensorInvalidInfo (test_invalid_info)") << length(quint64(invalidInfo.size())) + invalidInfo << "tensor 'test' spans 4 bytes, but 4 elements of I32 need 16";
    QByteArray overflow = h;
    overflow.replace("[2,2]", "[2,18446744073709551614]");
    QTest::addRow("ValidationOverflow (test_validation_overflow)") << length(quint64(overflow.size())) + overflow + zeros << "beyond 64-bit sizes";
    QByteArray zeroSized = h;
    zeroSized.replace("[2,2]", "[2,0]").replace("[0,16]", "[0,0]");
    QTest::addRow("ok (test_zero_sized_tensor)") << length(quint64(zeroSized.size())) + zeroSized << QString();
    QByteArray scalar = h;
    scalar.replace("[2,2]", "[]").replace("[0,16]", "[0,4]");
    QTest::addRow("ok (test_empty_shapes_allowed)") << length(quint64(scalar.size())) + scalar + QByteArray(4, '\0') << QString();
}

void TestSafetensorsReader::testReferenceVectors()
{
    QFETCH(QByteArray, file);
    QFETCH(QString, refusal);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("vector.safetensors"));
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(file);
    out.close();
    auto opened = openCheckpoint(path);
    if (refusal.isEmpty()) {
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
        QCOMPARE((*opened)->format, Format::Safetensors);
        return;
    }
    QVERIFY(!opened);
    QVERIFY2(opened.error().toString().contains(refusal), qPrintable(opened.error().toString()));
    QVERIFY2(!opened.error().toString().contains(QLatin1String("unrecognised content")) || refusal.contains(QLatin1String("its header")),
             qPrintable(opened.error().toString()));
}

void TestSafetensorsReader::testHundredMegabyteHeader()
{
    // Builds ~100 MB in memory and takes seconds, so it runs on request only.
    if (qEnvironmentVariableIsEmpty("STATELENS_SLOW_TESTS"))
        QSKIP("set STATELENS_SLOW_TESTS=1 to read a 100 MB header");
    QByteArray header = "{";
    header.reserve(100'000'000);
    qint64 count = 0;
    while (header.size() < 99'900'000) {
        if (count)
            header += ',';
        header += entry("model.layers." + QByteArray::number(count) + ".self_attn.q_proj.weight", "F16", "1", count * 2, count * 2 + 2);
        ++count;
    }
    header += '}';
    const QByteArray file = safetensorsFile(header, count * 2);
    QElapsedTimer timer;
    timer.start();
    auto read = readBytes(file);
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(read->root, qPrintable(read->root ? QString() : read->root.error().message));
    QCOMPARE(qint64((*read->root)->entries().size()), count);
    qInfo("%lld tensors, %lld-byte header: read in %lld ms", count, qint64(header.size()), elapsed);
}

// --- Sharded checkpoints ------------------------------------------------------------------------

namespace {

QByteArray shard(const QList<QByteArray>& names)
{
    QByteArray header = "{";
    qint64 offset = 0;
    for (const QByteArray& name : names) {
        header += entry(name, "F32", "1", offset, offset + 4) + ',';
        offset += 4;
    }
    header += R"("__metadata__":{"format":"pt"}})";
    return safetensorsFile(header, offset);
}

QByteArray index(const QByteArray& weightMap)
{
    return R"({"metadata":{"total_size":28,"nested":{"ignored":[1,2]}},"weight_map":{)" + weightMap + "}}";
}

}  // namespace

void TestSafetensorsReader::testShardedMergesInIndexOrder()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeFile(dir.filePath(QStringLiteral("model-00001-of-00002.safetensors")), shard({"a", "x.b"})));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("model-00002-of-00002.safetensors")), shard({"c", "d", "e"})));
    const QString indexPath = dir.filePath(QStringLiteral("model.safetensors.index.json"));
    QVERIFY(writeFile(indexPath, index(R"("e":"model-00002-of-00002.safetensors","a":"model-00001-of-00002.safetensors",)"
                                       R"("d":"model-00002-of-00002.safetensors","x.b":"./model-00001-of-00002.safetensors",)"
                                       R"("c":"model-00002-of-00002.safetensors")")));
    Checkpoint checkpoint;
    auto root = readSharded(checkpoint, indexPath);
    QVERIFY2(root, qPrintable(root ? QString() : root.error().message));
    QCOMPARE(rootNames(*root), (QStringList{"e", "a", "d", "x.b", "c"}));
    // Shards open once each ("./x" is "x"), in order of first appearance in the index.
    QCOMPARE(checkpoint.files.size(), size_t(2));
    QVERIFY(checkpoint.files[0].map->path().endsWith(QLatin1String("model-00002-of-00002.safetensors")));
    for (const auto& [key, value] : (*root)->entries()) {
        const StorageInfo& storage = checkpoint.storages[checkpoint.rebuilt[size_t(value->index)].storage];
        QCOMPARE(storage.key, key->text);
        QCOMPARE(storage.file, key->text == QLatin1String("a") || key->text == QLatin1String("x.b") ? 1 : 0);
    }
    QCOMPARE(checkpoint.format, Format::Sharded);
    QCOMPARE(checkpoint.formatDetail, QStringLiteral("sharded, 2 safetensors shards, 5 tensors"));
    // The index's total_size first; the shards' identical {"format": "pt"} once.
    QCOMPARE(checkpoint.metadata, (QVector<QPair<QString, QString>>{{"total_size", "28"}, {"format", "pt"}}));
    QVERIFY2(checkpoint.warnings.isEmpty(), qPrintable(checkpoint.warnings.join(QLatin1Char('\n'))));
}

void TestSafetensorsReader::testShardedWarnsAboutUnlistedTensors()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeFile(dir.filePath(QStringLiteral("s1.safetensors")), shard({"a", "stale1", "stale2"})));
    const QString indexPath = dir.filePath(QStringLiteral("model.safetensors.index.json"));
    QVERIFY(writeFile(indexPath, index(R"("a":"s1.safetensors","a":"s1.safetensors")")));
    Checkpoint checkpoint;
    auto root = readSharded(checkpoint, indexPath);
    QVERIFY2(root, qPrintable(root ? QString() : root.error().message));
    QCOMPARE(rootNames(*root), QStringList{"a"});
    const QString warnings = checkpoint.warnings.join(QLatin1Char('\n'));
    QVERIFY2(warnings.contains(QLatin1String("shard s1.safetensors holds 2 tensors the index does not list (stale1, stale2)")), qPrintable(warnings));
    QVERIFY2(warnings.contains(QLatin1String("more than once")), qPrintable(warnings));
}

void TestSafetensorsReader::testShardedRejectsBadIndex_data()
{
    QTest::addColumn<QByteArray>("indexJson");
    QTest::addColumn<QString>("message");
    // The folder holds s1.safetensors (tensors a, b) and broken.safetensors.
    QTest::addRow("absolute shard path") << index(R"("a":"/etc/passwd")") << "'/etc/passwd' is an absolute path";
    QTest::addRow("parent folder") << index(R"("a":"../s1.safetensors")") << "leads out of the index's folder";
    QTest::addRow("parent folder inside the name") << index(R"("a":"sub/../../s1.safetensors")") << "leads out of the index's folder";
    QTest::addRow("parent folder with backslashes") << index(R"("a":"..\\s1.safetensors")") << "leads out of the index's folder";
    QTest::addRow("drive letter") << index(R"("a":"C:s1.safetensors")") << "absolute path";
    QTest::addRow("hostile name after a good one") << index(R"("a":"s1.safetensors","b":"/etc/shadow")") << "absolute path";
    QTest::addRow("empty shard name") << index(R"("a":"")") << "empty file name";
    QTest::addRow("NUL in the shard name") << index(R"("a":"s1.safetensors\u0000.txt")") << "NUL character";
    QTest::addRow("missing shard") << index(R"("a":"model-00009-of-00009.safetensors")")
                                   << "shard model-00009-of-00009.safetensors named by the index is missing";
    QTest::addRow("tensor not in its shard") << index(R"("a":"s1.safetensors","zz":"s1.safetensors")") << "tensor zz is not in shard s1.safetensors";
    QTest::addRow("broken shard") << index(R"("a":"broken.safetensors")") << "shard broken.safetensors: safetensors header of 4096 bytes runs past";
    QTest::addRow("not JSON") << QByteArray("{\"weight_map\": ") << "shard index is not valid JSON";
    QTest::addRow("NUL after the object") << QByteArray("{\"weight_map\":{}}\0x", 19) << "NUL byte";
    QTest::addRow("a list") << QByteArray("[]") << "is a list, not a JSON object";
    QTest::addRow("no weight_map") << QByteArray(R"({"metadata":{}})") << "has no weight_map";
    QTest::addRow("empty weight_map") << index("") << "lists no tensors";
    QTest::addRow("weight_map is a list") << QByteArray(R"({"weight_map":[]})") << "weight_map of the shard index is not an object";
    QTest::addRow("shard name is a number") << index(R"("a":1)") << "weight_map entry 'a' is not a file name";
    QTest::addRow("shard name is an object") << index(R"("a":{})") << "weight_map entry 'a' is not a file name";
    QTest::addRow("deep nesting") << R"({"x":)" + QByteArray(1 << 20, '[') << "nests deeper";
    QTest::addRow("empty index") << QByteArray() << "shard index is empty";
}

void TestSafetensorsReader::testShardedRejectsBadIndex()
{
    QFETCH(QByteArray, indexJson);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("sub")));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("s1.safetensors")), shard({"a", "b"})));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("broken.safetensors")), claimedLength(4096, "{}")));
    const QString indexPath = dir.filePath(QStringLiteral("model.safetensors.index.json"));
    QVERIFY(writeFile(indexPath, indexJson));
    Checkpoint checkpoint;
    auto root = readSharded(checkpoint, indexPath);
    QVERIFY2(!root, "a bad index was accepted");
    QVERIFY2(root.error().message.contains(message), qPrintable(QStringLiteral("message '%1' lacks '%2'").arg(root.error().message, message)));
}

void TestSafetensorsReader::testFindShardIndex_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<QString>("expected");
    QTest::addRow("safetensors index") << QStringList{"model.safetensors.index.json", "model-00001-of-00002.safetensors"}
                                       << "model.safetensors.index.json";
    QTest::addRow("bin index") << QStringList{"pytorch_model.bin.index.json", "config.json"} << "pytorch_model.bin.index.json";
    QTest::addRow("both: safetensors preferred") << QStringList{"pytorch_model.bin.index.json", "model.safetensors.index.json"}
                                                 << "model.safetensors.index.json";
    QTest::addRow("diffusers names") << QStringList{"diffusion_pytorch_model.bin.index.json", "diffusion_pytorch_model.safetensors.index.json"}
                                     << "diffusion_pytorch_model.safetensors.index.json";
    QTest::addRow("pt index") << QStringList{"weights.pt.index.json"} << "weights.pt.index.json";
    QTest::addRow("no index") << QStringList{"config.json", "model.safetensors", "tokenizer.json"} << "";
    QTest::addRow("empty folder") << QStringList() << "";
}

void TestSafetensorsReader::testFindShardIndex()
{
    QFETCH(QStringList, files);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    for (const QString& name : files)
        QVERIFY(writeFile(dir.filePath(name), "{}"));
    const QString found = findShardIndex(dir.path());
    QCOMPARE(found.isEmpty() ? QString() : QFileInfo(found).fileName(), expected);
    if (!expected.isEmpty())
        QCOMPARE(QFileInfo(found).absolutePath(), QFileInfo(dir.path()).absoluteFilePath());
    // A file is its own index.
    QCOMPARE(findShardIndex(dir.filePath(QStringLiteral("x.index.json"))), dir.filePath(QStringLiteral("x.index.json")));
}

QTEST_GUILESS_MAIN(TestSafetensorsReader)
#include "tst_safetensors_reader.moc"
