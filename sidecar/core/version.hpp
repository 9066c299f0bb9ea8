// The project version, set once in the top-level CMakeLists.txt.
#pragma once

#include <string_view>

namespace tandem::core {

#ifndef TANDEM_VERSION
#error "TANDEM_VERSION must be defined by the build"
#endif

inline constexpr std::string_view version = TANDEM_VERSION;

}  // namespace tandem::core
