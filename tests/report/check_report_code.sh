#!/usr/bin/env bash
# HTML lives in report/ only: every report page takes its stylesheet from report/page.cpp, and
# core/ holds no HTML or SVG code. (That no lower layer includes report/ is the build's layer
# rule, cmake/LayerCheck.cmake, tested by build.layer_check.)
# Usage: check_report_code.sh SRC_DIR
set -u
src=$1
. "$(dirname "$0")/../support/checks.sh"

check "one <style> element in the C++ sources: report/page.cpp's" \
  test "$(grep -rl --include='*.cpp' '<style' "$src")" = "$src/report/page.cpp"
check "core/ holds no HTML or SVG code" bash -c "! grep -rlE '<svg|<html|html_escape' '$src/core'"
check "core/ has no svg_chart or html_text" bash -c "! ls '$src/core' | grep -qE 'svg_chart|html_text'"
finish
