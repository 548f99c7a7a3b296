// The SIGBUS guard behind MappedFile: a read past the end of a file that shrank after it was
// mapped gets zero pages instead of killing the process, and the map is marked as changed.
// POSIX only (Linux, macOS); elsewhere the functions do nothing.
#pragma once

#include <QtGlobal>

#include <atomic>

namespace statelens::mapguard {

// Registers [begin, begin + length); `changed` is set when a fault lands in it. Returns a slot
// for unregister(), or -1 when the table is full (the map then works unguarded, as before).
int registerRange(const char* begin, qint64 length, std::atomic<bool>* changed);
void unregisterRange(int slot);

}  // namespace statelens::mapguard
