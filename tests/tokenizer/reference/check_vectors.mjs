#!/usr/bin/env node
// Checks an npm implementation against llama.cpp-format test vectors produced by Python (transformers /
// tokenizers or SentencePiece): STEM.inp holds inputs separated by "\n__ggml_vocab_test__\n" (trailing
// separator, split as llama.cpp's test-tokenizer-0 does), STEM.out one line of space-separated ids per
// input (no BOS).
//
//   node check_vectors.mjs --tokenizer DIR --vectors STEM [--impl hf|lenml|both|auto] [--quiet]
//
// Prints every mismatch (input, expected, got, with token strings) and a summary line per implementation.
// Exit status 0 when the checked implementation(s) match every vector, 1 otherwise.

import fs from "node:fs";
import { loadTokenizer, parseArgs, isMain, IMPLS } from "./lib.mjs";
import { splitLlamaCppInp } from "./make_inputs.mjs";

const USAGE = "usage: node check_vectors.mjs --tokenizer DIR --vectors STEM [--impl hf|lenml|both|auto] [--quiet]";

export function readVectors(stem) {
  const inputs = splitLlamaCppInp(fs.readFileSync(`${stem}.inp`, "utf8"));
  const lines = fs.readFileSync(`${stem}.out`, "utf8").split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  if (lines.length !== inputs.length) throw new Error(`${stem}: ${inputs.length} inputs but ${lines.length} output lines`);
  return inputs.map((text, i) => ({ text, ids: lines[i].trim() === "" ? [] : lines[i].trim().split(/\s+/).map(Number) }));
}

if (isMain(import.meta.url)) {
  const a = parseArgs(process.argv, { tokenizer: "string", vectors: "string", impl: "string", quiet: "boolean" },
    { impl: "both", quiet: false }, USAGE);
  if (!a.tokenizer || !a.vectors) throw new Error(USAGE);
  const vectors = readVectors(a.vectors);
  const impls = a.impl === "both" ? IMPLS : [a.impl];
  let failed = false;
  for (const impl of impls) {
    const tok = loadTokenizer(a.tokenizer, impl);
    let ok = 0;
    vectors.forEach((v, i) => {
      const got = tok.encode(v.text, false);
      if (JSON.stringify(got) === JSON.stringify(v.ids)) { ok++; return; }
      if (a.quiet) return;
      const show = (ids) => ids.map((id) => `${id}=${JSON.stringify(tok.idsToTokens([id])[0])}`).join(" ");
      console.log(`[${tok.impl}] case ${i} input=${JSON.stringify(v.text)}\n  expected: ${show(v.ids)}\n  got:      ${show(got)}`);
    });
    console.log(`${tok.impl}@${tok.version}: ${ok}/${vectors.length} match ${a.vectors}.out`);
    if (ok !== vectors.length) failed = true;
  }
  process.exit(failed ? 1 : 0);
}
