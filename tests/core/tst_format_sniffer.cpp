// Formats are recognised by content; files that are something else say what they are.
#include "core/formats/format_sniffer.h"

#include <QTest>

using namespace statelens;

Q_DECLARE_METATYPE(statelens::SniffedFormat)

class TestFormatSniffer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testSniff_data();
    void testSniff();
};

void TestFormatSniffer::testSniff_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<SniffedFormat>("format");
    QTest::addColumn<QString>("explanation");

    QByteArray tar(512, '\0');
    tar.replace(257, 5, "ustar");
    QByteArray safetensors("\x80\x05\x00\x00\x00\x00\x00\x00{\"a\":", 13);  // header length 0x0580
    QTest::newRow("zip") << QByteArray("PK\x03\x04rest") << SniffedFormat::Zip << QString();
    QTest::newRow("legacy protocol 2") << QByteArray("\x80\x02\x8a\x0alF", 6) << SniffedFormat::LegacyPickle << QString();
    QTest::newRow("legacy protocol 1 text long") << QByteArray("L119547037146038801333356L\n.") << SniffedFormat::LegacyPickle << QString();
    QTest::newRow("tar") << tar << SniffedFormat::Tar << QString();
    QTest::newRow("safetensors whose length looks like PROTO 5") << safetensors << SniffedFormat::Safetensors << QString();
    QTest::newRow("json") << QByteArray("  {\"weight_map\": {}}") << SniffedFormat::JsonText << QString();
    QTest::newRow("git lfs pointer")
        << QByteArray("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 46827520\n") << SniffedFormat::Unknown
        << QStringLiteral("Git LFS pointer for a 46827520-byte file");
    QTest::newRow("html error page")
        << QByteArray("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>") << SniffedFormat::Unknown
        << QStringLiteral("HTML page (\"404 Not Found\")");
    QTest::newRow("zlib stream (joblib compress=zlib)") << QByteArray("\x78\x5e\x6b\x60", 4) << SniffedFormat::ZlibStream << QString();
    QTest::newRow("gzip stream (joblib compress=gzip)") << QByteArray("\x1f\x8b\x08\x00", 4) << SniffedFormat::GzipStream << QString();
    QTest::newRow("x that is no zlib header") << QByteArray("\x78\x5f\x01\x02", 4) << SniffedFormat::Unknown
                                              << QStringLiteral("unrecognised content");
    QTest::newRow("python path file") << QByteArray("/usr/lib/python3/dist-packages\nimport site\n") << SniffedFormat::Unknown
                                      << QStringLiteral("text file");
    QTest::newRow("binary garbage") << QByteArray("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9) << SniffedFormat::Unknown
                                    << QStringLiteral("first bytes 01 02 03");
    // safetensors' own test vectors (safetensors/src/tensor.rs at 24b0b28): a header may start with
    // JSON whitespace (test_whitespace_leading_padded_header); a broken one is named by its cause
    // (test_invalid_header_length, test_invalid_header_non_utf8) instead of "unrecognised".
    QTest::newRow("safetensors, leading whitespace") << QByteArray("\x06\0\0\0\0\0\0\0\t\n{}\r ", 14) << SniffedFormat::Safetensors << QString();
    QTest::newRow("safetensors, leading spaces") << QByteArray("\x44\0\0\0\0\0\0\0    {\"w\":", 17) << SniffedFormat::Safetensors << QString();
    QTest::newRow("safetensors header past the end") << QByteArray("<\0\0\0\0\0\0\0", 8) << SniffedFormat::Unknown
                                                     << QStringLiteral("if it is a safetensors file, its header of 60 bytes runs past the end of the file (8 bytes)");
    QTest::newRow("safetensors header not UTF-8") << QByteArray("\x01\0\0\0\0\0\0\0\xff", 9) << SniffedFormat::Unknown
                                                  << QStringLiteral("if it is a safetensors file, its header is not valid UTF-8");
    // Pretty-printed JSON whose 9th byte is whitespace before a '{' stays JSON: its first 8 bytes
    // are no plausible header length.
    QTest::newRow("json, nested object at byte 10") << QByteArray("{\"a\":[1, {\"b\": 2}]}") << SniffedFormat::JsonText << QString();
    // Protocol 0/1 pickles have no PROTO and read like text: walked as opcodes, they are pickles
    // (issue 24 item 3); prose, code and tables meet a byte that is no opcode at once.
    QTest::newRow("protocol 0 pickle") << QByteArray("cos\nsystem\n(S'echo'\ntR.") << SniffedFormat::LegacyPickle << QString();
    QTest::newRow("protocol 0 dict of ints") << QByteArray("(dp0\nVa\np1\nI1\nsVb\np2\nI2\ns.") << SniffedFormat::LegacyPickle << QString();
    QTest::newRow("protocol 1 pickle") << QByteArray("}q\x00X\x01\x00\x00\x00" "aq\x01K\x01s.", 15) << SniffedFormat::LegacyPickle << QString();
    QTest::newRow("python code") << QByteArray("import torch\nprint(torch.__version__)\n") << SniffedFormat::Unknown << QStringLiteral("text file");
    QTest::newRow("markdown") << QByteArray("# Model card\n\nWeights for ...\n") << SniffedFormat::Unknown << QStringLiteral("text file");
    QTest::newRow("csv") << QByteArray("0,1,2\n3,4,5\n") << SniffedFormat::Unknown << QStringLiteral("text file");
    QTest::newRow("preview torchscript") << QByteArray("PYTORCH1....") << SniffedFormat::Unknown << QStringLiteral("preview release");
}

void TestFormatSniffer::testSniff()
{
    QFETCH(QByteArray, head);
    QFETCH(SniffedFormat, format);
    QFETCH(QString, explanation);
    const SniffResult result = sniffFormat(head, head.size());
    QCOMPARE(result.format, format);
    if (!explanation.isEmpty())
        QVERIFY2(result.notACheckpoint.contains(explanation), qPrintable(result.notACheckpoint));
    else
        QVERIFY(result.notACheckpoint.isEmpty());
}

QTEST_GUILESS_MAIN(TestFormatSniffer)
#include "tst_format_sniffer.moc"
