#!/usr/bin/env node
// Collects the tokenizer parity inputs into one JSONL file: {"id","source","text"} per line.
//
//   node make_inputs.mjs --out FILE.jsonl [--random N] [--seed S] [--shared DIR]
//                        [--sources llama.cpp,igakuqa,medqa,random] [--medqa N]
//
// Sources, in this order:
//   llama.cpp  the 46 inputs of llama.cpp's tokenizer test vectors (ggml-vocab-llama-bpe.gguf.inp),
//              split exactly like llama.cpp tests/test-tokenizer-0.cpp read_tests(): pieces separated
//              by "\n__ggml_vocab_test__\n"; the file ends with a separator and no empty input follows it.
//   igakuqa    every IgakuQA 2018 problem_text and every choice (igakuqa/data/2018/<exam>.jsonl,
//              *_metadata / *_translate skipped). IgakuQA has no license: this output is a test-time
//              artifact, never commit it.
//   medqa      the first N (default 200) MedQA questions (medqa/test.jsonl, field "question").
//   random     N (default 2000) random strings from a seeded PRNG (xoshiro128**, integer-only
//              arithmetic, so the strings are identical on every Node version and platform).
//
// The shared data folder defaults to $MEDLLM_SHARED_DATA, else <repo>/../shared/data.
// Every text is checked to be well-formed Unicode (no lone surrogates), so it is valid UTF-8.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../../..");

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const a = {
    out: null,
    random: 2000,
    seed: "1",
    shared: process.env.MEDLLM_SHARED_DATA || path.resolve(REPO, "../shared/data"),
    sources: "llama.cpp,igakuqa,medqa,random",
    medqa: 200,
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === "--out") a.out = v();
    else if (k === "--random") a.random = Number(v());
    else if (k === "--seed") a.seed = v();
    else if (k === "--shared") a.shared = v();
    else if (k === "--sources") a.sources = v();
    else if (k === "--medqa") a.medqa = Number(v());
    else if (k === "-h" || k === "--help") {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 20).join("\n"));
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!a.out) throw new Error("--out FILE.jsonl is required");
  if (!Number.isInteger(a.random) || a.random < 0) throw new Error("--random must be a non-negative integer");
  if (!Number.isInteger(a.medqa) || a.medqa < 0) throw new Error("--medqa must be a non-negative integer");
  return a;
}

// ---------------------------------------------------------------- PRNG
// xoshiro128** (Blackman & Vigna), seeded through splitmix32. Only 32-bit integer operations.
function splitmix32(state) {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}
function seedToU32(seed) {
  // FNV-1a over the UTF-16 code units of the seed string: "--seed 42" and "--seed abc" both work.
  let h = 0x811c9dc5;
  for (const ch of String(seed)) {
    const c = ch.codePointAt(0);
    h = Math.imul(h ^ (c & 0xffff), 0x01000193) >>> 0;
    if (c > 0xffff) h = Math.imul(h ^ (c >>> 16), 0x01000193) >>> 0;
  }
  return h >>> 0;
}
class Rng {
  constructor(seed) {
    const sm = splitmix32(seedToU32(seed));
    this.s = [sm(), sm(), sm(), sm()];
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }
  u32() {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return r;
  }
  // uniform integer in [0, n), n <= 2^32, by rejection (no floating point)
  below(n) {
    if (n <= 0) throw new Error("below(0)");
    if (n === 1) return 0;
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }
  int(lo, hi) { return lo + this.below(hi - lo + 1); } // inclusive
  chance(num, den) { return this.below(den) < num; }
  pick(arr) { return arr[this.below(arr.length)]; }
  // weighted pick over [[weight, value], ...] with integer weights
  weighted(table) {
    let total = 0;
    for (const [w] of table) total += w;
    let r = this.below(total);
    for (const [w, v] of table) {
      if (r < w) return v;
      r -= w;
    }
    throw new Error("unreachable");
  }
}
function rotl(x, k) { return ((x << k) | (x >>> (32 - k))) >>> 0; }

