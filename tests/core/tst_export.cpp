// Exports read back bit for bit: through our own reader, and through torch itself
// (torch.load(weights_only=True), and a safetensors reader written from the format's spec) by
// tests/core/check_export_roundtrip.py. Writes are atomic and never replace an input.
#include "core/export/state_dict_export.h"
#include "core/formats/checkpoint_reader.h"
#include "core/model/element_decoder.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace statelens;

namespace {

QString data(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/") + name;
}

// A tensor's logical values as bytes in row-major order, read through its strides. Written for
// speed as well as clarity: the sanitizer build runs it over every element of resnet18 (11 M).
QByteArray logicalBytes(const Checkpoint& checkpoint, const TensorInfo& tensor)
{
    auto storage = checkpoint.storageBytes(tensor.storage);
    if (!storage)
        return {};
    const qsizetype item = dtypeItemSize(tensor.dtype);
    const QVector<qint64> strides = tensor.strides.size() == tensor.shape.size() ? tensor.strides : contiguousStrides(tensor.shape);
    const qint64 numel = tensor.numel();
    const char* base = storage->data() + tensor.storageOffset * item;
    QByteArray out;
    if (strides == contiguousStrides(tensor.shape)) {
        out = QByteArray(base, numel * item);
    } else {
        out.reserve(numel * item);
        QVector<qint64> index(tensor.shape.size(), 0);
        const int dims = int(index.size());
        for (qint64 n = 0; n < numel; ++n) {
            qint64 element = 0;
            for (int d = 0; d < dims; ++d)
                element += index.at(d) * strides.at(d);
            out.append(base + element * item, item);
            for (int d = dims - 1; d >= 0; --d) {
                if (++index[d] < tensor.shape.at(d))
                    break;
                index[d] = 0;
            }
        }
    }
    if (checkpoint.storages[tensor.storage].bigEndian) {
        const qsizetype unit = dtypeTraits(tensor.dtype).kind == DTypeKind::Complex ? item / 2 : item;
        for (qsizetype at = 0; at < out.size(); at += unit)
            std::reverse(out.begin() + at, out.begin() + at + unit);
    }
    return out;
}

bool pythonHasTorch()
{
    static const bool available = [] {
        QProcess python;
        python.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), QStringLiteral("import torch")});
        return python.waitForFinished(60000) && python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0;
    }();
    return available;
}

QByteArray fileHash(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

}  // namespace

class TestExport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testRoundTrip_data();
    void testRoundTrip();
    void testBigEndianIsWrittenLittleEndian();
    void testRefusesToWriteOverAnInput();
    void testFailedExportLeavesNothingBehind();

private:
    QTemporaryDir m_dir;
};

void TestExport::testRoundTrip_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QStringList>("strip");
    QTest::addColumn<bool>("safetensors");
    for (bool safetensors : {false, true}) {
        const char* format = safetensors ? "safetensors" : "pt";
        QTest::addRow("views share storage, %s", format) << QStringLiteral("stats/stats_views.pt") << QString() << QStringList() << safetensors;
        QTest::addRow("legacy format, %s", format) << QStringLiteral("stats/stats_legacy.pt") << QString() << QStringList() << safetensors;
        QTest::addRow("training checkpoint re-rooted, %s", format)
            << QStringLiteral("match/tutorial_training.pt") << QStringLiteral("model_state_dict") << QStringList() << safetensors;
        QTest::addRow("DataParallel prefix stripped, %s", format)
            << QStringLiteral("match/resnet18_module_prefix.pth") << QString() << QStringList{QStringLiteral("module.")} << safetensors;
        QTest::addRow("sharded, %s", format)
            << QStringLiteral("match/resnet18_sharded/pytorch_model.bin.index.json") << QString() << QStringList() << safetensors;
    }
}

