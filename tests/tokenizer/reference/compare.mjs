#!/usr/bin/env node
// Compares two encode.mjs outputs (or any JSONL files of {"id","ids"[,"decoded"]}) id by id.
//
//   node compare.mjs A.jsonl B.jsonl [--inputs INPUTS.jsonl] [--tokenizer DIR] [--max N] [--decoded]
//
// Prints every record whose ids differ (and, with --decoded, whose decoded strings differ), with the
// input text when --inputs is given and the token strings when --tokenizer is given. Exit status 0 when
// everything agrees, 1 otherwise. Records present in only one file count as differences.

import { readJsonl, parseArgs, isMain, loadTokenizer } from "./lib.mjs";

const USAGE = "usage: node compare.mjs A.jsonl B.jsonl [--inputs INPUTS.jsonl] [--tokenizer DIR] [--max N] [--decoded]";

export function compareRecords(a, b, { decoded = false } = {}) {
  const mb = new Map(b.map((r) => [r.id, r]));
  const diffs = [];
  const seen = new Set();
  for (const ra of a) {
    seen.add(ra.id);
    const rb = mb.get(ra.id);
    if (!rb) { diffs.push({ id: ra.id, a: ra, b: null }); continue; }
    const idsDiffer = JSON.stringify(ra.ids) !== JSON.stringify(rb.ids);
    const decDiffer = decoded && ra.decoded !== rb.decoded;
    if (idsDiffer || decDiffer) diffs.push({ id: ra.id, a: ra, b: rb, idsDiffer, decDiffer });
  }
  for (const rb of b) if (!seen.has(rb.id)) diffs.push({ id: rb.id, a: null, b: rb });
  return diffs;
}

if (isMain(import.meta.url)) {
  // positional arguments: the two files; everything else goes to parseArgs
  const VALUED = new Set(["--inputs", "--tokenizer", "--max"]);
  const files = [], rest = process.argv.slice(0, 2);
  for (let i = 2; i < process.argv.length; i++) {
    const x = process.argv[i];
    if (VALUED.has(x)) rest.push(x, process.argv[++i]);
    else if (x.startsWith("--")) rest.push(x);
    else files.push(x);
  }
  const o = parseArgs(rest, { inputs: "string", tokenizer: "string", max: "number", decoded: "boolean" },
    { max: 50, decoded: false }, USAGE);
  if (files.length !== 2) throw new Error(USAGE);
  const [A, B] = files.map(readJsonl);
  const texts = o.inputs ? new Map(readJsonl(o.inputs).map((r) => [r.id, r.text])) : null;
  const tok = o.tokenizer ? loadTokenizer(o.tokenizer, "hf") : null;
  const diffs = compareRecords(A, B, { decoded: o.decoded });
  const show = (ids) => ids.map((i) => `${i}${tok ? "=" + JSON.stringify(tok.idsToTokens([i])[0]) : ""}`).join(" ");
  for (const d of diffs.slice(0, o.max)) {
    console.log(`--- ${d.id}` + (texts ? ` text=${JSON.stringify(texts.get(d.id))}` : ""));
    if (!d.a || !d.b) { console.log(`  only in ${d.a ? files[0] : files[1]}`); continue; }
    if (d.idsDiffer) {
      // print the differing window only, with a little context
      let s = 0;
      while (s < d.a.ids.length && s < d.b.ids.length && d.a.ids[s] === d.b.ids[s]) s++;
      let ea = d.a.ids.length, eb = d.b.ids.length;
      while (ea > s && eb > s && d.a.ids[ea - 1] === d.b.ids[eb - 1]) { ea--; eb--; }
      const lo = Math.max(0, s - 2);
      console.log(`  first difference at token ${s}`);
      console.log(`  A: ${show(d.a.ids.slice(lo, ea + 2))}`);
      console.log(`  B: ${show(d.b.ids.slice(lo, eb + 2))}`);
    }
    if (d.decDiffer) console.log(`  decoded A=${JSON.stringify(d.a.decoded)}\n  decoded B=${JSON.stringify(d.b.decoded)}`);
  }
  console.log(`${diffs.length} of ${Math.max(A.length, B.length)} records differ (${files[0]} vs ${files[1]})`);
  process.exit(diffs.length ? 1 : 0);
}
