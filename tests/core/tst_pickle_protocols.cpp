// The restricted pickle machine against Python's own pickle module (protocols 0-5), and against
// hostile opcode streams that must fail fast, bounded, and without running anything.
#include "core/checkpoint.h"
#include "core/pickle/pickle_machine.h"

#include <QElapsedTimer>

#include <cmath>
#include <QLocale>
#include <QTest>

using namespace statelens;

namespace {

struct PickleCase {
    const char* name;
    QByteArray bytes;
    QString expected;
};

const PickleCase kCases[] = {
#include "pickle_cases.inc"
};

// Hand-written opcode streams (bytes from make_pickle_cases.py): name, bytes, and the expected
// error substring or, for inert unsafe globals, the global's name.
const PickleCase kHostile[] = {
#include "pickle_hostile.inc"
};
const PickleCase kInert[] = {
#include "pickle_inert.inc"
};
const PickleCase kShapes[] = {
#include "pickle_shapes.inc"
};

QByteArray shape(const char* name)
{
    for (const PickleCase& pickleCase : kShapes) {
        if (qstrcmp(pickleCase.name, name) == 0)
            return pickleCase.bytes;
    }
    return {};
}

QString pythonFloat(double value)
{
    if (value == 0.0)
        return std::signbit(value) ? QStringLiteral("-0.0") : QStringLiteral("0.0");
    QString text = QString::number(value, 'g', QLocale::FloatingPointShortest);
    if (!text.contains(u'.') && !text.contains(u'e') && !text.contains(u'n') && !text.contains(u'i'))
        text += QStringLiteral(".0");
    if (text.contains(u'e')) {  // Python writes 1e+300, 2.5e-310: exponents without leading zeros
        const qsizetype e = text.indexOf(u'e');
        QString exponent = text.mid(e + 1);
        const QChar sign = exponent.front() == u'-' || exponent.front() == u'+' ? exponent.front() : u'+';
        if (exponent.front() == u'-' || exponent.front() == u'+')
            exponent.remove(0, 1);
        while (exponent.size() > 2 && exponent.front() == u'0')
            exponent.remove(0, 1);
        text = text.left(e) + u'e' + sign + exponent;
    }
    return text;
}

// The same notation as make_pickle_cases.py's render(), bounded in depth.
QString render(const Value* value, int depth = 0)
{
    if (!value || depth > 50)
        return QStringLiteral("?");
    auto join = [depth](const std::vector<Value*>& items) {
        QStringList parts;
        for (const Value* item : items)
            parts.append(render(item, depth + 1));
        return parts.join(QStringLiteral(", "));
    };
    switch (value->kind) {
    case ValueKind::None: return QStringLiteral("None");
    case ValueKind::Bool: return value->boolean ? QStringLiteral("True") : QStringLiteral("False");
    case ValueKind::Int: return QString::number(value->integer);
    case ValueKind::BigInt: return value->text;
    case ValueKind::Float: return pythonFloat(value->real);
    case ValueKind::String: return u'\'' + value->text + u'\'';
    case ValueKind::Bytes: return QStringLiteral("b'") + QString::fromLatin1(value->bytes().toHex()) + u'\'';
    case ValueKind::Tuple: return u'(' + join(value->items) + u')';
    case ValueKind::List: return u'[' + join(value->items) + u']';
    case ValueKind::Set:
    case ValueKind::FrozenSet: return u'{' + join(value->items) + u'}';
    case ValueKind::Dict: {
        QStringList parts;
        for (const auto& [key, item] : value->entries())
            parts.append(render(key, depth + 1) + QStringLiteral(": ") + render(item, depth + 1));
        const QString body = u'{' + parts.join(QStringLiteral(", ")) + u'}';
        return value->text == QLatin1String("OrderedDict") ? QStringLiteral("OrderedDict(") + body + u')' : body;
    }
    default: return QStringLiteral("<%1>").arg(value->summary(60));
    }
}

Result<Value*> runPickle(Checkpoint& checkpoint, const QByteArray& bytes)
{
    PickleMachine machine(checkpoint);
    return machine.run(bytes.constData(), bytes.size());
}

}  // namespace

class TestPickleProtocols : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testPythonPickles_data();
    void testPythonPickles();
    void testMemoAliasesOneObject();
    void testOrderedDictMetadataIsAnAttribute();
    void testHostileStreamsFail_data();
    void testHostileStreamsFail();
    void testUnsafeGlobalsStayInert_data();
    void testUnsafeGlobalsStayInert();
    void testMillionDeepNestingFailsFast();
    void testLegacyStreamReportsEnd();
};

void TestPickleProtocols::testPythonPickles_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    for (const PickleCase& pickleCase : kCases)
        QTest::newRow(pickleCase.name) << pickleCase.bytes << pickleCase.expected;
}

