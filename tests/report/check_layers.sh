#!/usr/bin/env bash
# report/ sits above eval/ and train/ (../shared/DESIGN.md, "Layers"): no layer below it includes
# a report/ header, every report page takes its stylesheet from report/page.cpp, and core/ holds
# no HTML or SVG code. The build does not enforce the layers yet, so this test does.
# Usage: check_layers.sh SRC_DIR
set -u
src=$1
. "$(dirname "$0")/../support/checks.sh"

for layer in core kernels formats tokenizer templating model runtime data train eval; do
  [ -d "$src/$layer" ] || continue
  check "$layer/ includes no report/ header" bash -c "! grep -rn '#include \"report/' '$src/$layer'"
done
check "one <style> element in the C++ sources: report/page.cpp's" \
  test "$(grep -rl --include='*.cpp' '<style' "$src")" = "$src/report/page.cpp"
check "core/ holds no HTML or SVG code" bash -c "! grep -rlE '<svg|<html|html_escape' '$src/core'"
check "core/ has no svg_chart or html_text" bash -c "! ls '$src/core' | grep -qE 'svg_chart|html_text'"
finish
