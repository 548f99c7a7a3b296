// load_state_dict's verdict without torch equals torch's: the missing, unexpected and
// shape-mismatched keys in torch's order and the strict RuntimeError text byte for byte, for the
// cases tests/data/match/make_match_fixtures.py ran through torch (exact, partial, extra keys,
// changed head, wrapper prefixes, legacy, sharded, training checkpoints, num_batches_tracked
// metadata, resnet18 against resnet50, TorchScript). And the suggestions that fix them.
#include "core/formats/checkpoint_reader.h"
#include "core/match/architecture_sources.h"
#include "core/match/match_report.h"
#include "core/match/model_loading.h"
#include "core/report/match_json.h"
#include "core/runtime/torch_runtime.h"
#include "tests/support/torch_requirement.h"
#include "tests/support/torch_rows.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace statelens;

namespace {

QString matchData(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/match/") + name;
}

QStringList strings(const QJsonValue& value)
{
    QStringList list;
    for (const QJsonValue& item : value.toArray())
        list.append(item.toString());
    return list;
}

QVector<qint64> shape(const QJsonValue& value)
{
    QVector<qint64> sizes;
    for (const QJsonValue& item : value.toArray())
        sizes.append(item.toInteger());
    return sizes;
}

// The architecture a case names: its JSON spec (written by the README's snippet from the torch
// model) or TorchScript file, which need no libtorch; or the built-in libtorch module of that name.
QString architectureFor(const QJsonObject& testCase, bool builtIn)
{
    const QString arch = testCase.value(QStringLiteral("arch")).toString();
    if (arch.startsWith(QLatin1String("torchscript:")))
        return builtIn ? QString() : matchData(arch.mid(12));
    if (builtIn)
        return arch;
    const QString spec = testCase.value(QStringLiteral("spec")).toString();
    return spec.isEmpty() ? QString() : matchData(spec);
}

Result<MatchReport> runCase(const QJsonObject& testCase, const QString& architecturePath, const QStringList& strip)
{
    auto architecture = loadArchitecture(architecturePath);
    if (!architecture)
        return architecture.error();
    auto opened = openCheckpoint(matchData(testCase.value(QStringLiteral("checkpoint")).toString()));
    if (!opened)
        return opened.error();
    MatchRequest request;
    request.architecture = architecturePath;
    const QString key = testCase.value(QStringLiteral("key")).toString();
    if (!key.isEmpty())
        request.key = key;
    request.stripPrefixes = strip;
    return matchCheckpoint(**opened, testCase.value(QStringLiteral("checkpoint")).toString(), *architecture, request);
}

}  // namespace

class TestMatch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void testVerdictEqualsTorch_data();
    void testVerdictEqualsTorch();
    void testSuggestionsFixWrapperPrefixes_data();
    void testSuggestionsFixWrapperPrefixes();
    void testClassifierHeadIsNamed();
    void testTrainingCheckpointFoundWithoutKey();
    void testLenientLoadsWhatAgrees();
    void testExportedProgramIsAnArchitecture();
    void testZooEqualsPyTorch_data();
    void testZooEqualsPyTorch();
    void testBadArchitectureSaysWhy_data();
    void testBadArchitectureSaysWhy();

private:
    QJsonArray m_cases;
};

void TestMatch::initTestCase()
{
    QFile file(matchData(QStringLiteral("match_expected.json")));
    QVERIFY2(file.open(QIODevice::ReadOnly), "run tests/data/match/make_match_fixtures.py");
    m_cases = QJsonDocument::fromJson(file.readAll()).array();
    QVERIFY(m_cases.size() >= 20);
}

