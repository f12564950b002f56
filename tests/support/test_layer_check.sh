#!/bin/bash
# The layer rule (cmake/LayerCheck.cmake) refuses an upward include, naming the file and both
# layers, and accepts the real source tree.
set -u
cmake=$1 repo=$2 all_layers=$3  # all_layers: MEDLLM_LAYERS, ;-separated
. "$(dirname "$0")/checks.sh"
layers="core;kernels;formats;tokenizer;templating;model;runtime"
check_tree() { "$cmake" -DSRC="$1" "-DLAYERS=$layers" -P "$repo/cmake/LayerCheck.cmake" >"$work/out" 2>&1; }

mkdir -p "$work/src/core" "$work/src/model" "$work/src/tokenizer"
printf '#include "core/error.hpp"\n#include <vector>\n' >"$work/src/core/fine.cpp"
printf '#include "core/error.hpp"\n#include "core/utf8.hpp"\n#include <medllm/config.hpp>\n' \
  >"$work/src/model/fine.cpp"
check_tree "$work/src"
check "downward includes pass" test $? -eq 0

printf '#include "core/tensor.hpp"\n#include "model/weights.hpp"\n' >"$work/src/core/bad.cpp"
printf '#include <medllm/model.hpp>\n' >"$work/src/tokenizer/bad.hpp"
check_tree "$work/src"
check "an upward include fails" test $? -ne 0
check "the message names the file and both layers" \
  grep -q "core/bad.cpp (layer core) includes model/weights.hpp (layer model)" "$work/out"
check "a public header counts as its layer" \
  grep -q "tokenizer/bad.hpp (layer tokenizer) includes medllm/model.hpp (layer model)" "$work/out"
check "the good file is not listed" bash -c "! grep -q fine.cpp '$work/out'"

"$cmake" -DSRC="$repo/src" "-DLAYERS=$all_layers" -P "$repo/cmake/LayerCheck.cmake" >"$work/real" 2>&1
check "the real tree keeps the rule" test $? -eq 0
finish
