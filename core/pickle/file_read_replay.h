// A pickle as CPython's C unpickler before 3.13.15 / 3.14.7 reads it from a file object without
// peek() (io.BytesIO: torch.load of a zip reads data.pkl that way). There, FRAME loads exactly its
// announced bytes into the input buffer, and a read that needs more than the buffer still holds
// drops the rest of the frame and takes its bytes from the file after the frame
// (_Unpickler_ReadImpl, _Unpickler_Readline); only BINBYTES / BYTEARRAY8 payloads carry on
// linearly (_Unpickler_ReadInto). A pickle whose reads stay inside its frames reads the same as
// linearly; one that straddles a frame's end (fickling's frame boundary divergence) runs other
// opcodes, which this replay recovers: each opcode and its argument bytes as read, FRAMEs left out,
// as one linear pickle the global sweep can read.
#pragma once

#include <QByteArray>

#include <utility>
#include <vector>

namespace statelens {

struct FileReadReplay {
    QByteArray bytes;  // the opcodes in the order read, never longer than the input
    // (offset in `bytes`, offset in the input) of each opcode byte, ascending.
    std::vector<std::pair<qint64, qint64>> opcodes;
    bool reachedStop = false;  // false: the read ran out of data or met a byte that is no opcode

    // The input offset of the opcode at `offset` in `bytes` (-1 when none starts there).
    qint64 inputOffset(qint64 offset) const;
};

FileReadReplay replayAsFileUnpickler(const char* data, qint64 size);

}  // namespace statelens
