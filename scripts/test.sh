#!/usr/bin/env bash
# The test suite: unit tests, PyTorch parity tests and CLI end-to-end tests on an optimised
# build; then the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer; then
# each libFuzzer target for a bounded time.
# Usage: bash scripts/test.sh [--quick]   (--quick: the optimised build's tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)

bash scripts/install-deps.sh

echo "== build (Release) and test"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure -j "$jobs"
[ "$quick" -eq 1 ] && exit 0

echo "== build with AddressSanitizer + UndefinedBehaviorSanitizer and test"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEDLLM_SANITIZE=ON -DMEDLLM_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzz (libFuzzer, ${MEDLLM_FUZZ_SECONDS:-30} s per target)"
bash fuzz/run.sh "${MEDLLM_FUZZ_SECONDS:-30}" build-fuzz build/reference