void TestExport::testRoundTrip()
{
    QFETCH(QString, source);
    QFETCH(QString, key);
    QFETCH(QStringList, strip);
    QFETCH(bool, safetensors);
    auto opened = openCheckpoint(data(source));
    QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().toString()));
    ExportRequest request;
    request.output = m_dir.filePath(QStringLiteral("%1.%2").arg(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'_'),
                                                                safetensors ? QStringLiteral("safetensors") : QStringLiteral("pt")));
    request.format = safetensors ? ExportFormat::Safetensors : ExportFormat::TorchZip;
    if (!key.isEmpty())
        request.key = key;
    request.stripPrefixes = strip;
    auto summary = exportStateDict(**opened, request);
    QVERIFY2(summary.ok(), qPrintable(summary.ok() ? QString() : summary.error().toString()));

    // Our reader: the same names, dtypes, shapes and bytes.
    auto reread = openCheckpoint(request.output);
    QVERIFY2(reread.ok(), qPrintable(reread.ok() ? QString() : reread.error().toString()));
    // (A safetensors file lists its tensors by name, as the safetensors library does.)
    QVector<TensorInfo> written = (*reread)->tensors;
    QVector<StateDictEntry> entries = summary->view.entries;
    if (safetensors)
        std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    QCOMPARE(written.size(), entries.size());
    for (int i = 0; i < written.size(); ++i) {
        const StateDictEntry& entry = entries[i];
        const TensorInfo& original = (*opened)->tensors[entry.tensor];
        QCOMPARE(written[i].name, entry.key);
        QCOMPARE(written[i].dtype, original.dtype);
        QCOMPARE(written[i].shape, original.shape);
        QCOMPARE(logicalBytes(**reread, written[i]), logicalBytes(**opened, original));
        if (!safetensors) {  // views keep their storage sharing and strides
            QCOMPARE(written[i].strides, original.strides);
            QCOMPARE(written[i].viewOf >= 0, original.viewOf >= 0);
        }
    }
    // torch: weights_only load (or the safetensors reader) gives bit-identical tensors.
    if (!pythonHasTorch())
        QSKIP("Debian's /usr/bin/python3 with torch is not installed");
    QString originalPath = data(source);
    QString originalKey = key;
    if (source.contains(QLatin1String("sharded")))
        return;  // torch.load cannot read an index; our reader's view of the shards was compared above
    if (!strip.isEmpty()) {
        // The checker compares names too: give it the original re-saved with the same key map.
        QProcess resave;
        resave.start(QStringLiteral("/usr/bin/python3"),
                     {QStringLiteral("-c"),
                      QStringLiteral("import sys, torch; sd = torch.load(sys.argv[1]); "
                                     "torch.save({k[len(sys.argv[3]):] if k.startswith(sys.argv[3]) else k: v for k, v in sd.items()}, sys.argv[2])"),
                      originalPath, m_dir.filePath(QStringLiteral("renamed.pt")), strip.first()});
        QVERIFY(resave.waitForFinished(120000) && resave.exitCode() == 0);
        originalPath = m_dir.filePath(QStringLiteral("renamed.pt"));
    }
    QProcess check;
    check.setProcessChannelMode(QProcess::MergedChannels);
    check.start(QStringLiteral("/usr/bin/python3"),
                {QStringLiteral(STATELENS_SOURCE_DIR "/tests/core/check_export_roundtrip.py"), originalPath, request.output, originalKey});
    QVERIFY(check.waitForFinished(120000));
    const QByteArray output = check.readAll();
    QVERIFY2(check.exitCode() == 0 && output.startsWith("ok "), output.constData());
}

void TestExport::testBigEndianIsWrittenLittleEndian()
{
    auto opened = openCheckpoint(data(QStringLiteral("stats/stats_bigendian.pt")));
    QVERIFY(opened.ok());
    QVERIFY((*opened)->storages.first().bigEndian);
    ExportRequest request;
    request.output = m_dir.filePath(QStringLiteral("little.pt"));
    auto summary = exportStateDict(**opened, request);
    QVERIFY2(summary.ok(), qPrintable(summary.ok() ? QString() : summary.error().toString()));
    auto reread = openCheckpoint(request.output);
    QVERIFY(reread.ok());
    for (int i = 0; i < (*reread)->tensors.size(); ++i) {
        QVERIFY(!(*reread)->storages[(*reread)->tensors[i].storage].bigEndian);
        QCOMPARE(logicalBytes(**reread, (*reread)->tensors[i]), logicalBytes(**opened, (*opened)->tensors[i]));
    }
}

void TestExport::testRefusesToWriteOverAnInput()
{
    const QString copy = m_dir.filePath(QStringLiteral("input.pth"));
    QVERIFY(QFile::copy(data(QStringLiteral("match/simple_cnn_exact.pth")), copy));
    const QByteArray before = fileHash(copy);
    auto opened = openCheckpoint(copy);
    QVERIFY(opened.ok());
    ExportRequest request;
    request.output = copy;
    auto summary = exportStateDict(**opened, request);
    QVERIFY(!summary.ok());
    QVERIFY2(summary.error().message.contains(QLatin1String("refusing to write over the input")), qPrintable(summary.error().message));
    QCOMPARE(fileHash(copy), before);
}

void TestExport::testFailedExportLeavesNothingBehind()
{
    // stats_dtypes.pt holds quantized tensors, which weights-only files cannot carry.
    auto opened = openCheckpoint(data(QStringLiteral("stats/stats_dtypes.pt")));
    QVERIFY(opened.ok());
    ExportRequest request;
    request.output = m_dir.filePath(QStringLiteral("existing.pt"));
    QFile existing(request.output);
    QVERIFY(existing.open(QIODevice::WriteOnly));
    existing.write("keep me");
    existing.close();
    auto summary = exportStateDict(**opened, request);
    QVERIFY(!summary.ok());
    QVERIFY2(summary.error().message.contains(QLatin1String("quint8")), qPrintable(summary.error().message));
    QFile check(request.output);
    QVERIFY(check.open(QIODevice::ReadOnly));
    QCOMPARE(check.readAll(), QByteArray("keep me"));
    QCOMPARE(QDir(m_dir.path()).entryList(QDir::Files).filter(QStringLiteral("existing")).size(), 1);  // no temp file left
}

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