void TestPickleProtocols::testPythonPickles()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    Checkpoint checkpoint;
    auto root = runPickle(checkpoint, bytes);
    QVERIFY2(root, qPrintable(root ? QString() : root.error().message));
    const QString actual = render(*root);
    qsizetype differ = 0;
    while (differ < actual.size() && differ < expected.size() && actual[differ] == expected[differ])
        ++differ;
    QVERIFY2(actual == expected, qPrintable(QStringLiteral("differs at %1: got …%2… expected …%3…")
                                                .arg(differ).arg(actual.mid(qMax<qsizetype>(0, differ - 40), 80), expected.mid(qMax<qsizetype>(0, differ - 40), 80))));
    QVERIFY(checkpoint.unsafeGlobals.isEmpty());
}

void TestPickleProtocols::testMemoAliasesOneObject()
{
    // [x, x] where x = [] is filled after being memoized: both items are the same object.
    Checkpoint checkpoint;
    auto root = runPickle(checkpoint, shape("memo alias"));
    QVERIFY2(root, qPrintable(root ? QString() : root.error().message));
    QCOMPARE((*root)->items.size(), size_t(2));
    QCOMPARE((*root)->items[0], (*root)->items[1]);
    QCOMPARE(render(*root), QStringLiteral("[[7], [7]]"));
}

void TestPickleProtocols::testOrderedDictMetadataIsAnAttribute()
{
    // OrderedDict() REDUCE, one item, then BUILD {'_metadata': {...}}: as state_dict() pickles.
    Checkpoint checkpoint;
    auto root = runPickle(checkpoint, shape("ordered dict with _metadata"));
    QVERIFY2(root, qPrintable(root ? QString() : root.error().message));
    QCOMPARE(render(*root), QStringLiteral("OrderedDict({'w': 1})"));
    QVERIFY((*root)->attributes());
    QVERIFY((*root)->attributes()->find(u"_metadata"));
}

void TestPickleProtocols::testHostileStreamsFail_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    for (const PickleCase& pickleCase : kHostile)
        QTest::newRow(pickleCase.name) << pickleCase.bytes << pickleCase.expected;
}

void TestPickleProtocols::testHostileStreamsFail()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    Checkpoint checkpoint;
    auto root = runPickle(checkpoint, bytes);
    QVERIFY(!root);
    QVERIFY2(root.error().message.contains(message), qPrintable(root.error().message));
    QVERIFY(root.error().message.startsWith(QLatin1String("pickle: ")));
}

void TestPickleProtocols::testUnsafeGlobalsStayInert_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("global");
    for (const PickleCase& pickleCase : kInert)
        QTest::newRow(pickleCase.name) << pickleCase.bytes << pickleCase.expected;
}

void TestPickleProtocols::testUnsafeGlobalsStayInert()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, global);
    Checkpoint checkpoint;
    auto root = runPickle(checkpoint, bytes);
    QVERIFY2(root, qPrintable(root ? QString() : root.error().message));
    QVERIFY2(checkpoint.unsafeGlobals.contains(global), qPrintable(checkpoint.unsafeGlobals.join(u',')));
    QCOMPARE((*root)->kind, ValueKind::Object);  // described, never called
    QVERIFY((*root)->callee());
}

void TestPickleProtocols::testMillionDeepNestingFailsFast()
{
    QByteArray bytes("\x80\x02]", 3);
    bytes.append(QByteArray(1000000, '\x85'));  // TUPLE1, a million times
    bytes.append('.');
    Checkpoint checkpoint;
    QElapsedTimer timer;
    timer.start();
    auto root = runPickle(checkpoint, bytes);
    QVERIFY(!root);
    QVERIFY(root.error().message.contains(QLatin1String("deeper than")));
    QCOMPARE(root.error().code, ErrorCode::LimitExceeded);
    QVERIFY(checkpoint.arena.size() < 2000);  // it stopped at the limit, not at the end
}

void TestPickleProtocols::testLegacyStreamReportsEnd()
{
    // Two pickles back to back: run() stops after the first STOP and says where.
    const QByteArray bytes = shape("two pickles back to back");
    Checkpoint checkpoint;
    PickleMachine machine(checkpoint);
    qint64 end = 0;
    auto first = machine.run(bytes.constData(), bytes.size(), &end);
    QVERIFY(first);
    QCOMPARE(end, qint64(5));
    QCOMPARE((*first)->integer, qint64(5));
    QCOMPARE(machine.protocol(), 2);
    auto second = machine.run(bytes.constData() + end, bytes.size() - end, &end);
    QVERIFY(second);
    QCOMPARE((*second)->integer, qint64(6));
}

QTEST_GUILESS_MAIN(TestPickleProtocols)
#include "tst_pickle_protocols.moc"
