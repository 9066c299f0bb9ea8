# Fails when a file of the pure core includes an I/O library or another sidecar layer: the core
# is shared with the Python module and must stay free of Boost, sockets and clocks.
# Run as: cmake -DCORE_DIR=<sidecar/core> -P CheckCorePurity.cmake
file(GLOB core_files "${CORE_DIR}/*.hpp" "${CORE_DIR}/*.cpp")
set(forbidden "<boost/" "<hiredis" "<libpq" "<msgpack" "<spdlog" "<fmt/" "<asio" "<thread>" "<fstream>"
              "<iostream>" "<random>" "\"layer/" "\"store/" "\"net/" "\"app/" "\"auth/" "\"ops/")
set(clock_reads "system_clock::now" "steady_clock::now" "time(nullptr)")
set(failures "")
foreach(file IN LISTS core_files)
  file(READ "${file}" text)
  foreach(needle IN LISTS forbidden clock_reads)
    string(FIND "${text}" "${needle}" at)
    if(NOT at EQUAL -1)
      list(APPEND failures "${file}: ${needle}")
    endif()
  endforeach()
endforeach()
if(failures)
  list(JOIN failures "\n  " report)
  message(FATAL_ERROR "the core must stay pure, but:\n  ${report}")
endif()
list(LENGTH core_files count)
message(STATUS "core is pure: ${count} files checked")
