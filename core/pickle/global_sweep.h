// The globals a pickle stream names, found by reading its opcodes one after another without
// running anything, as pickletools-based scanners do (picklescan's _list_globals). GLOBAL and
// INST carry their names on their lines; STACK_GLOBAL takes its module and name from the two
// values pushed before it, known when they are string literals or memo entries that hold one.
//
// The pickle machine reaches what CPython would reach, but stops at the first error, and it is
// stricter than CPython in places (BUILD on a module). The sweep is for the bytes it could not
// run: past an error, in the stream as another unpickler reads it, after a STOP.
#pragma once

#include "core/model/checkpoint.h"

#include <QString>
#include <QVector>

namespace statelens {

struct SweptGlobal {
    QString name;      // "module.name" as find_class looks it up; a part known only at run time is "?"
    qint64 offset = 0; // of the GLOBAL / INST / STACK_GLOBAL opcode
};

struct SweepOptions {
    // Names are reported from this byte on; the walk itself starts at byte 0, where the memo and
    // the protocol (Python 2 names) begin.
    qint64 from = 0;
    // Go on past STOP with a fresh memo: bytes after a pickle's end may hold another pickle.
    bool acrossStops = false;
    int maxNames = 64;  // each name once, the first `maxNames` of them
    // How many levels of pickles held in bytes literals (a pickle.loads argument) are swept too;
    // their names are reported at the offset of the opcode inside the literal, from `data`.
    int nestedLevels = 0;
};

// Whether BYTES, a bytes literal's content, begins as a binary pickle does (PROTO 0..5).
bool looksLikeBinaryPickle(QByteArrayView bytes);

QVector<SweptGlobal> sweepGlobals(const char* data, qint64 size, const SweepOptions& options = {});

// Records in checkpoint.otherReadings the swept globals its own reading did not list (once per
// kind and name), and those outside the allow list in checkpoint.unsafeGlobals too. In TorchScript
// archives `__torch__` classes are the archive's own code. Returns how many were new.
int addOtherReadings(Checkpoint& checkpoint, OtherReading::Kind kind, const QString& pickle, qint64 baseOffset,
                     const QVector<SweptGlobal>& swept, bool torchScript = false);

}  // namespace statelens
