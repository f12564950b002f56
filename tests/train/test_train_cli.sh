#!/usr/bin/env bash
# medllm data prepare + train end to end on the real stories260K model and MedQuAD:
#   - continued pretraining lowers held-out perplexity by at least MIN_PPL_FACTOR;
#   - a run killed with SIGKILL at a random step and resumed (with another thread count and
#     activation recomputation) reproduces the uninterrupted run's losses exactly; a run killed in the middle of writing a checkpoint leaves the previous
#     checkpoint as the latest and it resumes to the same losses;
#   - NaN/inf stops training with a clear message and the checkpoint intact;
#   - LoRA SFT on MedQuAD question/answer pairs lowers held-out SFT loss;
#   - bad settings are errors naming the field.
# Usage: test_train_cli.sh MEDLLM_BINARY REPO_DIR SHARED_DATA_DIR
set -u
medllm=$1 repo=$2 shared=$3
stories="$repo/data/models/stories260K/stories260K.gguf"
medquad="$shared/corpus/medquad_en_qa.jsonl"
. "$(dirname "$0")/../support/checks.sh"
MIN_PPL_FACTOR=1.5
losses() {  # the training losses of a metrics.jsonl, one per line, full precision
  /usr/bin/python3 -c "
import json, sys
for line in open(sys.argv[1]):
    row = json.loads(line)
    if 'loss' in row: print(row['step'], repr(row['loss']), repr(row['grad_norm']))" "$1"
}

"$medllm" data prepare -m "$stories" -i "$medquad" -o "$work/cpt" --text-template $'Question: {question}\nAnswer: {answer}' \
  --valid-fraction 0.05 >"$work/prepare.json" 2>"$work/prepare.err"
check "data prepare succeeds" test -f "$work/cpt/train-00000.mlds" -a -f "$work/cpt/valid-00000.mlds"
check "data prepare reports duplicates" grep -q '"duplicates": 48' "$work/prepare.json"

train=(train -m "$stories" --data "$work/cpt" --max-steps 24 --max-seq-length 128 --per-device-train-batch-size 8
  --learning-rate 3e-3 --lr-scheduler-type cosine --warmup-steps 3 --weight-decay 0.01 --save-steps 3
  --save-total-limit 3 --max-eval-samples 32 --logging-steps 8 --threads 2 --seed 7)

# 1. The uninterrupted reference run, evaluated before and after.
"$medllm" "${train[@]}" --output-dir "$work/ref" --eval-on-start true >"$work/ref.out" 2>"$work/ref.err"
check "reference run succeeds" test -f "$work/ref/train_results.json"
check "held-out perplexity falls by ${MIN_PPL_FACTOR}x" /usr/bin/python3 - "$work/ref/train_results.json" "$MIN_PPL_FACTOR" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
before, after = math.exp(r["initial_eval_loss"]), math.exp(r["eval_loss"])
print(f"held-out perplexity {before:.2f} -> {after:.2f} ({before / after:.2f}x)")
sys.exit(0 if before / after >= float(sys.argv[2]) else 1)
PY
check "progress shows tokens/s and ETA" grep -q "tok/s, ETA" "$work/ref.err"
check "report has curves" grep -q "<svg" "$work/ref/training_report.html"
check "only the last 3 checkpoints are kept" test "$(ls -d "$work"/ref/checkpoint-* | wc -l)" -eq 3

# 2. SIGKILL at a random step, then --resume.
kill_at=$((5 + RANDOM % 15))
"$medllm" "${train[@]}" --output-dir "$work/killed" --eval-on-start true >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
  steps=$(grep -c '"loss"' "$work/killed/metrics.jsonl" 2>/dev/null) || true
  [ "${steps:-0}" -ge "$kill_at" ] && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
echo "killed at step $(grep -c '"loss"' "$work/killed/metrics.jsonl") (target $kill_at)"
# resumed on 1 thread with activation recomputation: neither may change a single bit
"$medllm" "${train[@]}" --output-dir "$work/killed" --eval-on-start true --resume --threads 1 \
  --gradient-checkpointing true >/dev/null 2>"$work/resume.err"
check "resume says where it continues" grep -q "resumed from .*checkpoint-" "$work/resume.err"
check "killed+resumed losses equal the uninterrupted run" cmp -s <(losses "$work/ref/metrics.jsonl") \
  <(losses "$work/killed/metrics.jsonl")
check "final weights equal" cmp -s "$work/ref/checkpoint-24/model.safetensors" "$work/killed/checkpoint-24/model.safetensors"

