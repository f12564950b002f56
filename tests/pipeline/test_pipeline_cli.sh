#!/usr/bin/env bash
# `medllm pipeline --recipe recipes/quickstart.toml`, shortened, end to end on the shipped
# stories260K + MedQuAD + MedQA:
#   - held-out perplexity after training is at least MIN_PPL_FACTOR lower than before;
#   - the inference engine's held-out loss equals the trainer's eval loss on the same rows;
#   - report.html, pipeline.json and the exported model exist; the exported model runs with
#     `medllm generate` and its logits equal the trained checkpoint's;
#   - a second run with the same seed gives identical numbers, and re-running in place (data
#     reused, training resumed from its final checkpoint) does too;
#   - recipe errors name the file and the key.
# Usage: test_pipeline_cli.sh MEDLLM_BINARY REPO_DIR
set -u
medllm=$1 repo=$2
. "$(dirname "$0")/../support/checks.sh"
cd "$repo" || exit 1  # recipe paths are relative to the repository root
MIN_PPL_FACTOR=3
STEPS=150
# eval.heldout_rows equal to the trainer's max_eval_samples: both measure the same 64 rows.
short=(--recipe recipes/quickstart.toml --max-steps $STEPS --threads 2 --set eval.limit=20 eval.heldout_rows=64
  stage.cpt.train.max_eval_samples=64 stage.cpt.train.eval_steps=50 stage.cpt.train.save_steps=50)

"$medllm" pipeline "${short[@]}" -o "$work/a" >"$work/a.out" 2>"$work/a.err"
check "pipeline succeeds" test $? -eq 0
check "pipeline.json written" test -f "$work/a/pipeline.json"
check "before/after table printed" grep -q "held-out perplexity (lower=better)" "$work/a.err"
check "the generate command is printed" grep -q "medllm generate -m $work/a/cpt/train" "$work/a.err"
check "the serve command is printed" grep -q "medllm serve -m $work/a/cpt/train" "$work/a.err"
check "held-out perplexity falls by ${MIN_PPL_FACTOR}x" /usr/bin/python3 - "$work/a/pipeline.json" "$MIN_PPL_FACTOR" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
before, after = r["before"]["heldout"]["perplexity"], r["after"]["heldout"]["perplexity"]
print(f"held-out perplexity {before:.2f} -> {after:.2f} ({before / after:.2f}x)")
sys.exit(0 if before / after >= float(sys.argv[2]) else 1)
PY
check "inference held-out loss equals the trainer's eval loss" /usr/bin/python3 - "$work/a/pipeline.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ours, trainer = r["after"]["heldout"]["loss"], r["stages"][0]["eval_loss"]
print(f"held-out loss: inference {ours:.7f}, trainer {trainer:.7f}")
sys.exit(0 if abs(ours - trainer) <= 1e-4 * abs(trainer) else 1)
PY
check "MedQA measured before and after" /usr/bin/python3 -c "
import json, sys; r = json.load(open('$work/a/pipeline.json'))
sys.exit(0 if r['before']['benchmarks']['medqa']['n'] == 20 == r['after']['benchmarks']['medqa']['n'] else 1)"
check "report has the curve and the table" grep -q "<svg.*held-out perplexity\|held-out perplexity.*<svg" \
  <(tr -d '\n' <"$work/a/report.html")
check "report shows the sample answers" grep -q "What are the symptoms of diabetes" "$work/a/report.html"

model="$work/a/cpt/train"
check "exported model is a Hugging Face directory" test -f "$model/config.json" -a -f "$model/model.safetensors"
"$medllm" generate -m "$model" -p "Question: What is asthma?" -n 8 >"$work/gen.out" 2>&1
check "exported model generates" test $? -eq 0 -a -s "$work/gen.out"
"$medllm" logits -m "$model" -p "Question: What is asthma?" >"$work/exported.json" 2>/dev/null
"$medllm" logits -m data/models/stories260K/stories260K.gguf --checkpoint "$model/checkpoint-$STEPS" \
  -p "Question: What is asthma?" >"$work/trained.json" 2>/dev/null
check "exported logits equal the trained checkpoint's" /usr/bin/python3 - "$work/exported.json" "$work/trained.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
worst = max(abs(x - y) for ra, rb in zip(a["logits"], b["logits"]) for x, y in zip(ra, rb))
print(f"exported vs checkpoint logits: max |diff| {worst:.2e}")
# Export turns llama.cpp's rope row order into Hugging Face's, which reorders float operations.
sys.exit(0 if a["tokens"] == b["tokens"] and worst <= 1e-4 else 1)
PY

numbers() {  # every number and text that must repeat, without paths and timings
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for side in ("before", "after"):
    m = r[side]
    print(side, repr(m["heldout"]["loss"]), m["heldout"]["tokens"], json.dumps(m["benchmarks"], sort_keys=True),
          json.dumps(m["samples"]))
for s in r["stages"]:
    print(s["name"], s["steps"], repr(s["train_loss"]), repr(s["eval_loss"]))
PY
}
"$medllm" pipeline "${short[@]}" -o "$work/b" >/dev/null 2>"$work/b.err"
check "second run succeeds" test $? -eq 0
check "same seed, same numbers" cmp -s <(numbers "$work/a/pipeline.json") <(numbers "$work/b/pipeline.json")
cp "$work/a/pipeline.json" "$work/first.json"
"$medllm" pipeline "${short[@]}" -o "$work/a" >/dev/null 2>"$work/rerun.err"
check "re-run in place succeeds" test $? -eq 0
check "re-run reuses the prepared data" grep -q "already prepared with these options" "$work/rerun.err"
check "re-run resumes the finished training" grep -q "resumed from .*checkpoint-$STEPS" "$work/rerun.err"
check "re-run gives the same numbers" cmp -s <(numbers "$work/first.json") <(numbers "$work/a/pipeline.json")

# Recipe errors name the file and the key, before anything runs.
"$medllm" pipeline "${short[@]}" -o "$work/bad" --set stage.cpt.train.learning_rat=1 >/dev/null 2>"$work/bad.err"
check "unknown train field is an error naming it" grep -q "quickstart.toml \[\[stage\]\] 1 train: unknown field 'learning_rat'" \
  "$work/bad.err"
check "nothing ran for a bad recipe" test ! -d "$work/bad"
"$medllm" pipeline "${short[@]}" -o "$work/bad" --set stage.cpt.train.learning_rate=2e-3x >/dev/null 2>"$work/bad.err"
check "a --set number with trailing characters is an error naming the field" grep -q \
  "quickstart.toml \[\[stage\]\] 1 train: field 'learning_rate' must be a number, got \"2e-3x\"" "$work/bad.err"
"$medllm" pipeline --recipe recipes/quickstart.toml -o "$work/bad" --max-steps 3x >/dev/null 2>"$work/bad.err"
check "--max-steps with trailing characters is an error naming it" grep -q -- "--max-steps: '3x' is not an integer" \
  "$work/bad.err"
check "nothing ran for bad numbers" test ! -d "$work/bad"
printf '[run]\nname = "x"\n[model\npath = "y"\n' >"$work/broken.toml"
"$medllm" pipeline --recipe "$work/broken.toml" >/dev/null 2>"$work/broken.err"
check "TOML syntax error names the line" grep -q "broken.toml:3:" "$work/broken.err"

finish
