# Turns a file into a C++ function returning its bytes, so assets (the web UI) are built into the
# binary. cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=name -P EmbedFile.cmake
file(READ "${INPUT}" content HEX)
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
