// Files that change under a memory map: a truncated file must not kill the process when its
// vanished bytes are read (SIGBUS on POSIX), and the map must say it changed; a file replaced
// by rename leaves the mapped original intact.
#include "core/base/mapped_file.h"
#include "core/formats/checkpoint_reader.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

using namespace statelens;

class TestMappedFile : public QObject {
    Q_OBJECT

private:
    static bool writeFile(const QString& path, qint64 size, char fill)
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return false;
        const QByteArray chunk(1 << 20, fill);
        for (qint64 done = 0; done < size; done += chunk.size())
            file.write(chunk.constData(), std::min<qint64>(chunk.size(), size - done));
        return true;
    }

private Q_SLOTS:
    void truncatedFileReadsZerosAndSaysSo()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows refuses to truncate or replace a mapped file: nothing to guard");
#endif
        QTemporaryDir folder;
        const QString path = folder.filePath(QStringLiteral("shrinking.bin"));
        QVERIFY(writeFile(path, 4 << 20, '\xab'));
        auto map = MappedFile::open(path);
        QVERIFY(map);
        const MappedFile& mapped = *map.value();
        QCOMPARE(mapped.data()[3 << 20], '\xab');
        QVERIFY(!mapped.changedOnDisk());

        QVERIFY(QFile::resize(path, 1 << 20));  // a training loop rewriting the file in place
        QCOMPARE(mapped.data()[(1 << 20) - 1], '\xab');  // what is still there is still read
        volatile char vanished = mapped.data()[(3 << 20) + 17];  // SIGBUS without the guard
        QCOMPARE(char(vanished), '\0');
        QVERIFY(mapped.changedOnDisk());
        QCOMPARE(mapped.sizeOnDisk(), qint64(1 << 20));
        const Error error = mapped.changedError();
        QVERIFY2(error.message.contains(QStringLiteral("changed on disk")), qPrintable(error.message));
        QVERIFY(error.message.contains(QString::number(4 << 20)));
        // Bytes past the fault, up to the end of the map, read as zeros too: no second fault.
        QCOMPARE(mapped.data()[(4 << 20) - 1], '\0');
    }

    void otherMapsAreUntouched()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows refuses to truncate or replace a mapped file: nothing to guard");
#endif
        QTemporaryDir folder;
        const QString a = folder.filePath(QStringLiteral("a.bin"));
        const QString b = folder.filePath(QStringLiteral("b.bin"));
        QVERIFY(writeFile(a, 2 << 20, 'a'));
        QVERIFY(writeFile(b, 2 << 20, 'b'));
        auto mapA = MappedFile::open(a);
        auto mapB = MappedFile::open(b);
        QVERIFY(mapA && mapB);
        QVERIFY(QFile::resize(a, 4096));
        QCOMPARE(mapA.value()->data()[1 << 20], '\0');
        QVERIFY(mapA.value()->changedOnDisk());
        QCOMPARE(mapB.value()->data()[1 << 20], 'b');
        QVERIFY(!mapB.value()->changedOnDisk());
    }

    void replacedFileKeepsTheOriginal()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows refuses to truncate or replace a mapped file: nothing to guard");
#endif
        QTemporaryDir folder;
        const QString path = folder.filePath(QStringLiteral("model.pt"));
        const QString next = folder.filePath(QStringLiteral("model.pt.tmp"));
        QVERIFY(writeFile(path, 2 << 20, 'o'));
        auto map = MappedFile::open(path);
        QVERIFY(map);
        QVERIFY(writeFile(next, 4096, 'n'));
        QVERIFY(::rename(QFile::encodeName(next).constData(), QFile::encodeName(path).constData()) == 0);  // torch.save's atomic way
        QCOMPARE(map.value()->data()[(2 << 20) - 1], 'o');
        QVERIFY(!map.value()->changedOnDisk());
        QCOMPARE(map.value()->sizeOnDisk(), qint64(2 << 20));  // the mapped file, not the path
    }

    // A checkpoint truncated after opening: reading a tensor that vanished is an error naming the
    // change, never a crash.
    void truncatedCheckpointTensorIsAnError()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows refuses to truncate or replace a mapped file: nothing to guard");
#endif
        QTemporaryDir folder;
        const QString path = folder.filePath(QStringLiteral("simple_cnn.pth"));
        QVERIFY(QFile::copy(QStringLiteral(STATELENS_TEST_DATA "/simple_cnn.pth"), path));
        auto opened = openCheckpoint(path);
        QVERIFY(opened);
        const Checkpoint& checkpoint = *opened.value();
        QVERIFY(QFile::resize(path, 1024));
        for (int storage = 0; storage < checkpoint.storages.size(); ++storage) {
            auto bytes = checkpoint.storageBytes(storage);
            if (!bytes)
                continue;  // found the record gone: already an error
            volatile char sink = 0;
            for (qint64 i = 0; i < bytes->size(); i += 512)
                sink = sink ^ bytes->data()[i];
            (void)sink;
        }
        QVERIFY(checkpoint.files.front().map->changedOnDisk());
    }
};

QTEST_GUILESS_MAIN(TestMappedFile)
#include "tst_mapped_file.moc"
