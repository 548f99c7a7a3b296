#include "core/base/mapped_file_guard.h"

#if defined(Q_OS_UNIX)
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#endif

namespace statelens::mapguard {

#if defined(Q_OS_UNIX)

namespace {

// A fixed table read by the signal handler without locks: a slot is live while `begin` is
// non-zero; writers publish `end` and `changed` before `begin`.
struct Slot {
    std::atomic<quintptr> begin{0};
    std::atomic<quintptr> end{0};
    std::atomic<std::atomic<bool>*> changed{nullptr};
};
constexpr int kSlots = 1024;
Slot g_slots[kSlots];
std::mutex g_registration;
struct sigaction g_previous;

void forwardToPrevious(int signal, siginfo_t* info, void* context)
{
    if (g_previous.sa_flags & SA_SIGINFO) {
        g_previous.sa_sigaction(signal, info, context);
        return;
    }
    if (g_previous.sa_handler == SIG_IGN)
        return;
    if (g_previous.sa_handler != SIG_DFL) {
        g_previous.sa_handler(signal);
        return;
    }
    // The default action: die as the process would have without us.
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

void onSigbus(int signal, siginfo_t* info, void* context)
{
    const quintptr address = quintptr(info->si_addr);
    const quintptr page = quintptr(::sysconf(_SC_PAGESIZE));
    for (Slot& slot : g_slots) {
        const quintptr begin = slot.begin.load(std::memory_order_acquire);
        if (begin == 0 || address < begin || address >= slot.end.load(std::memory_order_relaxed))
            continue;
        // Pages from the faulting one to the end of the map are all past the file's new end:
        // replace them at once with zeros (mmap is a plain system call, safe in a handler).
        const quintptr from = address & ~(page - 1);
        const quintptr to = (slot.end.load(std::memory_order_relaxed) + page - 1) & ~(page - 1);
        void* zeros = ::mmap(reinterpret_cast<void*>(from), size_t(to - from), PROT_READ,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (zeros == MAP_FAILED)
            break;
        if (std::atomic<bool>* changed = slot.changed.load(std::memory_order_relaxed))
            changed->store(true, std::memory_order_release);
        return;
    }
    forwardToPrevious(signal, info, context);
}

void installOnce()
{
    static std::once_flag installed;
    std::call_once(installed, [] {
        struct sigaction action = {};
        action.sa_sigaction = onSigbus;
        action.sa_flags = SA_SIGINFO;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGBUS, &action, &g_previous);
    });
}

}  // namespace

int registerRange(const char* begin, qint64 length, std::atomic<bool>* changed)
{
    if (!begin || length <= 0)
        return -1;
    installOnce();
    std::lock_guard<std::mutex> lock(g_registration);
    for (int i = 0; i < kSlots; ++i) {
        if (g_slots[i].begin.load(std::memory_order_relaxed) != 0)
            continue;
        g_slots[i].end.store(quintptr(begin) + quintptr(length), std::memory_order_relaxed);
        g_slots[i].changed.store(changed, std::memory_order_relaxed);
        g_slots[i].begin.store(quintptr(begin), std::memory_order_release);
        return i;
    }
    return -1;
}

void unregisterRange(int slot)
{
    if (slot < 0 || slot >= kSlots)
        return;
    std::lock_guard<std::mutex> lock(g_registration);
    g_slots[slot].begin.store(0, std::memory_order_release);
    g_slots[slot].changed.store(nullptr, std::memory_order_relaxed);
}

#else

int registerRange(const char*, qint64, std::atomic<bool>*) { return -1; }
void unregisterRange(int) {}

#endif

}  // namespace statelens::mapguard
