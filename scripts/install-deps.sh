#!/usr/bin/env bash
# Installs the Debian 12 packages medllm needs to build and test.
# Usage: bash scripts/install-deps.sh   (uses sudo when not run as root)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev          # libFuzzer + sanitizer builds
  libopenblas-dev                   # f32 GEMM for prefill and training
  libpcre2-dev libicu-dev           # tokenizer regexes and Unicode normalization
  nlohmann-json3-dev libcli11-dev libfmt-dev
  libtomlplusplus-dev               # TOML recipes (medllm pipeline)
  libcpp-httplib-dev                # HTTP server (medllm serve)
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-numpy       # independent numeric reference for tests
  python3-sentencepiece             # reference SentencePiece encoder for tokenizer tests
  python3-sklearn                   # Cohen's kappa as JMED-LLM computes it (tests)
  chromium chromium-driver          # the web UI's browser test (headless, via playwright-core)
  libjs-marked node-dompurify       # Markdown rendering + sanitising, inlined into the web page
)

# Node.js runs the npm reference implementations in the tests; any Node >= 18 will do (Debian 12
# ships 18), so a Node already on the machine is kept.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
