#!/usr/bin/python3
"""SentencePiece side of the Llama-2 check (Debian python3-sentencepiece, /usr/bin/python3).

    /usr/bin/python3 spm_reference.py convert --model tokenizer.model --out DIR
    /usr/bin/python3 spm_reference.py encode  --model tokenizer.model --input INPUTS.jsonl --output OUT.jsonl

convert  writes DIR/tokenizer.json + DIR/tokenizer_config.json for a Llama-2 style SentencePiece BPE model
         the way transformers' LlamaConverter (legacy=True, the Llama-2 default) builds it: BPE with
         byte_fallback and fuse_unk, vocab = the pieces in id order, merges = every split of every piece
         into two pieces, ordered by the merged piece's score (SentencePieceExtractor); normalizer
         Prepend("\u2581") + Replace(" ", "\u2581"); no pre-tokenizer; TemplateProcessing "<s> $A";
         decoder Replace/ByteFallback/Fuse/Strip(1 leading space). The npm implementations then tokenize
         with it, so their ids can be checked against SentencePiece itself (ggml-vocab-llama-spm.gguf.out,
         medical-ja-en.out and `encode` below).
encode   {"id","ids"} per input: sp.encode(text) without BOS, i.e. SentencePiece's own ids.

The generated files carry the Llama 2 tokenizer (Llama 2 Community License): write them into the build
directory, do not commit them.
"""
import argparse
import json
import os
import sys

import sentencepiece as spm


def convert(model, out):
    sp = spm.SentencePieceProcessor(model_file=model)
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    vocab = {p: i for i, p in enumerate(pieces)}
    if len(vocab) != n:
        raise SystemExit("duplicate pieces")
    scores = [sp.get_score(i) for i in range(n)]
    # transformers' SentencePieceExtractor.extract(vocab_scores): for each piece (in id order), every split
    # into two in-vocabulary pieces, sorted by (id of left, id of right); then all merges stably sorted by
    # the merged piece's score, highest first.
    merges = []
    for i, piece in enumerate(pieces):
        if sp.is_unknown(i) or sp.is_control(i) or sp.is_byte(i):
            continue
        local = []
        for k in range(1, len(piece)):
            left, right = piece[:k], piece[k:]
            if left in vocab and right in vocab:
                local.append((left, right, scores[i]))
        local.sort(key=lambda x: (vocab[x[0]], vocab[x[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)
    unk, bos, eos = sp.unk_id(), sp.bos_id(), sp.eos_id()
    added = []
    for i in (unk, bos, eos):
        added.append({"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True})
    tj = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": pieces[bos], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": pieces[bos], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": pieces[bos], "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {pieces[bos]: {"id": pieces[bos], "ids": [bos], "tokens": [pieces[bos]]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": pieces[unk], "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [[m[0], m[1]] for m in merges]},
    }
    tc = {"add_bos_token": True, "add_eos_token": False, "bos_token": pieces[bos], "eos_token": pieces[eos],
          "unk_token": pieces[unk], "pad_token": None, "clean_up_tokenization_spaces": False, "legacy": True,
          "model_max_length": 4096, "tokenizer_class": "LlamaTokenizer",
          "added_tokens_decoder": {str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in added}}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tc, f, ensure_ascii=False, indent=1)
    print(f"spm_reference convert: {n} pieces, {len(merges)} merges -> {out}", file=sys.stderr)


def _varint(data, pos):
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def _fields(data):
    """(field number, wire type, value) of a protobuf message; value is bytes for length-delimited fields."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        else:
            raise SystemExit("unsupported wire type %d" % wire)
        yield number, wire, value


def convert_unigram(model, out):
    """A Unigram tokenizer.json the way transformers' SpmConverter builds one: Unigram vocab with scores,
    normalizer Precompiled(charsmap) + (when the model removes extra whitespace) Strip(right) +
    Replace(" {2,}", "▁"), Metaspace pre-tokenizer and
    decoder (prepend_scheme always when the model adds a dummy prefix)."""
    import base64
    sp = spm.SentencePieceProcessor(model_file=model)
    data = open(model, "rb").read()
    charsmap, add_dummy_prefix, remove_extra_whitespaces = b"", True, True
    for number, _, value in _fields(data):
        if number == 3:  # normalizer_spec
            for n2, _, v2 in _fields(value):
                if n2 == 2:
                    charsmap = v2
                elif n2 == 3:
                    add_dummy_prefix = bool(v2)
                elif n2 == 4:
                    remove_extra_whitespaces = bool(v2)
    n = sp.get_piece_size()
    vocab = [[sp.id_to_piece(i), sp.get_score(i)] for i in range(n)]
    byte_fallback = any(sp.is_byte(i) for i in range(n))
    added = [{"id": i, "content": sp.id_to_piece(i), "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
    normalizers = []
    if remove_extra_whitespaces:  # transformers' converter approximates SentencePiece's whitespace cleanup
        normalizers = [{"type": "Strip", "strip_left": False, "strip_right": True},
                       {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"}]
    if charsmap:
        normalizers.insert(0, {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()})
    scheme = "always" if add_dummy_prefix else "never"
    tj = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
          "normalizer": {"type": "Sequence", "normalizers": normalizers},
          "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": True},
          "post_processor": None,
          "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": True},
          "model": {"type": "Unigram", "unk_id": sp.unk_id(), "vocab": vocab, "byte_fallback": byte_fallback}}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    print(f"spm_reference convert-unigram: {n} pieces, charsmap {len(charsmap)} bytes -> {out}", file=sys.stderr)


def encode(model, inp, outp):
    sp = spm.SentencePieceProcessor(model_file=model)
    n = 0
    with open(inp, encoding="utf-8") as fin, open(outp, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            row = json.loads(line)
            ids = sp.encode(row["text"])
            fout.write(json.dumps({"id": row["id"], "ids": ids, "decoded": sp.decode(ids)}, ensure_ascii=False) + "\n")
            n += 1
    print(f"spm_reference encode: sentencepiece {spm.__version__}, {n} inputs -> {outp}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("--model", required=True)
    c.add_argument("--out", required=True)
    u = sub.add_parser("convert-unigram")
    u.add_argument("--model", required=True)
    u.add_argument("--out", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--model", required=True)
    e.add_argument("--input", required=True)
    e.add_argument("--output", required=True)
    a = ap.parse_args()
    if a.cmd == "convert":
        convert(a.model, a.out)
    elif a.cmd == "convert-unigram":
        convert_unigram(a.model, a.out)
    else:
        encode(a.model, a.input, a.output)


if __name__ == "__main__":
    main()
