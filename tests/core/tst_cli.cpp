// statelens-cli as scripts use it: exit codes, JSON per the contract, messages on stderr,
// and no libtorch on the listing path.
#include "tests/support/cli_runner.h"
#include "tests/support/torch_requirement.h"
#include <QFile>
#include <QTemporaryDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

namespace {

QString data(const char* name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/") + QLatin1String(name);
}

}  // namespace

class TestCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testVersion();
    void testListJsonFollowsContract();
    void testModuleAttributesAreMarked();
    void testListTable();
    void testInfoFindsCandidateStateDicts();
    void testBadInputExitsTwoWithMessage_data();
    void testBadInputExitsTwoWithMessage();
    void testHostileFileListsUnsafeGlobals();
    void testUsageErrors();
    void testListingDoesNotLinkLibtorch();
    void testDevicesLoadsTorchModule();
    void testStatsJsonFollowsContract();
    void testStatsTextFlagsProblemsFirst();
    void testStatsRefusesMissingDevice();
    void testStatsUsageErrors();
    void testArchsListsTheZoo();
    void testMatchGivesTorchsMessageAndExitCode();
    void testLoadRunsAForwardPass_data();
    void testLoadRunsAForwardPass();
    void testExportWritesAndRefusesInputs();
    void testRenameAndTieEditKeys();
};

