# Fails when a file of the pure core reaches any header but its own and the standard library's:
# no Boost, libpq, hiredis, msgpack, spdlog, OpenSSL, JSON, and no other sidecar layer. It asks
# the compiler for each file's full include graph (-M), so a relative path ("../layer/x.hpp"),
# a header reached through a directory prefix (<postgresql/libpq-fe.h>) or through a macro, or
# a transitive include cannot slip past as it could past a text search.
#
# "The standard library" is measured, not listed: the headers a probe file including every
# C++ standard header reaches with the same compiler. A few standard headers are refused on top
# (threads, files, consoles, randomness): the core is deterministic and does no I/O.
#
# Run as: cmake -DCXX=<compiler> -DFLAGS=<response file> -DCORE_DIR=<dir> -P CheckCoreIncludes.cmake
# FLAGS holds the core target's include root (only the core is under it) and definitions.
cmake_minimum_required(VERSION 3.20)  # file(REAL_PATH), IN_LIST
foreach(var CXX FLAGS CORE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "CheckCoreIncludes: ${var} is not set")
  endif()
endforeach()
set(refused_standard thread mutex shared_mutex condition_variable future stop_token iostream fstream filesystem
                     random)

# Dependencies of one translation unit, as real paths.
function(dependencies_of source out_var ok_var)
  execute_process(
    COMMAND "${CXX}" -std=c++20 -M "@${FLAGS}" -x c++ "${source}"
    RESULT_VARIABLE status
    OUTPUT_VARIABLE made
    ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    set(${out_var} "${errors}" PARENT_SCOPE)
    set(${ok_var} FALSE PARENT_SCOPE)
    return()
  endif()
  string(REGEX REPLACE "^[^:]*:" "" made "${made}")  # drop the make target
  string(REPLACE "\\\n" " " made "${made}")
  string(REGEX REPLACE "[ \t\n]+" ";" made "${made}")
  set(paths "")
  foreach(path IN LISTS made)
    if(path STREQUAL "")
      continue()
    endif()
    file(REAL_PATH "${path}" real)
    list(APPEND paths "${real}")
  endforeach()
  set(${out_var} "${paths}" PARENT_SCOPE)
  set(${ok_var} TRUE PARENT_SCOPE)
endfunction()

# The probe: every C++20 standard library header.
set(standard_headers
    algorithm any array atomic barrier bit bitset charconv chrono codecvt compare complex concepts
    condition_variable coroutine deque exception execution filesystem forward_list fstream functional future
    initializer_list iomanip ios iosfwd iostream istream iterator latch limits list locale map memory
    memory_resource mutex new numbers numeric optional ostream queue random ranges ratio regex scoped_allocator
    semaphore set shared_mutex source_location span sstream stack stdexcept stop_token streambuf string
    string_view syncstream system_error thread tuple type_traits typeindex typeinfo unordered_map unordered_set
    utility valarray variant vector version cassert cctype cerrno cfenv cfloat cinttypes climits clocale cmath
    csetjmp csignal cstdarg cstddef cstdint cstdio cstdlib cstring ctime cuchar cwchar cwctype)
string(RANDOM LENGTH 8 tag)
set(probe "${CMAKE_CURRENT_BINARY_DIR}/core_includes_probe_${tag}.cpp")
set(text "")
foreach(header IN LISTS standard_headers)
  string(APPEND text "#include <${header}>\n")
endforeach()
file(WRITE "${probe}" "${text}")
dependencies_of("${probe}" standard ok)
file(REMOVE "${probe}")
if(NOT ok)
  message(FATAL_ERROR "CheckCoreIncludes: the standard library probe does not compile:\n${standard}")
endif()
list(REMOVE_ITEM standard "${probe}")

# The refused standard headers, as the probe's compiler resolved them.
set(refused "")
foreach(path IN LISTS standard)
  get_filename_component(name "${path}" NAME)
  if(name IN_LIST refused_standard)
    list(APPEND refused "${path}")
  endif()
endforeach()

file(REAL_PATH "${CORE_DIR}" core_real)
file(GLOB core_files "${CORE_DIR}/*.hpp" "${CORE_DIR}/*.cpp")
set(failures "")
set(impure 0)
foreach(file IN LISTS core_files)
  dependencies_of("${file}" deps ok)
  if(NOT ok)
    math(EXPR impure "${impure} + 1")
    list(APPEND failures "${file}: does not preprocess with only the core's include root:\n${deps}")
    continue()
  endif()
  set(outside "")
  foreach(dep IN LISTS deps)
    string(FIND "${dep}" "${core_real}/" in_core)
    if(in_core EQUAL 0 AND NOT dep IN_LIST refused)
      continue()
    endif()
    if(dep IN_LIST standard AND NOT dep IN_LIST refused)
      continue()
    endif()
    list(APPEND outside "${dep}")
  endforeach()
  if(outside)
    math(EXPR impure "${impure} + 1")
    list(JOIN outside "\n    " shown)
    list(APPEND failures "${file} reaches:\n    ${shown}")
  endif()
endforeach()

# A clock read is the one impurity an include graph cannot show (<chrono> is needed for
# durations), so it stays a text rule: time enters the core as a parameter.
set(clock_reads "system_clock::now" "steady_clock::now" "time(nullptr)")
foreach(file IN LISTS core_files)
  file(READ "${file}" text)
  foreach(needle IN LISTS clock_reads)
    string(FIND "${text}" "${needle}" at)
    if(NOT at EQUAL -1)
      math(EXPR impure "${impure} + 1")
      list(APPEND failures "${file}: reads the clock (${needle})")
    endif()
  endforeach()
endforeach()

list(LENGTH core_files count)
message("core purity: ${impure} of ${count} files reach outside the core and the standard library")
if(failures)
  list(JOIN failures "\n  " report)
  message(FATAL_ERROR "the core must stay pure, but:\n  ${report}")
endif()
