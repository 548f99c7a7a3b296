// Whether a standard stream is an interactive terminal (progress bars only go to one), and the
// progress bar the computing verbs draw there.
#pragma once

#include <QElapsedTimer>
#include <QtGlobal>

#include <cstdio>

namespace statelens::cli {

bool isTerminal(std::FILE* stream);

// "[#######-------------]  35%  1.2 GiB of 3.4 GiB", redrawn in place on stderr; nothing for
// runs shorter than 200 ms or when disabled (stderr not a terminal).
class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : m_enabled(enabled) { m_clock.start(); }
    void update(qint64 done, qint64 total);
    void clear();

private:
    bool m_enabled;
    bool m_drawn = false;
    QElapsedTimer m_clock;
};

}  // namespace statelens::cli
