#!/usr/bin/env python3
"""Trains small SentencePiece models and writes sentencepiece's own ids and decodings for them.

Run by the ctest fixture `sentencepiece.references` with Debian's python3-sentencepiece
(/usr/bin/python3). Usage: make_spm_references.py SHARED_DATA_DIR OUT_DIR

Corpus: the Japanese medical reports of ../shared/data/corpus/ja_medtxt (field 'text') plus a
little English from ../shared/data/corpus/medquad_en_qa.jsonl. Models (OUT_DIR/<name>.model) cover
Unigram and BPE, byte fallback on and off (UNK), user-defined and control symbols, UNUSED pieces,
add_dummy_prefix false, remove_extra_whitespaces true/false, treat_whitespace_as_suffix, the
nmt_nfkc / nfkc / nmt_nfkc_cf / identity normalization rules, a custom rule set with a
denormalizer, and the WORD and CHAR model types.

Texts (OUT_DIR/texts.jsonl, one {"source", "text"} per line):
- every problem_text and choice of IgakuQA 2018 (../shared/data/igakuqa/data/2018/*.jsonl).
  IgakuQA has no license: it is read from ../shared only, at test time, and only this build
  directory gets the derived files; nothing of it is committed.
- the first 200 MedQA questions (../shared/data/medqa/test.jsonl, 'question'),
- edge cases and 300 deterministic random Unicode strings (mixed scripts, emoji, combining marks,
  whitespace runs, digits, control characters; never lone surrogates).
For each model, and for the Llama-2 tokenizer.model in ../shared (as "llama2"), OUT_DIR/<name>.jsonl
has one {"ids": [...], "decoded": "..."} per text.
Training is single-threaded on a fixed corpus, so the models are deterministic.
"""
import glob
import json
import os
import random
import sys

import sentencepiece as spm

CORPUS_EN_LINES = 400


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_corpus(shared, path):
    lines = []
    for record in read_jsonl(os.path.join(shared, "corpus/ja_medtxt/jmedllm_reports_ja.jsonl")):
        lines += [line for line in record["text"].split("\n") if line.strip()]
    for record in read_jsonl(os.path.join(shared, "corpus/medquad_en_qa.jsonl"))[:CORPUS_EN_LINES]:
        lines.append(record["question"])
        lines.append(" ".join(record["answer"].split())[:600])
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line.replace("\r", " ") + "\n")


USER_SYMBOLS = ["<mask>", "[検査]", "mg/dL", "\u2581\u2581", "ＣＴ"]

# name -> trainer arguments (on top of the common ones in train()).
MODELS = {
    # LLM-jp-3 style: Unigram, byte fallback, digits split, nmt_nfkc.
    "unigram_bytes": dict(model_type="unigram", vocab_size=3000, byte_fallback=True, split_digits=True),
    # UNK instead of bytes (characters below the coverage become UNK), NFKC, extra control symbols,
    # a pad piece and a custom unk surface.
    "unigram_unk": dict(model_type="unigram", vocab_size=2000, character_coverage=0.98,
                        normalization_rule_name="nfkc", control_symbols=["<ctl>", "<sep>"], pad_id=3,
                        unk_surface="<?>"),
    # Identity normalization, whitespace kept as is, no dummy prefix, user-defined symbols.
    "unigram_identity": dict(model_type="unigram", vocab_size=2500, byte_fallback=True,
                             normalization_rule_name="identity", add_dummy_prefix=False,
                             remove_extra_whitespaces=False, user_defined_symbols=USER_SYMBOLS),
    # Whitespace as a suffix, case folding, no byte fallback.
    "unigram_suffix": dict(model_type="unigram", vocab_size=2000, treat_whitespace_as_suffix=True,
                           normalization_rule_name="nmt_nfkc_cf", character_coverage=0.99),
    # Llama style BPE: byte fallback, nmt_nfkc.
    "bpe_bytes": dict(model_type="bpe", vocab_size=3000, byte_fallback=True),
    # BPE with UNK, identity normalization, spaces kept, user-defined symbols.
    "bpe_unk": dict(model_type="bpe", vocab_size=2500, character_coverage=0.98, normalization_rule_name="identity",
                    remove_extra_whitespaces=False, user_defined_symbols=USER_SYMBOLS),
    # BPE without dummy prefix, NFKC, whitespace removed, byte fallback, user-defined symbols.
    "bpe_nodummy": dict(model_type="bpe", vocab_size=2000, add_dummy_prefix=False, byte_fallback=True,
                        normalization_rule_name="nfkc", user_defined_symbols=USER_SYMBOLS[:3]),
    # A custom rule set compiled into the charsmap by sentencepiece's builder (multi-character keys
    # for longest match, rules to "" and to spaces) and a denormalizer applied when decoding.
    "unigram_rules": dict(model_type="unigram", vocab_size=2000, byte_fallback=True, rules=True),
    "char": dict(model_type="char", vocab_size=800, character_coverage=0.995, use_all_vocab=True),
    # What a Unigram tokenizer.json without a Precompiled normalizer expresses (tests/tokenizer
    # compares that tokenizer.json with the npm reference): identity rules, dummy prefix, UNK.
    "unigram_plain": dict(model_type="unigram", vocab_size=2000, character_coverage=0.9995,
                          normalization_rule_name="identity", remove_extra_whitespaces=False),
    "word": dict(model_type="word", vocab_size=3000, use_all_vocab=True, hard_vocab_limit=False),
}