void TestMatch::testVerdictEqualsTorch_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<bool>("builtIn");
    for (int i = 0; i < m_cases.size(); ++i) {
      for (bool builtIn : {false, true}) {
        const QJsonObject c = m_cases[i].toObject();
        if (architectureFor(c, builtIn).isEmpty())
            continue;
        QTest::addRow("%s%s against %s%s%s", qPrintable(c.value(QStringLiteral("checkpoint")).toString()),
                      c.value(QStringLiteral("key")).toString().isEmpty() ? "" : qPrintable(u'[' + c.value(QStringLiteral("key")).toString() + u']'),
                      qPrintable(c.value(QStringLiteral("arch")).toString()),
                      qPrintable(strings(c.value(QStringLiteral("strip_prefix"))).isEmpty() ? QString()
                                 : QStringLiteral(" stripping ") + strings(c.value(QStringLiteral("strip_prefix"))).join(u' ')),
                      builtIn ? " (built-in)" : (c.value(QStringLiteral("spec")).isNull() ? "" : " (JSON spec)"))
            << i << builtIn;
      }
    }
}

void TestMatch::testVerdictEqualsTorch()
{
    QFETCH(int, index);
    QFETCH(bool, builtIn);
    if (builtIn)
        STATELENS_REQUIRE_TORCH_MODULE();
    const QJsonObject c = m_cases[index].toObject();
    auto report = runCase(c, architectureFor(c, builtIn), strings(c.value(QStringLiteral("strip_prefix"))));
    QVERIFY2(report.ok(), qPrintable(report.ok() ? QString() : report.error().toString()));
    const LoadVerdict& verdict = report->verdict;
    QCOMPARE(report->architecture.modelClass, c.value(QStringLiteral("model_class")).toString());
    QCOMPARE(verdict.missing, strings(c.value(QStringLiteral("missing"))));
    QCOMPARE(verdict.unexpected, strings(c.value(QStringLiteral("unexpected"))));
    const QJsonArray mismatches = c.value(QStringLiteral("size_mismatch")).toArray();
    QCOMPARE(verdict.shapeMismatches.size(), mismatches.size());
    for (int i = 0; i < mismatches.size(); ++i) {
        const QJsonObject expected = mismatches[i].toObject();
        QCOMPARE(verdict.shapeMismatches[i].name, expected.value(QStringLiteral("name")).toString());
        QCOMPARE(verdict.shapeMismatches[i].checkpoint, shape(expected.value(QStringLiteral("checkpoint"))));
        QCOMPARE(verdict.shapeMismatches[i].model, shape(expected.value(QStringLiteral("model"))));
    }
    const QJsonValue message = c.value(QStringLiteral("strict_message"));
    if (message.isNull()) {
        QVERIFY2(verdict.strictMessage.isEmpty(), qPrintable(verdict.strictMessage.left(500)));
        QVERIFY(report->ok());
    } else {
        QCOMPARE(verdict.strictMessage, message.toString());  // byte for byte
        QVERIFY(!report->ok());
    }
}

void TestMatch::testSuggestionsFixWrapperPrefixes_data()
{
    QTest::addColumn<QString>("checkpoint");
    QTest::addColumn<QStringList>("strip");
    QTest::newRow("DataParallel") << QStringLiteral("resnet18_module_prefix.pth") << QStringList{QStringLiteral("module.")};
    QTest::newRow("torch.compile") << QStringLiteral("resnet18_orig_mod.pth") << QStringList{QStringLiteral("_orig_mod.")};
    QTest::newRow("DDP around torch.compile") << QStringLiteral("resnet18_ddp_compiled.pth")
                                             << QStringList{QStringLiteral("module."), QStringLiteral("_orig_mod.")};
}

void TestMatch::testSuggestionsFixWrapperPrefixes()
{
    QFETCH(QString, checkpoint);
    QFETCH(QStringList, strip);
    QJsonObject c{{QStringLiteral("checkpoint"), checkpoint}};
    auto report = runCase(c, matchData(QStringLiteral("resnet18.json")), {});
    QVERIFY(report.ok());
    QVERIFY(!report->ok());
    QVERIFY(!report->suggestions.isEmpty());
    const FixSuggestion& best = report->suggestions.first();
    QCOMPARE(best.kind, QStringLiteral("strip-prefix"));
    QCOMPARE(best.strip, strip);
    QCOMPARE(best.loadableBefore, 0);
    QCOMPARE(best.loadableAfter, report->architecture.tensors.size());
    // With the suggested fix the checkpoint loads strictly (torch agrees: match_expected.json).
    auto fixed = runCase(c, matchData(QStringLiteral("resnet18.json")), best.strip);
    QVERIFY(fixed.ok());
    QVERIFY2(fixed->ok(), qPrintable(fixed->verdict.strictMessage.left(300)));
}

