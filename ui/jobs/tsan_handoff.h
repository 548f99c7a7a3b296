// ThreadSanitizer cannot see the ordering that Qt's event queue and thread pool provide: their
// locks and atomics live in Debian's uninstrumented Qt, so every hand-over of a job or a queued
// call to another thread reads as a race (in our frames, where no Qt-only suppression reaches).
// Under TSan, TsanHandoff::sync() takes a mutex that TSan does see at the same points, making the
// same happens-before visible; in every other build it is empty and costs nothing.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define STATELENS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STATELENS_TSAN 1
#endif
#endif

#ifdef STATELENS_TSAN
#include <mutex>
#endif

namespace statelens::ui {

struct TsanHandoff {
#ifdef STATELENS_TSAN
    static void sync()
    {
        static std::mutex mutex;
        std::lock_guard<std::mutex> lock(mutex);
    }
    TsanHandoff() = default;
    TsanHandoff(const TsanHandoff&) { sync(); }
    TsanHandoff(TsanHandoff&&) noexcept { sync(); }
    TsanHandoff& operator=(const TsanHandoff&) = default;
    ~TsanHandoff() { sync(); }
#else
    static void sync() {}
#endif
};

}  // namespace statelens::ui
