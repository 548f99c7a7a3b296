// Whether a standard stream is an interactive terminal (progress bars only go to one).
#pragma once

#include <cstdio>

namespace statelens::cli {

bool isTerminal(std::FILE* stream);

}  // namespace statelens::cli