# Resuming the finished run evaluates the final model again without a second final eval row.
"$medllm" "${train[@]}" --output-dir "$work/killed" --eval-on-start true --resume >/dev/null 2>&1
check "resuming a finished run keeps one final eval row" /usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in open('$work/killed/metrics.jsonl')]
sys.exit(0 if sum(1 for r in rows if 'eval_loss' in r and r['step'] == 24) == 1 else 1)"
check "resuming a finished run keeps the losses" cmp -s <(losses "$work/ref/metrics.jsonl") \
  <(losses "$work/killed/metrics.jsonl")

# 3. Killed while writing a checkpoint: the previous one stays the latest and resumes exactly.
"$medllm" "${train[@]}" --output-dir "$work/torn" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 3000); do [ -d "$work/torn/checkpoint-6" ] && break; sleep 0.05; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
MEDLLM_FAULT=checkpoint-write "$medllm" "${train[@]}" --output-dir "$work/torn" --resume >/dev/null 2>&1
check "the torn write died" test $? -eq 137
check "a torn checkpoint is never the latest" test -z "$(ls -d "$work"/torn/checkpoint-* | sort -t- -k2 -n | tail -1 |
  xargs -I{} sh -c 'test -f {}/trainer_state.json && test -f {}/optimizer.safetensors || echo bad')"
"$medllm" "${train[@]}" --output-dir "$work/torn" --resume >/dev/null 2>&1
check "resume after a torn write reproduces the losses" cmp -s <(losses "$work/ref/metrics.jsonl") \
  <(losses "$work/torn/metrics.jsonl")

# 3b. SIGTERM (as Ctrl-C's SIGINT): the run saves a checkpoint where it is, says how to resume, exits 130,
# and the resumed run reproduces the uninterrupted one.
"$medllm" "${train[@]}" --output-dir "$work/stopped" >/dev/null 2>"$work/stopped.err" &
pid=$!
for _ in $(seq 1 3000); do
  steps=$(grep -c '"loss"' "$work/stopped/metrics.jsonl" 2>/dev/null) || true
  [ "${steps:-0}" -ge 3 ] && break
  sleep 0.05
done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
check "SIGTERM exits 130" test $? -eq 130
check "SIGTERM says how to resume" grep -q "stopped at step .*resume with --resume-from-checkpoint latest" \
  "$work/stopped.err"
stopped_at=$(grep -c '"loss"' "$work/stopped/metrics.jsonl")
check "the stop saved a checkpoint at its step" test -f "$work/stopped/checkpoint-$stopped_at/trainer_state.json"
"$medllm" "${train[@]}" --output-dir "$work/stopped" --resume >/dev/null 2>&1
check "resume after SIGTERM reproduces the losses" cmp -s <(losses "$work/ref/metrics.jsonl") \
  <(losses "$work/stopped/metrics.jsonl")

# 4. Divergence stops with a clear message before touching the weights.
"$medllm" "${train[@]}" --output-dir "$work/nan" --learning-rate 1e30 --max-grad-norm 0 >/dev/null 2>"$work/nan.err"
check "NaN loss exits 1" test $? -eq 1
check "NaN loss message" grep -q "training stopped before updating the weights" "$work/nan.err"

# 5. LoRA SFT on question/answer pairs: only answers are scored; held-out SFT loss falls.
"$medllm" data prepare -m "$stories" -i "$medquad" -o "$work/sft" --objective sft --prompt-field question \
  --response-field answer --valid-fraction 0.05 >/dev/null 2>&1
check "sft data scores fewer tokens than it holds" /usr/bin/python3 -c "
import json,sys; s=json.load(open('$work/sft/dataset.json'))['stats']['train']; sys.exit(0 if 0 < s['scored_tokens'] < s['tokens'] else 1)"
"$medllm" train -m "$stories" --data "$work/sft" --output-dir "$work/lora" --finetuning-type lora --lora-r 8 \
  --lora-alpha 16 --lora-target-modules q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj --max-steps 20 \
  --max-seq-length 128 --per-device-train-batch-size 8 --learning-rate 1e-2 --eval-on-start true \
  --max-eval-samples 32 >/dev/null 2>"$work/lora.err"
