#!/usr/bin/env bash
# Builds medllm in Release (portable: x86-64-v3, AVX-512 kernels chosen at run time, the project
# default) and runs the inference benchmark with its defaults: f32 and bf16, 1 and 2 threads,
# 5 repetitions, medians reported.
# The table goes to stdout and every figure to bench/results/inference-<UTC date>.json.
#
# To reproduce the figures in docs/performance.md, on a machine with nothing else running:
#   bash bench/run_inference.sh
# Extra arguments go to the benchmark, e.g. `bash bench/run_inference.sh --reps 9 --threads 1`.
# BUILD_DIR (default build-bench) picks the build tree; the random models are written once to
# $BUILD_DIR/bench-models (about 800 MB) and reused.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$repo/build-bench}"
results="$repo/bench/results"

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMEDLLM_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target medllm_bench_inference

mkdir -p "$results"
json="$results/inference-$(date -u +%Y-%m-%dT%H%M%SZ).json"
"$build/bench/medllm_bench_inference" --json "$json" "$@"
