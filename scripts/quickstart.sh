#!/usr/bin/env bash
# The main job on the embedded default: install what the build needs, build medllm, and run
# recipes/quickstart.toml — stories260K (a real pretrained Llama-architecture model shipped in
# data/models/) measured on held-out MedQuAD text, MedQA and a sample answer, trained further on
# MedQuAD, and measured again, with an HTML report and the adapted model in runs/quickstart/.
# Extra arguments go to `medllm pipeline` (for example --max-steps 100 or --seed 7).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target medllm
./build/src/medllm pipeline --recipe recipes/quickstart.toml "$@"