// ---------------------------------------------------------------- character pools
const cp = (c) => String.fromCodePoint(c);
function range(lo, hi, skip = []) {
  const out = [];
  for (let c = lo; c <= hi; c++) if (!skip.includes(c)) out.push(cp(c));
  return out;
}
const P = {
  latinLower: range(0x61, 0x7a),
  latinUpper: range(0x41, 0x5a),
  // precomposed accented Latin (Latin-1 letters, Latin Extended-A, Vietnamese from Latin Extended Additional)
  accented: [...range(0xc0, 0xff, [0xd7, 0xf7]), ...range(0x100, 0x17f), ...range(0x1ea0, 0x1ef9)],
  greek: [...range(0x391, 0x3a9, [0x3a2]), ...range(0x3ac, 0x3ce)],
  cyrillic: [...range(0x410, 0x44f), "Ё", "ё", "Є", "є", "І", "і", "Ї", "ї", "Ў", "ў"],
  arabic: range(0x621, 0x64a),
  arabicMarks: range(0x64b, 0x652),
  hebrew: range(0x5d0, 0x5ea),
  hebrewPoints: range(0x5b0, 0x5bc),
  devaCons: range(0x915, 0x939),
  devaSigns: [...range(0x93e, 0x94c), "\u0902", "\u0901", "\u0903"],
  devaVirama: "\u094d",
  thaiCons: range(0xe01, 0xe2e),
  thaiVowels: [...range(0xe30, 0xe3a), ...range(0xe40, 0xe44)],
  thaiTones: range(0xe48, 0xe4b),
  khmer: range(0x1780, 0x17a2),
  cjk: range(0x4e00, 0x9fff),
  cjkExtB: range(0x20000, 0x2a6df),
  cjkCompat: range(0xf900, 0xfa2d),
  hiragana: range(0x3041, 0x3096),
  katakana: [...range(0x30a1, 0x30fa), "ー", "・"],
  halfKana: range(0xff66, 0xff9f), // includes ｰ and the half-width (semi-)voiced marks ﾞ ﾟ
  hangul: range(0xac00, 0xd7a3),
  jamoL: range(0x1100, 0x1112),
  jamoV: range(0x1161, 0x1175),
  jamoT: range(0x11a8, 0x11c2),
  combining: [...range(0x300, 0x36f), ...range(0x483, 0x487), ...range(0x1ab0, 0x1abd), ...range(0x1dc0, 0x1dff), ...range(0x20d0, 0x20f0), ...range(0xfe20, 0xfe2f)],
  kanaVoicing: ["\u3099", "\u309a"], // combining (semi-)voiced sound marks
  math: range(0x1d400, 0x1d433), // mathematical bold letters (outside the BMP)
};
const MED_EN = ["patient", "presents", "mg/dL", "mmHg", "hypertension", "myocardial", "infarction", "tachycardia", "bpm", "SpO2", "HbA1c",
  "pneumonia", "CT", "MRI", "ECG", "biopsy", "carcinoma", "metastasis", "IgG", "CD4+", "T-cell", "COVID-19", "SARS-CoV-2", "β-blocker",
  "α1-antitrypsin", "Na+/K+-ATPase", "pH", "PaCO2", "eGFR", "mL/min/1.73m²", "°C", "µg", "IU/L", "5-FU", "anti-TNF-α", "x10^9/L"];
const MED_JA = ["患者", "症候群", "高血圧", "心筋梗塞", "糖尿病", "投与", "検査", "所見", "診断", "治療", "血清", "腫瘍", "慢性腎不全", "アミラーゼ",
  "インスリン", "ステロイド", "ﾒﾄﾎﾙﾐﾝ", "ｶﾙﾃ", "白血球", "ｍｇ／ｄＬ", "ＣＲＰ", "正しいのはどれか。", "２つ選べ。", "〈standard precautions〉",
  "（　）", "①", "㎎", "㍉", "µL", "℃"];
const WORDS_EN = ["the", "of", "and", "to", "in", "is", "was", "for", "with", "which", "following", "most", "likely", "Hello", "world",
  "HELLO", "Tokenizer", "don", "can", "won", "I", "you", "they", "we", "it", "discards", "era", "apple", "Cửa", "Việt", "naïve", "façade",
  "coöperate", "Äpfel", "straße", "İstanbul", "ǅemal", "ﬁnal", "Ω", "K", "Å"];
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "'Ll", "'lL", "'Re", "'vE",
  "’s", "’ll", "’T"];
