// Shared helpers for the tokenizer reference scripts: locating and loading the npm implementations,
// reading JSONL, a tiny argument parser.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "../../..");
// tests/node holds package.json / package-lock.json and node_modules (installed by the node.install ctest fixture).
export const NODE_DIR = process.env.MEDLLM_NODE_DIR || path.join(REPO, "tests/node");

const req = createRequire(path.join(NODE_DIR, "package.json"));

export const IMPLS = ["hf", "lenml"];

export function packageVersion(name) {
  // the packages' "exports" hide package.json from require.resolve; walk up from the resolved entry point
  let d = path.dirname(req.resolve(name));
  while (!fs.existsSync(path.join(d, "package.json")) && path.dirname(d) !== d) d = path.dirname(d);
  return JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8")).version;
}

export function readTokenizerDir(dir) {
  const tjPath = path.join(dir, "tokenizer.json");
  const tcPath = path.join(dir, "tokenizer_config.json");
  const tokenizerJSON = JSON.parse(fs.readFileSync(tjPath, "utf8"));
  const tokenizerConfig = fs.existsSync(tcPath) ? JSON.parse(fs.readFileSync(tcPath, "utf8")) : {};
  return { tokenizerJSON, tokenizerConfig };
}

// Which npm implementation is the default reference for a tokenizer. Both implementations agreed with the
// Python-generated vectors on every case we have (see README.md, "Evidence"), and on every input of the
// parity set except where noted there, so the default is @huggingface/tokenizers everywhere; the function
// exists so that a per-tokenizer exception has one place to live.
export function defaultImpl(/* tokenizerJSON, tokenizerConfig */) {
  return "hf";
}

// A uniform wrapper: encode(text, addSpecial) -> ids, decode(ids) -> string (no clean-up, specials kept).
export function loadTokenizer(dir, impl, { cleanup = false } = {}) {
  const { tokenizerJSON, tokenizerConfig } = readTokenizerDir(dir);
  if (!impl || impl === "auto") impl = defaultImpl(tokenizerJSON, tokenizerConfig);
  let encode, decode, idsToTokens, version, raw;
  if (impl === "hf") {
    const { Tokenizer } = req("@huggingface/tokenizers");
    version = packageVersion("@huggingface/tokenizers");
    const tok = new Tokenizer(tokenizerJSON, tokenizerConfig);
    raw = tok;
    encode = (text, addSpecial) => tok.encode(text, { add_special_tokens: addSpecial }).ids;
    decode = (ids) => ids.length === 0 ? "" :
      tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: cleanup ? undefined : false });
    idsToTokens = (ids) => ids.map((i) => tok.id_to_token(i) ?? null);
  } else if (impl === "lenml") {
    const { TokenizerLoader } = req("@lenml/tokenizers");
    version = packageVersion("@lenml/tokenizers");
    const warn = console.warn;
    console.warn = () => {}; // "Unknown tokenizer class" for PreTrainedTokenizerFast: harmless, base class is used
    let tok;
    try {
      tok = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
    } finally {
      console.warn = warn;
    }
    raw = tok;
    encode = (text, addSpecial) => tok.encode(text, { add_special_tokens: addSpecial });
    decode = (ids) => ids.length === 0 ? "" :
      tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: cleanup ? null : false });
    idsToTokens = (ids) => tok.model.convert_ids_to_tokens(ids).map((t) => t ?? null);
  } else {
    throw new Error(`unknown --impl ${impl} (expected hf, lenml or auto)`);
  }
  // raw: the library's own tokenizer object (for audits that need its internals)
  return { impl, version, encode, decode, idsToTokens, raw, tokenizerJSON, tokenizerConfig };
}

export function readJsonl(file) {
  const out = [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  lines.forEach((l, i) => {
    if (l.trim() === "") return;
    try {
      out.push(JSON.parse(l));
    } catch (e) {
      throw new Error(`${file}:${i + 1}: ${e.message}`);
    }
  });
  return out;
}

// --key value / --flag parser. spec: {name: "string" | "number" | "boolean"}; defaults in `defaults`.
export function parseArgs(argv, spec, defaults = {}, usage = "") {
  const a = { ...defaults };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (k === "-h" || k === "--help") {
      console.log(usage);
      process.exit(0);
    }
    if (!k.startsWith("--") || !(k.slice(2) in spec)) throw new Error(`unknown argument ${k}\n${usage}`);
    const name = k.slice(2);
    const type = spec[name];
    if (type === "boolean") {
      a[name] = true;
      continue;
    }
    if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
    const v = argv[++i];
    if (type === "number") {
      a[name] = Number(v);
      if (!Number.isFinite(a[name])) throw new Error(`${k}: not a number: ${v}`);
    } else a[name] = v;
  }
  return a;
}

export function isMain(importMetaUrl) {
  return process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(importMetaUrl);
}