check "LoRA SFT lowers held-out loss" /usr/bin/python3 - "$work/lora/train_results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"LoRA SFT held-out loss {r['initial_eval_loss']:.4f} -> {r['eval_loss']:.4f}, {r['trained_parameters']} trained parameters")
sys.exit(0 if r["eval_loss"] < r["initial_eval_loss"] - 0.05 else 1)
PY
check "LoRA checkpoint holds only adapters" /usr/bin/python3 -c "
import json,struct,sys
f=open('$work/lora/checkpoint-20/model.safetensors','rb'); n=struct.unpack('<Q',f.read(8))[0]; h=json.loads(f.read(n))
names=[k for k in h if k!='__metadata__']; sys.exit(0 if names and all('.lora_' in k for k in names) else 1)"

# 6. Exports: the full run wrote a Hugging Face model, the LoRA run a PEFT adapter. Both are read
#    by the independent PyTorch forward (tests/reference) by name, as transformers/PEFT would.
prompt="Question: What causes high blood pressure? Answer: It is"
"$medllm" logits -m "$work/ref" --prompt "$prompt" >"$work/exported.json" 2>/dev/null
"$medllm" logits -m "$stories" --checkpoint "$work/ref/checkpoint-24" --prompt "$prompt" >"$work/in_place.json" 2>/dev/null
check "exported model logits equal the trained weights on the base" /usr/bin/python3 -c "
import json,sys; a=json.load(open('$work/exported.json'))['logits']; b=json.load(open('$work/in_place.json'))['logits']
d=max(abs(x-y) for r,s in zip(a,b) for x,y in zip(r,s)); print('exported vs checkpoint', d); sys.exit(0 if d<=2e-5 else 1)"
check "exported model matches PyTorch reading it by name" /usr/bin/python3 "$repo/tests/reference/check_hf_export.py" \
  "$work/ref" "$work/exported.json"
check "exported tokenizer.model tokenizes like the GGUF vocabulary" test \
  "$("$medllm" tokenize -m "$work/ref" --no-special "$prompt 医師 café")" = \
  "$("$medllm" tokenize -m "$stories" --no-special "$prompt 医師 café")"
"$medllm" export -m "$stories" -o "$work/base_hf" 2>/dev/null
"$medllm" logits -m "$stories" --lora "$work/lora" --prompt "$prompt" >"$work/lora_logits.json" 2>/dev/null
check "PEFT adapter applied as PEFT merges it" /usr/bin/python3 "$repo/tests/reference/check_hf_export.py" \
  "$work/base_hf" "$work/lora_logits.json" --adapter "$work/lora"
"$medllm" export -m "$stories" --merge-lora "$work/lora" -o "$work/merged" 2>/dev/null
"$medllm" logits -m "$work/merged" --prompt "$prompt" >"$work/merged.json" 2>/dev/null
check "merged export equals the adapter applied at load" /usr/bin/python3 -c "
import json,sys; a=json.load(open('$work/merged.json'))['logits']; b=json.load(open('$work/lora_logits.json'))['logits']
d=max(abs(x-y) for r,s in zip(a,b) for x,y in zip(r,s)); print('merged vs --lora', d); sys.exit(0 if d<=2e-5 else 1)"

# 7. Bad settings and damaged checkpoints.
cp -r "$work/ref" "$work/damaged"
/usr/bin/python3 -c "
import json; p='$work/damaged/checkpoint-24/trainer_state.json'; s=json.load(open(p)); del s['data_position']
json.dump(s, open(p, 'w'))"
"$medllm" "${train[@]}" --output-dir "$work/damaged" --resume >/dev/null 2>"$work/damaged.err"
check "damaged checkpoint exits 1" test $? -eq 1
check "damaged checkpoint is an error naming it" grep -q "checkpoint-24/trainer_state.json: .*damaged" "$work/damaged.err"
echo '{"learning_rat": 0.1}' >"$work/bad.json"
"$medllm" train -c "$work/bad.json" >/dev/null 2>"$work/bad.err"
check "unknown config field named" grep -q "unknown field 'learning_rat'" "$work/bad.err"
"$medllm" train -m "$stories" --data "$work/cpt" --output-dir "$work/x" --max-steps abc >/dev/null 2>"$work/bad2.err"
check "bad flag value named" grep -q "max-steps\|max_steps" "$work/bad2.err"
"$medllm" train -m "$stories" --data "$work/nowhere" --output-dir "$work/x" >/dev/null 2>"$work/bad3.err"
check "missing dataset named" grep -q "nowhere" "$work/bad3.err"