void TestCli::testVersion()
{
    const CliRun run = runCli({QStringLiteral("--version")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.out.startsWith("statelens-cli "));
}

void TestCli::testListJsonFollowsContract()
{
    const QString sample = QStringLiteral(STATELENS_SOURCE_DIR "/resources/sample/simple_cnn.pth");
    const CliRun run = runCli({QStringLiteral("ls"), sample, QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.err.isEmpty());
    QJsonParseError parseError;
    const QJsonObject root = QJsonDocument::fromJson(run.out, &parseError).object();
    QCOMPARE(parseError.error, QJsonParseError::NoError);
    QCOMPARE(root.value(QStringLiteral("file")).toString(), sample);
    QCOMPARE(root.value(QStringLiteral("format")).toString(), QStringLiteral("torch-zip"));
    QCOMPARE(root.value(QStringLiteral("tensor_count")).toInt(), 4);
    QCOMPARE(root.value(QStringLiteral("total_numel")).toInteger(), 16 * 3 * 3 * 3 + 16 + 10 * 16 * 14 * 14 + 10);
    QCOMPARE(root.value(QStringLiteral("unsafe_globals")).toArray().size(), 0);
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QStringList names;
    for (const QJsonValue& tensor : tensors)
        names.append(tensor.toObject().value(QStringLiteral("name")).toString());
    QCOMPARE(names, QStringList({"conv1.weight", "conv1.bias", "fc.weight", "fc.bias"}));
    const QJsonObject conv = tensors.at(0).toObject();
    QCOMPARE(conv.value(QStringLiteral("dtype")).toString(), QStringLiteral("float32"));
    QCOMPARE(conv.value(QStringLiteral("shape")).toArray(), QJsonArray({16, 3, 3, 3}));
    QCOMPARE(conv.value(QStringLiteral("numel")).toInt(), 432);
    QCOMPARE(conv.value(QStringLiteral("nbytes")).toInt(), 1728);
    QCOMPARE(conv.value(QStringLiteral("layout")).toString(), QStringLiteral("strided"));
    QCOMPARE(conv.value(QStringLiteral("device")).toString(), QStringLiteral("cpu"));
    const QJsonObject storage = conv.value(QStringLiteral("storage")).toObject();
    QCOMPARE(storage.value(QStringLiteral("key")).toString(), QStringLiteral("0"));
    QCOMPARE(storage.value(QStringLiteral("offset")).toInt(), 0);
    QCOMPARE(storage.value(QStringLiteral("strides")).toArray(), QJsonArray({27, 9, 3, 1}));
}

// Tensors a pickled module holds outside its state dict: each entry says what it is and where it
// comes from, the counts add up, and the export (a state dict) leaves them out. The names and
// origins come from tests/data/module_attributes.pt.expected.json (torch's own objects walked).
void TestCli::testModuleAttributesAreMarked()
{
    const CliRun run = runCli({QStringLiteral("ls"), data("module_attributes.pt"), QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QFile expectedFile(data("module_attributes.pt.expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QJsonArray expected = QJsonDocument::fromJson(expectedFile.readAll()).object().value(QStringLiteral("tensors")).toArray();
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), expected.size());
    int attributes = 0;
    for (int i = 0; i < tensors.size(); ++i) {
        const QJsonObject got = tensors[i].toObject();
        const QJsonObject want = expected[i].toObject();
        QCOMPARE(got.value(QStringLiteral("name")).toString(), want.value(QStringLiteral("name")).toString());
        QCOMPARE(got.value(QStringLiteral("kind")).toString(), QStringLiteral("tensor"));
        QCOMPARE(got.value(QStringLiteral("origin")).toString(), want.value(QStringLiteral("origin")).toString(QStringLiteral("state")));
        attributes += want.value(QStringLiteral("origin")).toString() == QLatin1String("attribute");
    }
    QVERIFY(attributes >= 5);
    const QJsonObject origins = root.value(QStringLiteral("origin_counts")).toObject();
    QCOMPARE(origins.value(QStringLiteral("attribute")).toInt(), attributes);
    QCOMPARE(origins.value(QStringLiteral("state")).toInt(), int(expected.size()) - attributes);
    QCOMPARE(root.value(QStringLiteral("kind_counts")).toObject().value(QStringLiteral("tensor")).toInt(), int(expected.size()));
    QCOMPARE(root.value(QStringLiteral("kind_counts")).toObject().value(QStringLiteral("array")).toInt(), 0);
    // The text listing notes them; info counts them; the candidate state dict holds the others.
    const CliRun table = runCli({QStringLiteral("ls"), data("module_attributes.pt")});
    QVERIFY(table.out.contains("attribute (not in state_dict)"));
    const CliRun info = runCli({QStringLiteral("info"), data("module_attributes.pt"), QStringLiteral("--json")});
    const QJsonObject summary = QJsonDocument::fromJson(info.out).object();
    QCOMPARE(summary.value(QStringLiteral("origin_counts")).toObject().value(QStringLiteral("attribute")).toInt(), attributes);
    const QJsonArray candidates = summary.value(QStringLiteral("candidates")).toArray();
    QCOMPARE(candidates.size(), 1);
    QCOMPARE(candidates[0].toObject().value(QStringLiteral("tensors")).toInt(), int(expected.size()) - attributes);
    const CliRun human = runCli({QStringLiteral("info"), data("module_attributes.pt")});
    const QString line = QStringLiteral("Tensors:     %1, %2 of them module attributes (not in state_dict)").arg(expected.size()).arg(attributes);
    QVERIFY2(QString::fromUtf8(human.out).contains(line), human.out.constData());
}

void TestCli::testListTable()
{
    const CliRun run = runCli({QStringLiteral("ls"), data("simple_cnn.pth")});
    QCOMPARE(run.exitCode, 0);
    const QString text = QString::fromUtf8(run.out);
    QVERIFY(text.startsWith(QLatin1String("NAME")));
    QVERIFY(text.contains(QLatin1String("fc.weight")));
    QVERIFY(text.contains(QLatin1String("[10, 3136]")));
    QVERIFY(text.contains(QLatin1String("4 tensors, 31,818 parameters")));
}

void TestCli::testInfoFindsCandidateStateDicts()
{
    const CliRun run = runCli({QStringLiteral("info"), data("lightning.ckpt"), QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(root.value(QStringLiteral("format")).toString(), QStringLiteral("torch-zip"));
    QStringList paths;
    for (const QJsonValue& candidate : root.value(QStringLiteral("candidates")).toArray())
        paths.append(candidate.toObject().value(QStringLiteral("path")).toString() + u':'
                     + candidate.toObject().value(QStringLiteral("kind")).toString());
    QVERIFY2(paths.contains(QStringLiteral("state_dict:state_dict")), qPrintable(paths.join(u' ')));
    QVERIFY2(paths.contains(QStringLiteral("optimizer_states.0:optimizer")), qPrintable(paths.join(u' ')));
    QVERIFY(root.value(QStringLiteral("bytes_per_dtype")).toObject().contains(QStringLiteral("float32")));
    const CliRun human = runCli({QStringLiteral("info"), data("lightning.ckpt")});
    QCOMPARE(human.exitCode, 0);
    QVERIFY(human.out.contains("State dicts:"));
}

void TestCli::testBadInputExitsTwoWithMessage_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("cause");
    QTest::newRow("missing file") << data("does_not_exist.pt") << QStringLiteral("no such file");
    QTest::newRow("git lfs pointer") << data("broken_lfs_pointer.pth") << QStringLiteral("git lfs");
    QTest::newRow("html page") << data("broken_html.pth") << QStringLiteral("html");
    QTest::newRow("truncated zip") << data("broken_truncated_zip.pt") << QStringLiteral("truncated");
    QTest::newRow("nested a million deep") << data("broken_deep_nesting.pt") << QStringLiteral("deep");
}

void TestCli::testBadInputExitsTwoWithMessage()
{
    QFETCH(QString, path);
    QFETCH(QString, cause);
    for (const char* verb : {"ls", "info"}) {
        const CliRun run = runCli({QLatin1String(verb), path, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.out.isEmpty());
        const QString message = QString::fromUtf8(run.err);
        QVERIFY2(message.startsWith(QStringLiteral("statelens-cli: ") + path + QStringLiteral(": ")), qPrintable(message));
        QVERIFY2(message.contains(cause, Qt::CaseInsensitive), qPrintable(message));
        QCOMPARE(message.count(u'\n'), 1);
    }
}

void TestCli::testHostileFileListsUnsafeGlobals()
{
    const CliRun run = runCli({QStringLiteral("ls"), data("hostile_os_system.pt"), QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QVERIFY(root.value(QStringLiteral("unsafe_globals")).toArray().contains(QStringLiteral("posix.system")));
    QVERIFY(!QFileInfo::exists(QStringLiteral("/tmp/statelens_canary_hostile_os_system")));
}

void TestCli::testUsageErrors()
{
    QCOMPARE(runCli({}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("frobnicate")}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("ls")}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("ls"), data("simple_cnn.pth"), QStringLiteral("--bogus")}).exitCode, 2);
}

void TestCli::testListingDoesNotLinkLibtorch()
{
#ifndef Q_OS_LINUX
    QSKIP("reads ELF dynamic sections");
#endif
    for (const char* binary : {"statelens-cli", "statelens"}) {
        const QString path = QStringLiteral(STATELENS_BIN_DIR "/") + QLatin1String(binary);
        if (!QFileInfo::exists(path))
            continue;
        QProcess readelf;
        readelf.start(QStringLiteral("readelf"), {QStringLiteral("-d"), path});
        if (!readelf.waitForFinished(30000) || readelf.exitCode() != 0)
            QSKIP("readelf is not available");
        const QByteArray dynamic = readelf.readAllStandardOutput();
        QVERIFY(dynamic.contains("NEEDED"));
        QVERIFY2(!dynamic.contains("libtorch") && !dynamic.contains("libc10"), binary);
    }
}

void TestCli::testDevicesLoadsTorchModule()
{
    STATELENS_REQUIRE_TORCH_MODULE();
    const CliRun run = runCli({QStringLiteral("devices"), QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QVERIFY(root.value(QStringLiteral("libtorch")).toString().startsWith(QLatin1String("1.")));
    QCOMPARE(root.value(QStringLiteral("devices")).toArray().at(0).toObject().value(QStringLiteral("id")).toString(), QStringLiteral("cpu"));
}

void TestCli::testStatsJsonFollowsContract()
{
    const CliRun run = runCli({QStringLiteral("stats"), data("stats/stats_dtypes.pt"), QStringLiteral("--json"),
                               QStringLiteral("--bins"), QStringLiteral("10")});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(root.value(QStringLiteral("device")).toString(), QStringLiteral("cpu"));
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    // torch's figures for the same file (tests/data/stats/make_stats_fixtures.py).
    QFile expectedFile(data("stats/stats_expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QJsonArray expected = QJsonDocument::fromJson(expectedFile.readAll()).object()
                                    .value(QStringLiteral("files")).toObject()
                                    .value(QStringLiteral("stats_dtypes.pt")).toObject()
                                    .value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), expected.size());
    for (int i = 0; i < tensors.size(); ++i) {
        const QJsonObject got = tensors[i].toObject();
        const QJsonObject want = expected[i].toObject();
        QCOMPARE(got.value(QStringLiteral("name")), want.value(QStringLiteral("name")));  // the file's order
        for (const char* key : {"dtype", "numel", "min", "max", "nan", "inf", "zeros"})
            QCOMPARE(got.value(QLatin1String(key)), want.value(QLatin1String(key)));
        const QJsonValue histogram = got.value(QStringLiteral("histogram"));
        QCOMPARE(histogram.isNull(), want.value(QStringLiteral("histogram_10")).isNull());
        if (!histogram.isNull())
            QCOMPARE(histogram.toObject().value(QStringLiteral("counts")).toArray().size(), 10);
    }
}

void TestCli::testStatsTextFlagsProblemsFirst()
{
    const CliRun run = runCli({QStringLiteral("stats"), data("stats/stats_dtypes.pt")});
    QCOMPARE(run.exitCode, 0);
    const QString text = QString::fromUtf8(run.out);
    QVERIFY2(text.startsWith(QLatin1String("Problems (3 tensors):")), qPrintable(text.left(200)));
    const int table = text.indexOf(QLatin1String("NAME"));
    for (const char* problem : {"float32: 3 NaN, 3 Inf", "all_nan: 5 NaN", "all_zero: all zero"})
        QVERIFY2(text.indexOf(QLatin1String(problem)) >= 0 && text.indexOf(QLatin1String(problem)) < table, problem);
    QVERIFY(run.err.isEmpty());  // no progress bar when stderr is not a terminal
}

void TestCli::testStatsRefusesMissingDevice()
{
    const CliRun cpu = runCli({QStringLiteral("stats"), data("stats/stats_views.pt"), QStringLiteral("--device"), QStringLiteral("cpu")});
    QCOMPARE(cpu.exitCode, 0);
    STATELENS_REQUIRE_TORCH_MODULE();
    const CliRun cuda = runCli({QStringLiteral("stats"), data("stats/stats_views.pt"), QStringLiteral("--device"), QStringLiteral("cuda")});
    QCOMPARE(cuda.exitCode, 2);
    QVERIFY2(cuda.err.contains("cuda") && cuda.err.contains("without CUDA"), cuda.err.constData());
    QVERIFY(cuda.out.isEmpty());
}

void TestCli::testStatsUsageErrors()
{
    const QString file = data("stats/stats_views.pt");
    QCOMPARE(runCli({QStringLiteral("stats"), file, QStringLiteral("--bins"), QStringLiteral("0")}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("stats"), file, QStringLiteral("--device"), QStringLiteral("tpu")}).exitCode, 2);
    const CliRun regex = runCli({QStringLiteral("stats"), file, QStringLiteral("--filter"), QStringLiteral("(")});
    QCOMPARE(regex.exitCode, 2);
    QVERIFY(regex.err.contains("--filter"));
    const CliRun filtered = runCli({QStringLiteral("stats"), file, QStringLiteral("--json"), QStringLiteral("--filter"), QStringLiteral("^HALF")});
    QCOMPARE(filtered.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(filtered.out).object().value(QStringLiteral("tensors")).toArray().size(), 2);  // case-insensitive
}

void TestCli::testArchsListsTheZoo()
{
    STATELENS_REQUIRE_TORCH_MODULE();
    const CliRun run = runCli({QStringLiteral("archs"), QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 0);
    QStringList names;
    for (const QJsonValue& entry : QJsonDocument::fromJson(run.out).object().value(QStringLiteral("architectures")).toArray())
        names.append(entry.toObject().value(QStringLiteral("name")).toString());
    for (const char* name : {"simple_cnn", "mlp", "lenet5", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                             "vgg11", "vgg11_bn", "vgg19_bn", "alexnet", "mobilenet_v2", "gpt2"})
        QVERIFY2(names.contains(QLatin1String(name)), name);
}

void TestCli::testMatchGivesTorchsMessageAndExitCode()
{
    // torch's text for this pair, from tests/data/match/make_match_fixtures.py.
    QFile expectedFile(data("match/match_expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    QString torchMessage;
    for (const QJsonValue& value : QJsonDocument::fromJson(expectedFile.readAll()).array()) {
        const QJsonObject c = value.toObject();
        if (c.value(QStringLiteral("checkpoint")).toString() == QLatin1String("resnet18_10class.pth")
            && c.value(QStringLiteral("arch")).toString() == QLatin1String("resnet18"))
            torchMessage = c.value(QStringLiteral("strict_message")).toString();
    }
    QVERIFY(!torchMessage.isEmpty());
    const QString spec = data("match/resnet18.json");
    const CliRun strict = runCli({QStringLiteral("match"), data("match/resnet18_10class.pth"), QStringLiteral("--arch"), spec, QStringLiteral("--json")});
    QCOMPARE(strict.exitCode, 1);
    const QJsonObject root = QJsonDocument::fromJson(strict.out).object();
    QCOMPARE(root.value(QStringLiteral("message")).toString(), torchMessage);
    QCOMPARE(root.value(QStringLiteral("model")).toString(), QStringLiteral("ResNet"));
    QCOMPARE(root.value(QStringLiteral("shape_mismatch")).toArray().size(), 2);
    const CliRun lenient = runCli({QStringLiteral("match"), data("match/resnet18_10class.pth"), QStringLiteral("--arch"), spec, QStringLiteral("--lenient")});
    QCOMPARE(lenient.exitCode, 0);
    const CliRun prefixed = runCli({QStringLiteral("match"), data("match/resnet18_module_prefix.pth"), QStringLiteral("--arch"), spec, QStringLiteral("--json")});
    QCOMPARE(prefixed.exitCode, 1);
    const QJsonObject suggestion = QJsonDocument::fromJson(prefixed.out).object().value(QStringLiteral("suggestions")).toArray().at(0).toObject();
    QCOMPARE(suggestion.value(QStringLiteral("kind")).toString(), QStringLiteral("strip-prefix"));
    QCOMPARE(suggestion.value(QStringLiteral("prefix")).toString(), QStringLiteral("module."));
    QCOMPARE(suggestion.value(QStringLiteral("fixes")).toInt(), 122);
    QCOMPARE(runCli({QStringLiteral("match"), data("match/resnet18_module_prefix.pth"), QStringLiteral("--arch"), spec,
                     QStringLiteral("--strip-prefix"), QStringLiteral("module.")}).exitCode, 0);
    QCOMPARE(runCli({QStringLiteral("match"), data("match/resnet18.pth")}).exitCode, 2);  // no --arch
}

void TestCli::testLoadRunsAForwardPass_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QVariantList>("output");
    QTest::newRow("simple_cnn sample") << QStringLiteral(STATELENS_SOURCE_DIR "/resources/sample/simple_cnn.pth") << QStringLiteral("simple_cnn")
                                       << QVariantList{1, 10};
    QTest::newRow("resnet18") << data("match/resnet18.pth") << QStringLiteral("resnet18") << QVariantList{1, 1000};
    QTest::newRow("resnet18, 10 classes") << data("match/resnet18_10class.pth") << QStringLiteral("resnet18:num_classes=10") << QVariantList{1, 10};
}

void TestCli::testLoadRunsAForwardPass()
{
    QFETCH(QString, file);
    QFETCH(QString, arch);
    QFETCH(QVariantList, output);
    STATELENS_REQUIRE_TORCH_MODULE();
    const CliRun run = runCli({QStringLiteral("load"), file, QStringLiteral("--arch"), arch, QStringLiteral("--json")});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(root.value(QStringLiteral("device")).toString(), QStringLiteral("cpu"));
    QCOMPARE(root.value(QStringLiteral("loaded")).toInt(), root.value(QStringLiteral("matched")).toInt());
    QCOMPARE(root.value(QStringLiteral("forward")).toObject().value(QStringLiteral("output")).toArray().toVariantList(), output);
    // A checkpoint torch would refuse is not loaded: exit 1 with torch's message.
    const CliRun refused = runCli({QStringLiteral("load"), data("match/resnet18_10class.pth"), QStringLiteral("--arch"), QStringLiteral("resnet18")});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY(refused.out.contains("size mismatch for fc.weight"));
    const CliRun cuda = runCli({QStringLiteral("load"), file, QStringLiteral("--arch"), arch, QStringLiteral("--device"), QStringLiteral("cuda")});
    QCOMPARE(cuda.exitCode, 2);
    QVERIFY(cuda.err.contains("without CUDA"));
}

void TestCli::testExportWritesAndRefusesInputs()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("fixed.pt"));
    const CliRun run = runCli({QStringLiteral("export"), data("match/resnet18_module_prefix.pth"), out, QStringLiteral("--strip-prefix"),
                               QStringLiteral("module."), QStringLiteral("--json"), QStringLiteral("--snippet")});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(root.value(QStringLiteral("tensors")).toInt(), 122);
    QVERIFY(root.value(QStringLiteral("snippet")).toString().contains(QLatin1String("torch.save(sd,")));
    // The exported file now matches resnet18 strictly.
    QCOMPARE(runCli({QStringLiteral("match"), out, QStringLiteral("--arch"), data("match/resnet18.json")}).exitCode, 0);
    const CliRun over = runCli({QStringLiteral("export"), out, out});
    QCOMPARE(over.exitCode, 2);
    QVERIFY(over.err.contains("refusing to write over the input"));
}

// --rename and --tie edit single keys after the prefixes. torch loads the Lightning fixture once
// "model." is stripped (match_expected.json); renaming each key instead must give the same
// verdict. A tie offers one tensor under a second name as well, which a strict load of a model
// without that name reports as unexpected.
void TestCli::testRenameAndTieEditKeys()
{
    const QString file = data("match/lightning_style.ckpt");
    const QString spec = data("match/simple_cnn.json");
    const QStringList keys = {QStringLiteral("conv1.weight"), QStringLiteral("conv1.bias"), QStringLiteral("fc.weight"),
                              QStringLiteral("fc.bias")};
    QStringList renames = {QStringLiteral("match"), file, QStringLiteral("--arch"), spec, QStringLiteral("--json")};
    for (const QString& key : keys)
        renames << QStringLiteral("--rename") << QStringLiteral("model.") + key + u'=' + key;
    const CliRun renamed = runCli(renames);
    const CliRun stripped = runCli({QStringLiteral("match"), file, QStringLiteral("--arch"), spec, QStringLiteral("--json"),
                                    QStringLiteral("--strip-prefix"), QStringLiteral("model.")});
    QCOMPARE(stripped.exitCode, 0);
    QCOMPARE(renamed.exitCode, 0);
    const QJsonObject a = QJsonDocument::fromJson(renamed.out).object();
    const QJsonObject b = QJsonDocument::fromJson(stripped.out).object();
    QCOMPARE(a.value(QStringLiteral("missing")).toArray(), QJsonArray{});
    QCOMPARE(a.value(QStringLiteral("unexpected")).toArray(), QJsonArray{});
    QCOMPARE(a.value(QStringLiteral("matched")), b.value(QStringLiteral("matched")));
    QCOMPARE(a.value(QStringLiteral("loaded_parameters")), b.value(QStringLiteral("loaded_parameters")));

    const CliRun tied = runCli({QStringLiteral("match"), data("match/simple_cnn_exact.pth"), QStringLiteral("--arch"), spec,
                                QStringLiteral("--json"), QStringLiteral("--tie"), QStringLiteral("conv1.bias=extra.bias")});
    QCOMPARE(tied.exitCode, 1);
    const QJsonObject t = QJsonDocument::fromJson(tied.out).object();
    QCOMPARE(t.value(QStringLiteral("unexpected")).toArray(), QJsonArray{QStringLiteral("extra.bias")});
    QCOMPARE(t.value(QStringLiteral("missing")).toArray(), QJsonArray{});

    const CliRun bad = runCli({QStringLiteral("match"), file, QStringLiteral("--arch"), spec, QStringLiteral("--rename"), QStringLiteral("nothing")});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY(bad.err.contains("--rename takes FROM=TO"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
