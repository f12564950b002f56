#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (+ ASan/UBSan), unless BUILD_DIR has them, and runs each for a bounded time on
# seeds from fuzz/make_seeds.py. Any crash, leak, sanitizer report or timeout fails the run.
# Usage: bash fuzz/run.sh [SECONDS_PER_TARGET=60] [BUILD_DIR=build-fuzz] [REFERENCE_DIR]
set -euo pipefail
seconds=${1:-60}
build=${2:-build-fuzz}
reference=${3:-build/reference}
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# A build folder configured for fuzzing already (CI's sanitizer build, which also holds the tests)
# is used as it is; otherwise one is configured with the fuzz targets alone.
if ! grep -q "^MEDLLM_FUZZ:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEDLLM_FUZZ=ON \
    -DMEDLLM_SANITIZE=ON -DMEDLLM_BUILD_TESTS=OFF -DMEDLLM_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target fuzz_safetensors fuzz_gguf fuzz_config fuzz_jinja fuzz_sentencepiece fuzz_tokenizer_json fuzz_csv fuzz_dataset fuzz_openai_request

seeds="$build/fuzz-seeds"
rm -rf "$seeds"
/usr/bin/python3 fuzz/make_seeds.py "$seeds" "$reference"

for target in safetensors gguf config sentencepiece jinja tokenizer_json csv dataset openai_request; do
  corpus="$build/fuzz-corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz_$target: ${seconds}s"
  dict=()
  [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")
  "$build/fuzz/fuzz_$target" "$corpus" "$seeds/$target" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/fuzz-crash-$target-" \
    2>"$build/fuzz-$target.log" || { tail -50 "$build/fuzz-$target.log"; exit 1; }
  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb" "$build/fuzz-$target.log" | sed "s/^/  /"
done
echo "fuzzing finished without findings"
