#!/usr/bin/env bash
# The messages a new user meets around `medllm data prepare` and `medllm train`, on stories260K and
# 200 MedQuAD records (a few seconds of training):
#   - a --text-template field no record has: the error gives the counts, why records were skipped
#     and the fields the records do have;
#   - resuming with changed settings names each setting that differs with both values;
#   - training again into a used output directory without --resume is refused, naming the
#     directory and what is in it, and leaves it untouched; --overwrite-output-dir (or
#     overwrite_output_dir in a --config file) starts over and removes the old checkpoints;
#   - a LoRA adapter or a checkpoint given as the model says how to load it on its base model.
# Usage: test_train_guards_cli.sh MEDLLM_BINARY REPO_DIR SHARED_DATA_DIR
set -u
medllm=$1 repo=$2 shared=$3
stories="$repo/data/models/stories260K/stories260K.gguf"
. "$(dirname "$0")/../support/checks.sh"
expect_error() {  # expect_error NAME FILE TEXT: FILE (a command's stderr) holds TEXT; shows FILE if not
  check "$1" grep -qF -- "$3" "$2"
  grep -qF -- "$3" "$2" || sed 's/^/  | /' "$2"
}
head -200 "$shared/corpus/medquad_en_qa.jsonl" >"$work/medquad.jsonl"

# 1. A template field that no record has.
"$medllm" data prepare -m "$stories" -i "$work/medquad.jsonl" -o "$work/none" --text-template '{questoin} {answer}' \
  >/dev/null 2>"$work/none.err"
check "a template no record fits exits 1" test $? -eq 1
expect_error "it gives the counts" "$work/none.err" "200 records → train 0 documents"
expect_error "it gives the skip count" "$work/none.err" "200 malformed"
expect_error "it says why records were skipped" "$work/none.err" \
  "skipped $work/medquad.jsonl:1: field 'questoin' is missing"
expect_error "it names the fields the records have" "$work/none.err" \
  "the records have the fields: answer, doc_id, file, focus, qid, qtype, question, source, url"

"$medllm" data prepare -m "$stories" -i "$work/medquad.jsonl" -o "$work/cpt" --text-template '{question} {answer}' \
  >/dev/null 2>"$work/prepare.err"
check "data prepare succeeds" test -f "$work/cpt/train-00000.mlds"

train=(train -m "$stories" --data "$work/cpt" --max-seq-length 64 --per-device-train-batch-size 4
  --max-eval-samples 4 --learning-rate 3e-3 --threads 2)

# 2. Resuming with other settings.
"$medllm" "${train[@]}" --output-dir "$work/run" --max-steps 2 --save-steps 1 >/dev/null 2>"$work/run.err"
check "a short run succeeds" test -f "$work/run/checkpoint-2/trainer_state.json"
"$medllm" "${train[@]}" --output-dir "$work/run" --max-steps 2 --save-steps 1 --resume --learning-rate 2e-3 \
  --weight-decay 0.1 >/dev/null 2>"$work/changed.err"
check "resuming with other settings exits 1" test $? -eq 1
expect_error "the changed learning rate is named with both values" "$work/changed.err" \
  "learning_rate: checkpoint 0.003, now 0.002"
expect_error "the changed weight decay is named with both values" "$work/changed.err" \
  "weight_decay: checkpoint 0.0, now 0.1"
check "settings that did not change are not listed" test "$(grep -c ': checkpoint ' "$work/changed.err")" -eq 2

# 3. Training again into the used directory.
before=$(cd "$work/run" && find . -type f | sort | xargs sha256sum)
"$medllm" "${train[@]}" --output-dir "$work/run" --max-steps 1 >/dev/null 2>"$work/again.err"
check "training into a used directory exits 1" test $? -eq 1
expect_error "it names the directory" "$work/again.err" "$work/run: the output directory is not empty ("
expect_error "it names what is in it" "$work/again.err" "checkpoint-1, checkpoint-2, "
expect_error "it names the way out" "$work/again.err" "--overwrite-output-dir"
check "the used directory is untouched" test "$(cd "$work/run" && find . -type f | sort | xargs sha256sum)" = "$before"
"$medllm" "${train[@]}" --output-dir "$work/run" --max-steps 1 --overwrite-output-dir false >/dev/null 2>&1
check "--overwrite-output-dir false still refuses" test $? -eq 1
"$medllm" "${train[@]}" --output-dir "$work/run" --overwrite-output-dir --max-steps 1 >/dev/null 2>&1
check "a bare --overwrite-output-dir starts over" test -f "$work/run/checkpoint-1/trainer_state.json" -a \
  "$(grep -c '"loss"' "$work/run/metrics.jsonl")" -eq 1
check "the previous run's checkpoints are gone" test ! -e "$work/run/checkpoint-2"
echo '{"overwrite_output_dir": true, "max_steps": 1}' >"$work/overwrite.json"
"$medllm" "${train[@]}" -c "$work/overwrite.json" --output-dir "$work/run" >/dev/null 2>"$work/config.err"
check "overwrite_output_dir in a config file starts over" test $? -eq 0
mkdir -p "$work/empty"
"$medllm" "${train[@]}" --output-dir "$work/empty" --max-steps 1 >/dev/null 2>&1
check "an empty output directory is fine" test -f "$work/empty/checkpoint-1/trainer_state.json"

# 4. An adapter or a checkpoint given as the model.
"$medllm" "${train[@]}" --output-dir "$work/lora" --max-steps 1 --finetuning-type lora >/dev/null 2>&1
check "a LoRA run writes an adapter" test -f "$work/lora/adapter_config.json"
"$medllm" logits -m "$work/lora" -p "Question" >/dev/null 2>"$work/adapter.err"
check "an adapter as the model exits 1" test $? -eq 1
expect_error "an adapter as the model says how to load it" "$work/adapter.err" \
  "a LoRA adapter (adapter_config.json), not a model; load it on its base model: -m $stories --lora $work/lora"
"$medllm" logits -m "$work/run/checkpoint-1" -p "Question" >/dev/null 2>"$work/checkpoint.err"
check "a checkpoint as the model exits 1" test $? -eq 1
expect_error "a checkpoint as the model says how to load it" "$work/checkpoint.err" \
  "-m $stories --checkpoint $work/run/checkpoint-1"

finish
