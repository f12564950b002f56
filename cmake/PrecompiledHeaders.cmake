# Precompiled headers: nearly every source includes the standard library, fmt and nlohmann/json,
# whose parsing was about half of each file's compile time (160k preprocessed lines for a CLI
# command). One header is precompiled per flag set and reused by every target with those flags,
# so a clean build (and CI, which builds three times) parses them once per set, not once per file.
option(MEDLLM_PCH "Precompile the standard, fmt and nlohmann/json headers" ON)
# GCC uses a shared header when a target merely adds macros the header never reads (the serve
# layer's CPPHTTPLIB_* flags); clang validates command-line macros against the header more
# strictly, so clang builds (the fuzzers) do without it rather than risk a refused header.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(MEDLLM_PCH OFF)
endif()

set(MEDLLM_PCH_HEADERS
  <algorithm> <array> <chrono> <cmath> <cstdint> <cstdio> <cstring> <filesystem> <fstream>
  <functional> <map> <memory> <optional> <random> <set> <span> <sstream> <string> <string_view>
  <unordered_map> <utility> <vector> <fmt/format.h> <fmt/ranges.h> <nlohmann/json.hpp>)

# medllm_pch_owner(TARGET [EXTRA_HEADERS...]): TARGET compiles the precompiled header that
# medllm_pch_reuse targets share. The extra headers (gtest for the tests) join the shared set.
function(medllm_pch_owner target)
  if(MEDLLM_PCH)
    target_precompile_headers(${target} PRIVATE ${MEDLLM_PCH_HEADERS} ${ARGN})
    # GCC silently falls back to parsing when a flag differs; say so instead.
    target_compile_options(${target} PRIVATE -Winvalid-pch)
  endif()
endfunction()

# medllm_pch_reuse(OWNER TARGET...): each TARGET, built with OWNER's compile flags, reuses its
# precompiled header.
function(medllm_pch_reuse owner)
  if(MEDLLM_PCH)
    foreach(target IN LISTS ARGN)
      target_precompile_headers(${target} REUSE_FROM ${owner})
      target_compile_options(${target} PRIVATE -Winvalid-pch)
    endforeach()
  endif()
endfunction()
