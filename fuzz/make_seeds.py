#!/usr/bin/env python3
"""Writes small, valid seed inputs for the libFuzzer targets (fuzz/run.sh calls this).

safetensors/: tiny files with several dtypes, shapes and metadata.
gguf/:        tiny llama-architecture GGUF v3 files with an embedded SentencePiece vocabulary
              (normal, control, byte tokens), f32/f16/q8_0 tensors and every metadata value type.
config/:      every config.json the PyTorch reference script wrote (all supported families).
Standard library only; deterministic.
"""
import json
import os
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


def main():
    out, reference = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
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
    if reference and os.path.isdir(reference):
        for case in sorted(os.listdir(reference)):
            config = os.path.join(reference, case, "config.json")
            if os.path.exists(config):
                shutil.copy(config, os.path.join(out, "config", case + ".json"))


if __name__ == "__main__":
    main()
