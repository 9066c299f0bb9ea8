# TANDEM_SANITIZE=ON instruments everything built here with ASan and UBSan; UBSan findings
# abort so a test fails instead of printing a warning nobody reads.
if(TANDEM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# TANDEM_FUZZ=ON (clang): every library gets libFuzzer's coverage instrumentation plus ASan and
# UBSan, so a fuzz target stops at the first memory error or undefined behaviour it reaches.
if(TANDEM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TANDEM_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# TANDEM_TSAN=ON: ThreadSanitizer for the multi-threaded end-to-end subset (scripts/tsan.sh).
if(TANDEM_TSAN)
  if(TANDEM_SANITIZE OR TANDEM_FUZZ)
    message(FATAL_ERROR "TANDEM_TSAN cannot be combined with ASan (TANDEM_SANITIZE, TANDEM_FUZZ)")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