void TestMatch::testClassifierHeadIsNamed()
{
    auto report = runCase({{QStringLiteral("checkpoint"), QStringLiteral("resnet18_10class.pth")}},
                          matchData(QStringLiteral("resnet18.json")), {});
    QVERIFY(report.ok());
    QCOMPARE(report->verdict.shapeMismatches.size(), 2);
    for (const ShapeMismatch& mismatch : report->verdict.shapeMismatches)
        QVERIFY2(mismatch.cause.startsWith(QLatin1String("classifier head: 10 outputs")), qPrintable(mismatch.cause));
}

void TestMatch::testTrainingCheckpointFoundWithoutKey()
{
    // {"epoch", "model_state_dict", "optimizer_state_dict", "loss"}: the model's weights, not the
    // optimizer's momentum buffers, without --key.
    auto report = runCase({{QStringLiteral("checkpoint"), QStringLiteral("tutorial_training.pt")}},
                          matchData(QStringLiteral("simple_cnn.json")), {});
    QVERIFY(report.ok());
    QCOMPARE(report->stateDict.path, QStringLiteral("model_state_dict"));
    QVERIFY(report->ok());
    auto lightning = runCase({{QStringLiteral("checkpoint"), QStringLiteral("lightning_style.ckpt")}},
                             matchData(QStringLiteral("simple_cnn.json")), {});
    QVERIFY(lightning.ok());
    QCOMPARE(lightning->stateDict.path, QStringLiteral("state_dict"));
    QVERIFY(!lightning->suggestions.isEmpty());
    QCOMPARE(lightning->suggestions.first().strip, QStringList{QStringLiteral("model.")});
}

void TestMatch::testLenientLoadsWhatAgrees()
{
    auto architecture = loadArchitecture(matchData(QStringLiteral("resnet18.json")));
    QVERIFY(architecture.ok());
    auto opened = openCheckpoint(matchData(QStringLiteral("resnet18_10class.pth")));
    QVERIFY(opened.ok());
    MatchRequest request;
    request.strict = false;
    auto report = matchCheckpoint(**opened, QStringLiteral("resnet18_10class.pth"), *architecture, request);
    QVERIFY(report.ok());
    QVERIFY(report->ok());
    QCOMPARE(report->verdict.matched.size(), architecture->tensors.size() - 2);
    // fc holds 513,000 of resnet18's 11,689,512 parameters; everything else loads.
    QCOMPARE(report->verdict.modelParameters - report->verdict.loadedParameters, qint64(512 * 1000 + 1000));
    const QByteArray json = matchJsonText(*report);
    const QJsonObject root = QJsonDocument::fromJson(json).object();
    QCOMPARE(strings(root.value(QStringLiteral("left_initial"))), (QStringList{QStringLiteral("fc.weight"), QStringLiteral("fc.bias")}));
    QCOMPARE(root.value(QStringLiteral("ok")).toBool(), true);
}

