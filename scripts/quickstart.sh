#!/usr/bin/env bash
# The main job on the embedded default model: install what the build needs, build medllm, and
# generate a story with stories260K (a real pretrained Llama-architecture model shipped in
# data/models/). Extra arguments go to `medllm generate`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target medllm
./build/src/medllm info --model data/models/stories260K/stories260K.gguf | head -12
echo
./build/src/medllm generate --model data/models/stories260K/stories260K.gguf --prompt "Once upon a time" \
  -n 200 --temp 0.8 --seed 42 "$@"