# Variants made by rewriting a trained model: every 5th NORMAL piece of two or more characters
# becomes UNUSED (BPE then splits merges into it back; Unigram never produces it).
UNUSED_VARIANTS = {"bpe_unused": "bpe_unk", "unigram_unused": "unigram_unk"}


# Normalization rules (source code points -> target code points), and denormalization rules.
RULES = [("FF76 FF9E", "30AC"), ("FF76", "30AB"), ("FF8A FF9F", "30D1"), ("FF8A", "30CF"), ("3000", "20"),
         ("200B", ""), ("30FB", "20 30FB 20"), ("FF21", "41"), ("41 42", "61 62"), ("2460", "31"), ("FF11", "31"),
         ("9 9", "20"), ("A", "20 20"), ("5B 5B", "5B")]
DENORMALIZATION_RULES = [("3002", "3002 A"), ("67 61", "47 41")]


def write_rules(path, rules):
    with open(path, "w") as f:
        for source, target in rules:
            f.write(source + "\t" + target + "\n")


def train(name, corpus, out):
    args = dict(input=corpus, model_prefix=os.path.join(out, name), num_threads=1, input_sentence_size=0,
                shuffle_input_sentence=False, seed_sentencepiece_size=100000, max_sentence_length=8192)
    args.update(MODELS[name])
    if args.pop("rules", False):
        args["normalization_rule_tsv"] = os.path.join(out, "rules.tsv")
        args["denormalization_rule_tsv"] = os.path.join(out, "denormalization_rules.tsv")
        write_rules(args["normalization_rule_tsv"], RULES)
        write_rules(args["denormalization_rule_tsv"], DENORMALIZATION_RULES)
    with open(os.devnull, "w") as devnull:
        spm.SentencePieceTrainer.train(logstream=devnull, **args)


# --- A minimal protobuf wire-format codec, enough to rewrite ModelProto.pieces ---------------

def read_varint(data, pos):
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def fields(data):
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = read_varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = read_varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError("unexpected wire type")
        yield number, wire, value, data[start:pos]


def make_unused_variant(source_path, target_path):
    data = open(source_path, "rb").read()
    out = bytearray()
    normal_index = 0
    for number, wire, value, raw in fields(data):
        if number != 1:
            out += raw
            continue
        piece, piece_type = b"", 1
        for n, w, v, _ in fields(value):
            if n == 1:
                piece = v
            elif n == 3:
                piece_type = v
        if piece_type == 1 and len(piece.decode("utf-8")) >= 2:
            normal_index += 1
            if normal_index % 5 == 0:
                body = b"".join(r for n, w, v, r in fields(value) if n != 3) + varint(3 << 3) + varint(5)
                out += varint(1 << 3 | 2) + varint(len(body)) + body
                continue
        out += raw
    open(target_path, "wb").write(bytes(out))


# --- Texts ------------------------------------------------------------------------------------

def igakuqa_texts(shared):
    texts = []
    for path in sorted(glob.glob(os.path.join(shared, "igakuqa/data/2018/*.jsonl"))):
        base = os.path.basename(path)
        if "_metadata" in base or "_translate" in base:
            continue
        for record in read_jsonl(path):
            texts.append(record["problem_text"])
            texts.extend(record["choices"])
    return texts


def ranges(*pairs):
    out = []
    for lo, hi in pairs:
        out.extend(chr(c) for c in range(lo, hi + 1) if not 0xD800 <= c <= 0xDFFF)
    return out


