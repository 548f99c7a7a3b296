#include "core/pickle/pickle_opcodes.h"

namespace statelens {

namespace {

// Little-endian unsigned integer of 1, 2, 4 or 8 bytes.
quint64 readLittleEndian(const char* bytes, int width)
{
    switch (width) {
    case 1: return quint8(bytes[0]);
    case 2: return qFromLittleEndian<quint16>(bytes);
    case 4: return qFromLittleEndian<quint32>(bytes);
    default: return qFromLittleEndian<quint64>(bytes);
    }
}

// Whether `at` is where one of the opcode's reads ends and the next begins (Lib/pickle.py reads
// the opcode byte, then a fixed field, or a length and then the payload, or one line, or two): a
// frame may end there, and every unpickler reads on from the file alike.
bool isReadBoundary(const PickleOp& op, qint64 at)
{
    const OpcodeInfo& info = opcodeInfo(op.byte());
    if (at == op.offset + 1)
        return true;
    switch (info.layout) {
    case PickleArgLayout::Length: return at == op.argOffset;
    case PickleArgLayout::TwoLines: return at == op.lineBreak + 1;
    default: return false;
    }
}

}  // namespace

void PickleOpWalker::checkFrame(PickleOp* op)
{
    // A cut or unknown opcode ends the walk: the machine reports that instead.
    if (op->problem != PickleArgProblem::None)
        return;
    const qint64 end = m_position;
    if (m_frameEnd >= 0 && op->offset >= m_frameEnd)
        m_frameEnd = -1;  // the frame was used up exactly
    if (m_frameEnd >= 0 && end > m_frameEnd) {
        if (!isReadBoundary(*op, m_frameEnd)) {
            op->frameProblem = PickleFrameProblem::CrossesFrame;
            op->frameEnd = m_frameEnd;
        }
        m_frameEnd = -1;  // past it either way
    }
    if (op->opcode != Opcode::Frame)
        return;
    if (m_frameEnd >= 0 && end < m_frameEnd) {
        op->frameProblem = PickleFrameProblem::FrameReopened;
        op->frameEnd = m_frameEnd;
    }
    // A frame longer than the data is the machine's truncation error; here it ends with the data.
    m_frameEnd = op->value <= quint64(m_size - end) ? end + qint64(op->value) : m_size;
}

// next() has filled in the opcode, its offset and an empty argument; this measures the argument
// of every layout next() does not finish itself, and every argument that runs past the end.
void PickleOpWalker::readArgument(PickleOp* op, pickle_detail::WalkRow row)
{
    const char* const data = m_data;
    const qint64 size = m_size;
    const qint64 start = op->offset + 1;
    const qint64 left = size - start;  // >= 0
    PickleOp& out = *op;
    qint64 end = start;
    auto cut = [&](PickleArgProblem problem, qint64 argLength) {
        out.problem = problem;
        out.argLength = argLength;
        end = size;
    };
    switch (row.step) {
    case pickle_detail::WalkStep::None:
        break;
    case pickle_detail::WalkStep::Unknown:
        out.problem = PickleArgProblem::UnknownOpcode;
        break;
    case pickle_detail::WalkStep::Fixed:
    case pickle_detail::WalkStep::FixedBigEndian:
        if (Q_UNLIKELY(left < row.width)) {
            cut(PickleArgProblem::FieldCut, left);
            break;
        }
        out.value = row.step == pickle_detail::WalkStep::FixedBigEndian ? qFromBigEndian<quint64>(data + start)
                                                                         : readLittleEndian(data + start, row.width);
        out.argLength = row.width;
        end = start + row.width;
        break;
    case pickle_detail::WalkStep::Length:
    case pickle_detail::WalkStep::SignedLength: {
        if (Q_UNLIKELY(left < row.width)) {  // the length prefix itself is cut
            cut(PickleArgProblem::FieldCut, 0);
            break;
        }
        const quint64 length = readLittleEndian(data + start, row.width);
        out.value = length;
        out.argOffset = start + row.width;
        const qint64 payloadLeft = left - row.width;
        if (Q_UNLIKELY(row.step == pickle_detail::WalkStep::SignedLength && qint32(quint32(length)) < 0)) {
            cut(PickleArgProblem::NegativeLength, payloadLeft);
            break;
        }
        // Compared unsigned: a claim of 2^63 bytes and more never becomes a negative size.
        if (Q_UNLIKELY(length > quint64(payloadLeft))) {
            cut(PickleArgProblem::PayloadCut, payloadLeft);
            break;
        }
        out.argLength = qint64(length);
        end = out.argOffset + out.argLength;
        break;
    }
    case pickle_detail::WalkStep::Line:
    case pickle_detail::WalkStep::TwoLines: {
        out.lineBreak = -1;
        const void* found = left > 0 ? std::memchr(data + start, '\n', size_t(left)) : nullptr;
        if (!found) {
            cut(PickleArgProblem::NoNewline, left);
            break;
        }
        const qint64 firstBreak = static_cast<const char*>(found) - data;
        if (row.step == pickle_detail::WalkStep::Line) {
            out.argLength = firstBreak - start;
            end = firstBreak + 1;
            break;
        }
        out.lineBreak = firstBreak;
        const qint64 secondLeft = size - (firstBreak + 1);
        const void* second = secondLeft > 0 ? std::memchr(data + firstBreak + 1, '\n', size_t(secondLeft)) : nullptr;
        if (!second) {
            cut(PickleArgProblem::NoNewline, size - start);
            break;
        }
        const qint64 secondBreak = static_cast<const char*>(second) - data;
        out.argLength = secondBreak - start;
        end = secondBreak + 1;
        break;
    }
    }
    m_position = end;
}

}  // namespace statelens
