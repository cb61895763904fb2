# The loader's parser fuzzer (libFuzzer; clang only). Include this from
# tests/security/CMakeLists.txt:  include(${CMAKE_CURRENT_SOURCE_DIR}/fuzz_elf.cmake)
# and configure with -DCMAKE_C_COMPILER=clang -DSENTRY_FUZZ=ON. It is not a
# ctest test (it runs until stopped): run build/tests/security/fuzz_elf DIR.
option(SENTRY_FUZZ "Build libFuzzer harnesses (needs clang)" OFF)
if(SENTRY_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SENTRY_FUZZ=ON needs clang (-fsanitize=fuzzer)")
  endif()
  add_executable(fuzz_elf ${CMAKE_CURRENT_LIST_DIR}/fuzz_elf.c
                 ${CMAKE_SOURCE_DIR}/loader/elf.c ${CMAKE_SOURCE_DIR}/loader/shebang.c)
  target_include_directories(fuzz_elf PRIVATE ${CMAKE_SOURCE_DIR}/loader
                             ${CMAKE_SOURCE_DIR}/sentry ${CMAKE_SOURCE_DIR})
  target_compile_options(fuzz_elf PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_elf PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_elf PRIVATE PkgConfig::LIBELF)
endif()
