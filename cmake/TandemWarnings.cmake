# Warning flags for Tandem's own code, as an INTERFACE target every Tandem target links
# privately; third-party headers are not affected.
add_library(tandem_warnings INTERFACE)
add_library(tandem::warnings ALIAS tandem_warnings)
target_compile_options(tandem_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
if(TANDEM_WERROR)
  target_compile_options(tandem_warnings INTERFACE -Werror)
endif()
