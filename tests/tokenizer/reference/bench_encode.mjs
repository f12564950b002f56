#!/usr/bin/env node
// Encode throughput of an npm tokenizer implementation, for the C++ benchmark to compare against in the
// same run.
//
//   node bench_encode.mjs --tokenizer DIR --input FILE [--reps N] [--warmup N] [--impl hf|lenml|auto]
//                         [--unit line|file|record] [--field NAME[,NAME...]] [--max-bytes N] [--add-special]
//
// Units of work (each encoded by one encode() call, add_special_tokens=false unless --add-special):
//   line    (default for text files) the file split after every "\n", the newline kept with its line
//   file    the whole file as one string
//   record  (default for *.jsonl) one unit per value of --field (default "text") of each JSON line;
//           with several fields (--field question,answer) every field value is its own unit
// --max-bytes N keeps the units in file order up to and including the one that brings the total to >= N
// bytes (the C++ side must select the same units).
// Throughput = UTF-8 bytes of all units / 1e6 / median wall time of one pass over all units, after
// --warmup passes (default 1) that are not timed; --reps timed passes (default 5). The implementations'
// word caches stay warm across passes, as they would in a long-running process.
// Prints one JSON line on stdout: tokenizer, impl, version, node, input, unit, units, bytes, tokens,
// reps, warmup, times_s, median_s, mb_per_s (and load_s, the tokenizer load time).

import fs from "node:fs";
import path from "node:path";
import { loadTokenizer, parseArgs, isMain } from "./lib.mjs";

const USAGE = "usage: node bench_encode.mjs --tokenizer DIR --input FILE [--reps N] [--warmup N] [--impl hf|lenml|auto] " +
  "[--unit line|file|record] [--field NAME[,NAME...]] [--max-bytes N] [--add-special]";

export function readUnits(file, unit, fields) {
  const raw = fs.readFileSync(file, "utf8");
  if (unit === "file") return [raw];
  if (unit === "line") {
    const out = [];
    let start = 0;
    for (;;) {
      const nl = raw.indexOf("\n", start);
      if (nl < 0) {
        if (start < raw.length) out.push(raw.slice(start));
        break;
      }
      out.push(raw.slice(start, nl + 1));
      start = nl + 1;
    }
    return out;
  }
  if (unit === "record") {
    const out = [];
    for (const line of raw.split("\n")) {
      if (!line.trim()) continue;
      const rec = JSON.parse(line);
      for (const f of fields) {
        if (typeof rec[f] === "string") out.push(rec[f]);
        else if (rec[f] !== undefined) throw new Error(`field ${f} is not a string`);
      }
    }
    if (!out.length) throw new Error(`no string field ${fields.join(",")} in ${file}`);
    return out;
  }
  throw new Error(`unknown --unit ${unit}`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

if (isMain(import.meta.url)) {
  const a = parseArgs(process.argv,
    { tokenizer: "string", input: "string", reps: "number", warmup: "number", impl: "string", unit: "string",
      field: "string", "max-bytes": "number", "add-special": "boolean" },
    { reps: 5, warmup: 1, impl: "auto", "add-special": false, field: "text" }, USAGE);
  if (!a.tokenizer || !a.input) throw new Error(USAGE);
  if (!Number.isInteger(a.reps) || a.reps < 1) throw new Error("--reps must be >= 1");
  const unit = a.unit || (a.input.endsWith(".jsonl") ? "record" : "line");
  let units = readUnits(a.input, unit, a.field.split(","));
  if (a["max-bytes"] !== undefined) {
    let total = 0, k = 0;
    while (k < units.length && total < a["max-bytes"]) total += Buffer.byteLength(units[k++], "utf8");
    units = units.slice(0, k);
  }
  const bytes = units.reduce((s, u) => s + Buffer.byteLength(u, "utf8"), 0);
  const t0 = performance.now();
  const tok = loadTokenizer(a.tokenizer, a.impl);
  const loadS = (performance.now() - t0) / 1000;
  const addSpecial = a["add-special"];
  let tokens = 0;
  const pass = () => {
    let n = 0;
    for (const u of units) n += tok.encode(u, addSpecial).length;
    return n;
  };
  for (let i = 0; i < a.warmup; i++) tokens = pass();
  const times = [];
  for (let i = 0; i < a.reps; i++) {
    const s = performance.now();
    tokens = pass();
    times.push((performance.now() - s) / 1000);
  }
  const med = median(times);
  console.log(JSON.stringify({
    tokenizer: path.resolve(a.tokenizer), impl: tok.impl, version: tok.version, node: process.version,
    input: path.resolve(a.input), unit, units: units.length, bytes, tokens, reps: a.reps, warmup: a.warmup,
    load_s: +loadS.toFixed(3), times_s: times.map((t) => +t.toFixed(4)), median_s: +med.toFixed(4),
    mb_per_s: +(bytes / 1e6 / med).toFixed(3),
  }));
}
