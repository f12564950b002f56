# Turns a file into a C++ function returning its bytes, so assets (the web UI) are built into the
# binary. cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=name [-DINLINE=name=path,name=path] -P EmbedFile.cmake
#
# INLINE pastes files into the input first: each placeholder /*@inline:name@*/ (which must occur exactly
# once) is replaced by that file's contents. It is meant for scripts inlined into the page's <script>
# elements (the server's Content-Security-Policy allows inline scripts only), so a file that contains
# "<script" or "</script" — which would end or confuse the element — is refused. OUTPUT_HTML, if
# given, receives the combined text too (for looking at the page without the server).
if(DEFINED INLINE AND NOT INLINE STREQUAL "")
  file(READ "${INPUT}" text)
  string(REPLACE "," ";" inlines "${INLINE}")
  foreach(entry IN LISTS inlines)
    string(FIND "${entry}" "=" at)
    string(SUBSTRING "${entry}" 0 ${at} name)
    math(EXPR from "${at} + 1")
    string(SUBSTRING "${entry}" ${from} -1 path)
    set(placeholder "/*@inline:${name}@*/")
    if(NOT EXISTS "${path}")
      message(FATAL_ERROR "EmbedFile: ${path} (to inline as '${name}' into ${INPUT}) does not exist")
    endif()
    file(READ "${path}" piece)
    string(TOLOWER "${piece}" lower)
    string(FIND "${lower}" "<script" opening)
    string(FIND "${lower}" "</script" closing)
    if(NOT opening EQUAL -1 OR NOT closing EQUAL -1)
      message(FATAL_ERROR "EmbedFile: ${path} contains '<script' or '</script', so it cannot be inlined into a "
                          "<script> element of ${INPUT} as it is")
    endif()
    string(FIND "${text}" "${placeholder}" first)
    string(FIND "${text}" "${placeholder}" last REVERSE)
    if(first EQUAL -1 OR NOT first EQUAL last)
      message(FATAL_ERROR "EmbedFile: ${INPUT} must contain the placeholder ${placeholder} exactly once")
    endif()
    string(REPLACE "${placeholder}" "${piece}" text "${text}")
  endforeach()
  string(FIND "${text}" "/*@inline:" left)
  if(NOT left EQUAL -1)
    message(FATAL_ERROR "EmbedFile: ${INPUT} has a /*@inline:...@*/ placeholder that INLINE does not name")
  endif()
  if(DEFINED OUTPUT_HTML)
    file(WRITE "${OUTPUT_HTML}" "${text}")
  endif()
  string(HEX "${text}" content)
else()
  file(READ "${INPUT}" content HEX)
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by cmake/EmbedFile.cmake; edit that file instead.
#include <string_view>
namespace medllm::serve {
namespace {
const unsigned char kData[] = {${bytes}};
}  // namespace
std::string_view ${SYMBOL}() { return {reinterpret_cast<const char*>(kData), sizeof(kData)}; }
}  // namespace medllm::serve
")
