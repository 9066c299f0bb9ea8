# Warning flags for Tandem's own code, as an INTERFACE target every Tandem target links
# privately; third-party headers are not affected.
add_library(tandem_warnings INTERFACE)
add_library(tandem::warnings ALIAS tandem_warnings)
target_compile_options(tandem_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
if(TANDEM_WERROR)
  target_compile_options(tandem_warnings INTERFACE -Werror)
endif()
# GCC 12 reports a false -Wmismatched-new-delete inside Boost.Asio's coroutine frames
# (awaitable_frame_base's own operator new/delete are paired correctly); it depends on inlining
# decisions, so it comes and goes with unrelated edits. Keep it a warning, never an error.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(tandem_warnings INTERFACE -Wno-error=mismatched-new-delete)
endif()