POOLS = [
    ranges((0x20, 0x7E)),                                   # ASCII
    ranges((0x30, 0x39), (0xFF10, 0xFF19), (0x2460, 0x2473), (0x2160, 0x216B)),  # digits, ①, Ⅻ
    ranges((0x3041, 0x3096), (0x30A1, 0x30FA)),             # hiragana, katakana
    ranges((0xFF61, 0xFF9F)),                               # half-width katakana
    ranges((0x4E00, 0x4FFF), (0x75C5, 0x75D5), (0x80BA, 0x80C0)),  # CJK (incl. 病, 肺)
    ranges((0xFF01, 0xFF5E), (0x3000, 0x303F)),             # full-width ASCII, CJK punctuation
    ranges((0x0300, 0x036F), (0x3099, 0x309A)),             # combining marks, (han)dakuten
    ranges((0x1F300, 0x1F64F), (0x1F900, 0x1F9FF)) + ["\u200d", "\ufe0f", "\U0001F3FB"],  # emoji
    [" ", "  ", "   ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2002", "\u200b", "\u2581", " \u3000 "],
    ranges((0x0391, 0x03C9), (0x0410, 0x044F), (0xAC00, 0xAC40), (0x0627, 0x064A), (0x0905, 0x0939),
           (0x0E01, 0x0E30)),                               # Greek, Cyrillic, Hangul, Arabic, Devanagari, Thai
    ["\ufb01", "\u337f", "\u3314", "\u00bd", "\u00b2", "\u2122", "\u00c5", "A\u030a", "\u1e9b\u0323",
     "\u2126", "\u212b", "\uff76\uff9e", "\u3231", "\u32a4", "\u00df", "\u0130", "\u03a3"],  # NFKC-sensitive
    ["\x00", "\x01", "\x07", "\x1f", "\x7f", "\u0085", "\ufeff", "\ufffd", "\ufffe", "\U0010ffff",
     "\ue000", "<s>", "</s>", "<unk>", "<mask>", "[検査]", "mg/dL", "<0x41>"],  # controls, specials
]


def random_strings(count, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        length = rng.randint(0, 40)
        pools = rng.sample(range(len(POOLS)), rng.randint(1, 4))
        out.append("".join(rng.choice(POOLS[rng.choice(pools)]) for _ in range(length)))
    return out


EDGE_CASES = [
    "", " ", "  ", "\u3000", "\t\n", "\u2581", "\u2581\u2581 \u2581", "a", " a", "a ", "  a  b  ", "a\u3000\u3000b",
    "Hello world", "Hello  world", " Hello world ", "   leading", "trailing   ", "tab\there", "new\nline",
    "<s>Hello</s>", "<unk>", "<mask> and <mask><mask>", "[検査]値は12.5mg/dL", "ＣＴでＣＴ値を測定", "ｶﾀｶﾅ ﾊﾝｶｸ",
    "①②③ Ⅳ ㍿ ㌔ ﬁne ½", "Ａｌｐｈａ　ｂｅｔａ", "e\u0301 vs \u00e9", "👍🏻👨‍👩‍👧 ok", "12345 67890 ０１２３",
    "\u200b\u200bzero width", "日本語の文章です。", "x" * 300, "検査" * 80, "\u00a0\u00a0nbsp", "  \u2581a",
    "ｶﾞｶﾊﾟﾊｶﾞﾞ", "AB ab ABC ＡB", "[[x]] [[[", "\t\tx\t\t\ty", "a・b ・ ・c", "\u200b a\u200b", "ga。gaga。",
    "\n\nx\n", " \n \n ", "①\u3000１\u3000\u3000ｶ",
]


def main():
    shared, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    corpus = os.path.join(out, "corpus.txt")
    write_corpus(shared, corpus)
    for name in MODELS:
        train(name, corpus, out)
    for name, source in UNUSED_VARIANTS.items():
        make_unused_variant(os.path.join(out, source + ".model"), os.path.join(out, name + ".model"))

    texts = [("igakuqa2018", t) for t in igakuqa_texts(shared)]
    texts += [("medqa", r["question"]) for r in read_jsonl(os.path.join(shared, "medqa/test.jsonl"))[:200]]
    texts += [("edge", t) for t in EDGE_CASES]
    texts += [("random", t) for t in random_strings(300, 20240607)]
    with open(os.path.join(out, "texts.jsonl"), "w", encoding="utf-8") as f:
        for source, text in texts:
            f.write(json.dumps({"source": source, "text": text}) + "\n")

    model_files = {name: os.path.join(out, name + ".model") for name in list(MODELS) + list(UNUSED_VARIANTS)}
    # The Llama-2 tokenizer.model too (read from ../shared, not copied).
    model_files["llama2"] = os.path.join(shared, "tokenizer-vectors/llama2-tokenizer/tokenizer.model")
    names = list(model_files)
    for name in names:
        sp = spm.SentencePieceProcessor(model_file=model_files[name])
        with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for _, text in texts:
                ids = sp.encode(text)
                f.write(json.dumps({"ids": ids, "decoded": sp.decode(ids)}) + "\n")
    with open(os.path.join(out, "models.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print("wrote %d models x %d texts to %s" % (len(names), len(texts), out))


if __name__ == "__main__":
    main()