# 8. Numbers are read strictly: trailing characters, values outside a setting's bounds and
#    non-finite values are errors naming the setting, never a quietly different run.
strict_error() {  # strict_error NAME PATTERN ARGS...
  local name=$1 pattern=$2
  shift 2
  "$medllm" train -m "$stories" --data "$work/cpt" --output-dir "$work/strict" "$@" >/dev/null 2>"$work/strict.err"
  local status=$?
  if [ "$status" -eq 1 ] && grep -q -- "$pattern" "$work/strict.err" && [ ! -e "$work/strict" ]; then
    passes=$((passes + 1))
  else
    echo "FAIL: $name (exit $status): $(cat "$work/strict.err")"
    failures=$((failures + 1))
  fi
}
strict_error "learning rate with trailing garbage" "--learning-rate: '2e-3x' is not a number" --learning-rate 2e-3x
strict_error "steps with trailing garbage" "--max-steps: '3x' is not an integer" --max-steps 3x
strict_error "nan learning rate" "--learning-rate: 'nan' is not a finite number" --learning-rate nan
strict_error "negative steps" "field 'max_steps' must be at least 0, got -1" --max-steps -1
strict_error "warmup ratio above 1" "field 'warmup_ratio' must be from 0 to 1, got 1.5" --warmup-ratio 1.5
strict_error "threads beyond int" "field 'threads' must be an integer from" --threads 99999999999
strict_error "bool flag" "--use-rslora: 'yes' is not true or false" --use-rslora yes
echo '{"max_steps": 2.5}' >"$work/fractional.json"
strict_error "fractional steps in the config file" "fractional.json: field 'max_steps' must be an integer, got 2.5" \
  -c "$work/fractional.json"

# 9. The final line on stdout is JSON even when the checkpoint path holds a quote and a backslash.
odd="$work/odd \"quoted\" \\ dir"
"$medllm" train -m "$stories" --data "$work/cpt" --output-dir "$odd" --max-steps 2 --max-seq-length 64 \
  --per-device-train-batch-size 2 --max-eval-samples 2 >"$work/odd.out" 2>/dev/null
check "train's result line is JSON with the path intact" /usr/bin/python3 -c "
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
sys.exit(0 if r['steps'] == 2 and r['checkpoint'] == sys.argv[2] + '/checkpoint-2' and r['eval_loss'] > 0 else 1)" \
  "$work/odd.out" "$odd"

# 10. eval takes --lora and --checkpoint like the other commands: an adapter or a checkpoint applied
#     at load scores as the merged export of it does (same predictions, log-likelihoods within f32
#     rounding), and the results name what was applied.
same_scores() {  # same_scores DIR_A DIR_B
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
rows = [[json.loads(l) for l in open(d + "/samples.jsonl")] for d in sys.argv[1:3]]
assert len(rows[0]) == len(rows[1]) == 8, [len(r) for r in rows]
worst = 0.0
for a, b in zip(*rows):
    assert a["id"] == b["id"] and a["prediction"] == b["prediction"], (a["id"], a["prediction"], b["prediction"])
    worst = max(worst, max(abs(x - y) for x, y in zip(a["loglik"], b["loglik"])))
print("largest log-likelihood difference", worst)
sys.exit(0 if worst <= 1e-3 else 1)
PY
}
eval_args=(--bench medqa --limit 8 --data "$shared" --no-model-hash)
"$medllm" eval -m "$stories" --lora "$work/lora" "${eval_args[@]}" -o "$work/eval_lora" >/dev/null 2>"$work/eval_lora.err"
"$medllm" eval -m "$work/merged" "${eval_args[@]}" -o "$work/eval_merged" >/dev/null 2>&1
check "eval --lora scores as the merged export" same_scores "$work/eval_lora" "$work/eval_merged"
check "eval --lora results name the adapter" /usr/bin/python3 -c "
import json, sys; m = json.load(open('$work/eval_lora/results.json'))['model']
sys.exit(0 if m['lora'][0]['path'] == '$work/lora' else 1)"
"$medllm" eval -m "$stories" --checkpoint "$work/ref/checkpoint-24" --no-check-tensors "${eval_args[@]}" \
  -o "$work/eval_ckpt" >/dev/null 2>&1
"$medllm" eval -m "$work/ref" "${eval_args[@]}" -o "$work/eval_export" >/dev/null 2>&1
check "eval --checkpoint scores as the exported model" same_scores "$work/eval_ckpt" "$work/eval_export"
"$medllm" eval --bench igakuqa --score-predictions "$shared/igakuqa/baseline_results" --system gpt4 --data "$shared" \
  --lora "$work/lora" >/dev/null 2>"$work/score_lora.err"
check "--score-predictions with an adapter is an error" grep -q "do not apply" "$work/score_lora.err"

finish