void TestMatch::testExportedProgramIsAnArchitecture()
{
    // A torch.export .pt2 file: its parameters as our reader lists them (what torch.export saved,
    // per the file's expectation written from torch) are the layout; libtorch is not needed.
    const QString path = QStringLiteral(STATELENS_TEST_DATA "/real/executorch__linear.pt2");
    auto architecture = loadArchitecture(path);
    QVERIFY2(architecture.ok(), qPrintable(architecture.ok() ? QString() : architecture.error().message));
    QCOMPARE(architecture->source, QStringLiteral("pt2"));
    QFile expectedFile(path + QStringLiteral(".expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QJsonArray tensors = QJsonDocument::fromJson(expectedFile.readAll()).object().value(QStringLiteral("tensors")).toArray();
    QCOMPARE(architecture->tensors.size(), tensors.size());
    for (int i = 0; i < tensors.size(); ++i) {
        QCOMPARE(architecture->tensors[i].name, tensors[i].toObject().value(QStringLiteral("name")).toString());
        QCOMPARE(architecture->tensors[i].shape, shape(tensors[i].toObject().value(QStringLiteral("shape"))));
    }
    auto spec = loadableSpec(*architecture);
    QVERIFY(!spec.ok());  // a layout to match against, not a module to load into
}

void TestMatch::testZooEqualsPyTorch_data()
{
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QString>("spec");
    QFile file(matchData(QStringLiteral("zoo/index.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject index = QJsonDocument::fromJson(file.readAll()).object();
    QVERIFY(index.size() >= 20);
    for (auto it = index.begin(); it != index.end(); ++it)
        QTest::addRow("%s", qPrintable(it.key())) << it.key() << it.value().toString();
}

void TestMatch::testZooEqualsPyTorch()
{
    // Each built-in libtorch module has PyTorch's module tree and state_dict(): the same names in
    // the same order, shapes and dtypes (the spec was written from torchvision / the script).
    QFETCH(QString, arch);
    QFETCH(QString, spec);
    STATELENS_REQUIRE_TORCH_MODULE();
    auto expected = loadArchitecture(matchData(QStringLiteral("zoo/") + spec));
    QVERIFY2(expected.ok(), qPrintable(expected.ok() ? QString() : expected.error().message));
    QVector<qint64> input;
    auto builtIn = TorchRuntime::instance().describeArchitecture(arch, &input);
    QVERIFY2(builtIn.ok(), qPrintable(builtIn.ok() ? QString() : builtIn.error().message));
    QCOMPARE(builtIn->modelClass, expected->modelClass);
    QCOMPARE(builtIn->modules, expected->modules);
    QCOMPARE(builtIn->tensors.size(), expected->tensors.size());
    for (int i = 0; i < expected->tensors.size(); ++i) {
        QCOMPARE(builtIn->tensors[i].name, expected->tensors[i].name);
        QCOMPARE(builtIn->tensors[i].shape, expected->tensors[i].shape);
        QCOMPARE(builtIn->tensors[i].dtype, expected->tensors[i].dtype);
    }
    QVERIFY(!input.isEmpty());
}

void TestMatch::testBadArchitectureSaysWhy_data()
{
    QTest::addColumn<QByteArray>("spec");
    QTest::addColumn<QString>("reason");
    QTest::newRow("not JSON") << QByteArray("{\"model\": \"M\",\n \"tensors\": [oops]}") << QStringLiteral("line 2, column");
    QTest::newRow("no tensors") << QByteArray("{\"model\": \"M\"}") << QStringLiteral("\"tensors\" must be a list");
    QTest::newRow("bad shape") << QByteArray("{\"tensors\": [[\"a.weight\", [3, -1], \"float32\"]]}") << QStringLiteral("tensors[0]: the shape");
    QTest::newRow("bad dtype") << QByteArray("{\"tensors\": [[\"a.weight\", [3], \"float99\"]]}") << QStringLiteral("tensors[0]: unknown dtype 'float99'");
    QTest::newRow("overflow") << QByteArray("{\"tensors\": [[\"a\", [4294967296, 4294967296, 4294967296], \"float32\"]]}") << QStringLiteral("overflows");
}

void TestMatch::testBadArchitectureSaysWhy()
{
    QFETCH(QByteArray, spec);
    QFETCH(QString, reason);
    auto architecture = parseArchitectureSpec(spec, QStringLiteral("spec.json"));
    QVERIFY(!architecture.ok());
    QVERIFY2(architecture.error().message.contains(reason) && architecture.error().message.contains(QLatin1String("spec.json")),
             qPrintable(architecture.error().message));
    auto unknown = loadArchitecture(QStringLiteral("no-such-model"));
    QVERIFY(!unknown.ok());
    QVERIFY(unknown.error().message.contains(QLatin1String("unknown architecture 'no-such-model'")));
    auto checkpointAsArch = loadArchitecture(matchData(QStringLiteral("resnet18.pth")));
    QVERIFY(!checkpointAsArch.ok());
    QVERIFY(checkpointAsArch.error().message.contains(QLatin1String("ref:")));
}

QTEST_GUILESS_MAIN(TestMatch)
#include "tst_match.moc"
