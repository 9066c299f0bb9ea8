# TANDEM_SANITIZE=ON instruments everything built here with ASan and UBSan; UBSan findings
# abort so a test fails instead of printing a warning nobody reads.
if(TANDEM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