const SPECIALS = ["<s>", "</s>", "<unk>", "<pad>", "<bos>", "<eos>", "<mask>", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
  "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_5|>",
  "<|finetune_right_pad_id|>", "<|python_tag|>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<think>", "</think>",
  "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<unused0>", "<unused98>", "<table>", "<b>", "</td>", "[multimodal]", "<0x41>",
  "<0xE3>", "▁", "▁▁", "▁▁▁▁", "Ġ", "Ċ", "<|im_start", "im_end|>", "<s", "s>", "<|", "|>", "<<s>>", "<s><s>", "<|im_start|>user\n",
  "<start_of_turn>model\n", "<|start_header_id|>assistant<|end_header_id|>\n\n", "< s >", "<S>", "<|IM_START|>"];
const SPACES = [" ", " ", " ", " ", "\t", "\n", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2000", "\u2001", "\u2002", "\u2003",
  "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u1680", "\u2028", "\u2029", "\u0085",
  "\u000b", "\u000c"];
const INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u2060", "\u180e", "\ufe0f", "\ufe0e"];
const CONTROLS = [...range(0x01, 0x08), "\u000e", "\u001b", "\u001f", "\u007f", "\u0080", "\u009f"];
const DIGIT_SETS = [range(0x30, 0x39), range(0x30, 0x39), range(0xff10, 0xff19), range(0x660, 0x669), range(0x6f0, 0x6f9),
  range(0x966, 0x96f), range(0xe50, 0xe59), range(0x9e6, 0x9ef), range(0x1d7ce, 0x1d7d7)];
const NUMBER_MISC = ["½", "¼", "¾", "²", "³", "¹", "⁰", "₂", "①", "②", "⑳", "Ⅻ", "ⅷ", "〇", "一", "二", "三", "十", "百", "万", "１２", "３．５",
  "1,000", "3.14159", "1e-5", "0x1F", "-273.15", "12:30", "2018/02/10", "平成30年", "+/-"];
const PUNCT_ASCII = range(0x21, 0x2f).concat(range(0x3a, 0x40), range(0x5b, 0x60), range(0x7b, 0x7e));
const PUNCT_OTHER = ["。", "、", "「", "」", "『", "』", "（", "）", "【", "】", "〈", "〉", "《", "》", "！", "？", "：", "；", "〜", "～", "・",
  "…", "‥", "“", "”", "‘", "’", "–", "—", "―", "•", "‰", "′", "″", "±", "×", "÷", "≤", "≥", "≠", "→", "←", "⇒", "°", "µ", "§", "¶",
  "©", "®", "™", "€", "£", "¥", "￥", "＄", "％", "＆", "＊", "＋", "－", "／", "＝", "＠", "＾", "＿", "｜", "¿", "¡", "«", "»", "؟",
  "،", "।", "॥", "๏", "※", "〒", "♪", "★", "☆", "■", "□", "▲", "△", "◯", "✓", "\ufffd", "\ufffc", "\ue000", "\uf8ff"];
const EMOJI_BASE = [...range(0x1f600, 0x1f64f), ...range(0x1f300, 0x1f3fa), ...range(0x1f680, 0x1f6c5), ...range(0x1f900, 0x1f9ff),
  ...range(0x1fa70, 0x1fa7c), "🦙", "🚀", "✅", "❤", "☀", "⚕", "♻", "✈"];
const EMOJI_PEOPLE = ["👍", "👋", "👶", "👩", "👨", "🧑", "👮", "🙋", "🤝", "💪", "✋", "👂"];
const SKIN = range(0x1f3fb, 0x1f3ff);
const ZWJ_SEQ = ["👨‍👩‍👧‍👦", "👩‍❤️‍👨", "🏳️‍🌈", "🏴‍☠️", "🧑‍⚕️", "👩🏽‍⚕️", "👨🏿‍🔬", "😶‍🌫️", "🐕‍🦺", "👁️‍🗨️", "🧑🏻‍🤝‍🧑🏾",
  "❤️‍🔥", "🐻‍❄️", "👩‍💻"];
