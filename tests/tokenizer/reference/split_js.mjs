#!/usr/bin/env node
// Audit helper (not used by the tests): the Split pre-tokenizer regexes of a tokenizer.json as an npm
// implementation translates and runs them, on the raw text (no normalizer, no added tokens).
//
//   node split_js.mjs --tokenizer DIR --input INPUTS.jsonl --output SPLITS.jsonl [--impl hf|lenml]
//   node split_js.mjs --compare ONIG.jsonl JS.jsonl [--inputs INPUTS.jsonl]
//
// Output lines: {"id","pieces":[...]}, the same format as onig_split.py (Oniguruma, i.e. what Python
// `tokenizers` does), so the two can be compared with --compare.

import fs from "node:fs";
import { loadTokenizer, readJsonl, isMain } from "./lib.mjs";

function splitters(pre) {
  if (!pre) return [];
  if (Array.isArray(pre.tokenizers)) return pre.tokenizers.flatMap(splitters);
  // both implementations keep the tokenizer.json entry as .config and the compiled RegExp as .pattern
  if (pre.config?.type === "Split" && pre.config.pattern?.Regex !== undefined) return [pre];
  return [];
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (k) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
  if (args.includes("--compare")) {
    const i = args.indexOf("--compare");
    const [A, B] = [readJsonl(args[i + 1]), readJsonl(args[i + 2])];
    const texts = get("--inputs") ? new Map(readJsonl(get("--inputs")).map((r) => [r.id, r.text])) : null;
    const mb = new Map(B.map((r) => [r.id, r.pieces]));
    let bad = 0;
    for (const r of A) {
      const p = mb.get(r.id);
      if (JSON.stringify(p) === JSON.stringify(r.pieces)) continue;
      bad++;
      let s = 0;
      while (s < r.pieces.length && s < p.length && r.pieces[s] === p[s]) s++;
      const esc = (x) => JSON.stringify(x, null, 0).replace(/[^\x20-\x7e]/g, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
      console.log(`--- ${r.id}${texts ? " text=" + esc(texts.get(r.id)).slice(0, 200) : ""}`);
      console.log(`  A: ${esc(r.pieces.slice(Math.max(0, s - 1), s + 3))}`);
      console.log(`  B: ${esc(p.slice(Math.max(0, s - 1), s + 3))}`);
    }
    console.log(`${bad} of ${A.length} inputs split differently`);
    process.exit(bad ? 1 : 0);
  }
  const tok = loadTokenizer(get("--tokenizer"), get("--impl") || "hf");
  const impl = tok.raw;
  const sp = splitters(impl.pre_tokenizer);
  if (!sp.length) throw new Error("no Split regex pre-tokenizer");
  const out = readJsonl(get("--input")).map((row) => {
    let pieces = row.text ? [row.text] : [];
    for (const s of sp) pieces = pieces.flatMap((p) => s.pre_tokenize_text(p));
    return JSON.stringify({ id: row.id, pieces });
  });
  fs.writeFileSync(get("--output"), out.join("\n") + "\n");
  console.error(`split_js: ${tok.impl}@${tok.version}, ${sp.length} regex(es): ${sp.map((s) => s.pattern).join(" ; ")}`);
}
