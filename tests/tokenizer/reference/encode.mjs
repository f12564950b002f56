#!/usr/bin/env node
// Reference token ids from an independent npm implementation of Hugging Face tokenizers.
//
//   node encode.mjs --tokenizer DIR --input FILE.jsonl --output FILE.jsonl
//                   [--impl hf|lenml|auto] [--add-special] [--tokens] [--cleanup]
//
// DIR holds tokenizer.json and (optionally) tokenizer_config.json. Input lines are {"id","text",...}
// (make_inputs.mjs); each output line is {"id","ids":[...],"decoded":"..."} in input order:
//   ids      encode(text) with add_special_tokens = --add-special (the post-processor adds BOS etc. as
//            tokenizer.json says). Special/added tokens written in the text are always matched, as in
//            Python tokenizers' default (split_special_tokens=False).
//   decoded  decode(ids, skip_special_tokens=false) with no clean-up of tokenization spaces (the raw
//            tokenizer.json decoder, like Rust tokenizers' Tokenizer::decode); --cleanup applies
//            tokenizer_config's clean_up_tokenization_spaces like transformers does.
//   tokens   (with --tokens) the token strings, for debugging.
// --impl auto (the default) picks the implementation README.md documents as the faithful one.
// A summary line goes to stderr.

import fs from "node:fs";
import path from "node:path";
import { loadTokenizer, readJsonl, parseArgs, isMain } from "./lib.mjs";

const USAGE = "usage: node encode.mjs --tokenizer DIR --input FILE.jsonl --output FILE.jsonl " +
  "[--impl hf|lenml|auto] [--add-special] [--tokens] [--cleanup]";

export function encodeAll(tok, rows, { addSpecial = false, tokens = false } = {}) {
  const out = [];
  for (const row of rows) {
    const ids = tok.encode(row.text, addSpecial);
    const rec = { id: row.id, ids, decoded: tok.decode(ids) };
    if (tokens) rec.tokens = tok.idsToTokens(ids);
    out.push(rec);
  }
  return out;
}

if (isMain(import.meta.url)) {
  const a = parseArgs(process.argv,
    { tokenizer: "string", input: "string", output: "string", impl: "string", "add-special": "boolean", tokens: "boolean",
      cleanup: "boolean" },
    { impl: "auto", "add-special": false, tokens: false, cleanup: false }, USAGE);
  if (!a.tokenizer || !a.input || !a.output) throw new Error(USAGE);
  const t0 = performance.now();
  const tok = loadTokenizer(a.tokenizer, a.impl, { cleanup: a.cleanup });
  const tLoad = performance.now();
  const rows = readJsonl(a.input);
  const out = encodeAll(tok, rows, { addSpecial: a["add-special"], tokens: a.tokens });
  const tEnc = performance.now();
  fs.mkdirSync(path.dirname(path.resolve(a.output)), { recursive: true });
  fs.writeFileSync(a.output, out.map((r) => JSON.stringify(r)).join("\n") + (out.length ? "\n" : ""));
  let nTok = 0, lossless = 0;
  out.forEach((r, i) => { nTok += r.ids.length; if (r.decoded === rows[i].text) lossless++; });
  const rt = a["add-special"] ? "decoded includes the added special tokens" : `decode(encode(x))==x for ${lossless}/${rows.length}`;
  console.error(`encode: ${a.tokenizer} impl=${tok.impl}@${tok.version} add_special=${a["add-special"]} ` +
    `${rows.length} inputs, ${nTok} tokens, ${rt}; ` +
    `load ${(tLoad - t0).toFixed(0)} ms, encode+decode ${(tEnc - tLoad).toFixed(0)} ms -> ${a.output}`);
}