const FLAGS = ["🇯🇵", "🇺🇸", "🇬🇧", "🇩🇪", "🇫🇷", "🇰🇷", "🇨🇳", "🇮🇳", "🇪🇺", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"];
const REGIONAL = range(0x1f1e6, 0x1f1ff);

// ---------------------------------------------------------------- random string generator
function repeatPick(r, pool, lo, hi) {
  let s = "";
  const n = r.int(lo, hi);
  for (let i = 0; i < n; i++) s += r.pick(pool);
  return s;
}
function casing(r, w) {
  switch (r.below(4)) {
    case 0: return w.toUpperCase();
    case 1: return w[0].toUpperCase() + w.slice(1);
    default: return w;
  }
}
const GEN = {
  latin: (r) => casing(r, repeatPick(r, P.latinLower, 1, 12)),
  word: (r) => r.pick(WORDS_EN),
  accented: (r) => repeatPick(r, r.chance(1, 2) ? P.accented : P.accented.concat(P.latinLower), 1, 10),
  greek: (r) => repeatPick(r, P.greek, 1, 10),
  cyrillic: (r) => repeatPick(r, P.cyrillic, 1, 12),
  arabic: (r) => {
    let s = "";
    const n = r.int(1, 8);
    for (let i = 0; i < n; i++) s += r.pick(P.arabic) + (r.chance(1, 4) ? r.pick(P.arabicMarks) : "");
    return s;
  },
  hebrew: (r) => {
    let s = "";
    const n = r.int(1, 8);
    for (let i = 0; i < n; i++) s += r.pick(P.hebrew) + (r.chance(1, 5) ? r.pick(P.hebrewPoints) : "");
    return s;
  },
  devanagari: (r) => {
    let s = "";
    const n = r.int(1, 6);
    for (let i = 0; i < n; i++) {
      s += r.pick(P.devaCons);
      if (r.chance(1, 5)) s += P.devaVirama + r.pick(P.devaCons);
      if (r.chance(1, 2)) s += r.pick(P.devaSigns);
    }
    return s;
  },
  thai: (r) => {
    let s = "";
    const n = r.int(1, 8);
    for (let i = 0; i < n; i++) {
      s += r.pick(P.thaiCons);
      if (r.chance(1, 2)) s += r.pick(P.thaiVowels);
      if (r.chance(1, 4)) s += r.pick(P.thaiTones);
    }
    return s;
  },
  khmer: (r) => repeatPick(r, P.khmer, 1, 6),
  cjk: (r) => r.weighted([[6, () => repeatPick(r, P.cjk, 1, 8)], [1, () => repeatPick(r, P.cjkExtB, 1, 3)],
    [1, () => repeatPick(r, P.cjkCompat, 1, 2)], [4, () => r.pick(MED_JA)]])(),
  hiragana: (r) => repeatPick(r, P.hiragana, 1, 10),
  katakana: (r) => repeatPick(r, P.katakana, 1, 10),
  halfKana: (r) => repeatPick(r, P.halfKana, 1, 10),
  kanaDecomposed: (r) => {
    // か + U+3099 etc.: NFC composes some of these (Qwen's NFC normalizer must agree)
    let s = "";
    const n = r.int(1, 5);
    for (let i = 0; i < n; i++) s += r.pick(P.hiragana.concat(P.katakana)) + r.pick(P.kanaVoicing);
    return s;
  },
  hangul: (r) => repeatPick(r, P.hangul, 1, 6),
  jamo: (r) => {
    // conjoining jamo: NFC composes L V (T) into precomposed syllables
    let s = "";
    const n = r.int(1, 4);
    for (let i = 0; i < n; i++) s += r.pick(P.jamoL) + r.pick(P.jamoV) + (r.chance(1, 2) ? r.pick(P.jamoT) : "");
    return s;
  },
  mathAlpha: (r) => repeatPick(r, P.math, 1, 4),
  emoji: (r) => r.weighted([
    [4, () => repeatPick(r, EMOJI_BASE, 1, 3)],
    [2, () => r.pick(EMOJI_PEOPLE) + r.pick(SKIN)],
    [3, () => r.pick(ZWJ_SEQ)],
    [2, () => r.pick(FLAGS)],
    [1, () => r.pick(REGIONAL) + r.pick(REGIONAL) + (r.chance(1, 2) ? r.pick(REGIONAL) : "")],
    [1, () => r.pick(["1", "2", "#", "*"]) + "\ufe0f\u20e3"],
    [1, () => r.pick(["❤", "☀", "✈", "⚕", "☺"]) + r.pick(["\ufe0f", "\ufe0e", ""])],
  ])(),
  combining: (r) => {
    // a base (letter, digit, space, CJK or nothing) followed by a run of combining marks
    const base = r.weighted([[6, () => r.pick(P.latinLower.concat(P.latinUpper))], [1, () => r.pick(range(0x30, 0x39))],
      [1, () => " "], [1, () => r.pick(P.cjk)], [1, () => r.pick(P.greek)], [1, () => ""]])();
    return base + repeatPick(r, P.combining, 1, 6);
  },
  spaces: (r) => r.weighted([
    [4, () => r.pick(SPACES).repeat(r.int(1, 4))],
    [3, () => " ".repeat(r.int(2, 40))],
    [2, () => repeatPick(r, SPACES, 1, 8)],
    [1, () => "\n".repeat(r.int(2, 35))],
    [1, () => "\t".repeat(r.int(2, 35))],
    [1, () => "\r\n".repeat(r.int(1, 5))],
    [1, () => r.pick(INVISIBLE)],
  ])(),
  digits: (r) => {
    const set = r.pick(DIGIT_SETS);
    return r.chance(1, 4) ? r.pick(NUMBER_MISC) : repeatPick(r, set, 1, 14);
  },
  punct: (r) => r.chance(1, 2) ? repeatPick(r, PUNCT_ASCII, 1, 6) : repeatPick(r, PUNCT_OTHER, 1, 4),
  contraction: (r) => casing(r, repeatPick(r, P.latinLower, 1, 6)) + r.pick(CONTRACTIONS),
  special: (r) => r.pick(SPECIALS),
  medical: (r) => r.pick(MED_EN),
  control: (r) => r.pick(CONTROLS),
};
const SEGMENT_WEIGHTS = [
  [8, "latin"], [5, "word"], [4, "accented"], [3, "greek"], [3, "cyrillic"], [3, "arabic"], [2, "hebrew"], [3, "devanagari"],
  [3, "thai"], [1, "khmer"], [6, "cjk"], [4, "hiragana"], [4, "katakana"], [3, "halfKana"], [1, "kanaDecomposed"], [3, "hangul"],
  [1, "jamo"], [1, "mathAlpha"], [5, "emoji"], [3, "combining"], [7, "spaces"], [5, "digits"], [6, "punct"], [3, "contraction"],
  [3, "special"], [3, "medical"], [1, "control"],
];
const SEGMENT_NAMES = SEGMENT_WEIGHTS.map(([, n]) => n);
const SEPARATORS = [[10, ""], [12, " "], [2, "  "], [1, "\n"], [1, "\t"], [1, "\u3000"], [1, "\u00a0"], [1, "\r\n"]];

function randomString(r) {
  const shape = r.weighted([[10, "mixed"], [3, "single"], [1, "long"], [1, "tiny"]]);
  if (shape === "tiny") {
    // one or two code points from anywhere: exercises single-token / byte-fallback paths
    return Array.from(GEN[r.pick(SEGMENT_NAMES)](r)).slice(0, r.int(1, 2)).join("");
  }
  if (shape === "single") {
    // one category repeated: pure whitespace, pure digits, pure kana, ...
    const name = r.pick(SEGMENT_NAMES);
    let s = "";
    const n = r.int(1, 6);
    for (let i = 0; i < n; i++) s += GEN[name](r) + (r.chance(1, 2) ? r.weighted(SEPARATORS) : "");
    return s;
  }
  let s = "";
  const n = shape === "long" ? r.int(60, 250) : r.int(1, 14);
  for (let i = 0; i < n; i++) {
    s += GEN[r.weighted(SEGMENT_WEIGHTS)](r);
    if (i + 1 < n || r.chance(1, 6)) s += r.weighted(SEPARATORS);
  }
  if (r.chance(1, 8)) s = r.weighted(SEPARATORS.slice(1)) + s; // leading whitespace
  return s;
}

// ---------------------------------------------------------------- sources
export function splitLlamaCppInp(raw) {
  // llama.cpp tests/test-tokenizer-0.cpp read_tests(): scan for the separator; the trailing separator
  // ends the last input and does not start an empty one.
  const sep = "\n__ggml_vocab_test__\n";
  const out = [];
  let pos = 0;
  while (pos < raw.length) {
    const next = raw.indexOf(sep, pos);
    if (next < 0) {
      out.push(raw.slice(pos));
      break;
    }
    out.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  return out;
}

function readJsonl(file) {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

function collect(a) {
  const want = new Set(a.sources.split(",").map((s) => s.trim()).filter(Boolean));
  for (const s of want) if (!["llama.cpp", "igakuqa", "medqa", "random"].includes(s)) throw new Error(`unknown source ${s}`);
  const rows = [];
  const pad = (n, w) => String(n).padStart(w, "0");

  if (want.has("llama.cpp")) {
    const f = path.join(a.shared, "tokenizer-vectors/llama.cpp-models/ggml-vocab-llama-bpe.gguf.inp");
    const inputs = splitLlamaCppInp(fs.readFileSync(f, "utf8"));
    if (inputs.length !== 46) throw new Error(`${f}: expected 46 inputs, got ${inputs.length}`);
    inputs.forEach((t, i) => rows.push({ id: `llamacpp-${pad(i, 2)}`, source: "llama.cpp", text: t }));
  }
  if (want.has("igakuqa")) {
    const dir = path.join(a.shared, "igakuqa/data/2018");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl") && !/_metadata|_translate/.test(f)).sort();
    if (files.length === 0) throw new Error(`${dir}: no IgakuQA files`);
    for (const f of files) {
      for (const q of readJsonl(path.join(dir, f))) {
        rows.push({ id: `igakuqa-${q.problem_id}-q`, source: "igakuqa2018", text: q.problem_text });
        (q.choices || []).forEach((c, i) => rows.push({ id: `igakuqa-${q.problem_id}-c${i}`, source: "igakuqa2018", text: c }));
      }
    }
  }
  if (want.has("medqa")) {
    const qs = readJsonl(path.join(a.shared, "medqa/test.jsonl")).slice(0, a.medqa);
    if (qs.length < a.medqa) throw new Error(`medqa/test.jsonl has only ${qs.length} questions`);
    qs.forEach((q, i) => rows.push({ id: `medqa-${pad(i, 4)}`, source: "medqa", text: q.question }));
  }
  if (want.has("random")) {
    const r = new Rng(a.seed);
    for (let i = 0; i < a.random; i++) rows.push({ id: `random-${pad(i, 5)}`, source: "random", text: randomString(r) });
  }
  const ids = new Set();
  for (const row of rows) {
    if (typeof row.text !== "string") throw new Error(`${row.id}: text is not a string`);
    const wellFormed = typeof row.text.isWellFormed === "function" ? row.text.isWellFormed()
      : !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(row.text);
    if (!wellFormed) throw new Error(`${row.id}: lone surrogate in text`);
    if (ids.has(row.id)) throw new Error(`duplicate id ${row.id}`);
    ids.add(row.id);
  }
  return rows;
}

// ---------------------------------------------------------------- main
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const a = parseArgs(process.argv);
  const rows = collect(a);
  fs.mkdirSync(path.dirname(path.resolve(a.out)), { recursive: true });
  fs.writeFileSync(a.out, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const bySource = {};
  for (const r of rows) bySource[r.source] = (bySource[r.source] || 0) + 1;
  console.error(`make_inputs: ${rows.length} inputs ${JSON.stringify(bySource)} -> ${a.out} ` +
    `(${(performance.now() - t0).toFixed(0)} ms)`);
}
