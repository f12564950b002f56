#!/usr/bin/python3
"""Audit helper (not used by the tests): the Split pre-tokenizer regexes of a tokenizer.json, run with
Oniguruma, the regex engine Python `tokenizers` (Rust, `onig` crate) compiles them with.

    /usr/bin/python3 onig_split.py --tokenizer DIR --input INPUTS.jsonl --output SPLITS.jsonl

For every input, writes {"id", "pieces": [...]} where pieces are the result of applying every
Split{pattern: Regex, behavior: Isolated, invert: false} of the pre_tokenizer (in order, each to the
pieces of the previous one) to the raw text: no normalizer, no added-token extraction. Compare with
split_js.mjs, which does the same with the npm implementations' translated regexes.

Uses Debian's libonig5 (Oniguruma 6.9.8) through ctypes: ONIG_SYNTAX_DEFAULT (Ruby), ONIG_OPTION_NONE,
UTF-8, find-all-matches the way the `onig` crate's find_iter does (tokenizers' SysRegex::find_iter).
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import sys


class OnigRegion(ctypes.Structure):
    _fields_ = [("allocated", ctypes.c_int), ("num_regs", ctypes.c_int),
                ("beg", ctypes.POINTER(ctypes.c_int)), ("end", ctypes.POINTER(ctypes.c_int)),
                ("history_root", ctypes.c_void_p)]


class OnigErrorInfo(ctypes.Structure):
    _fields_ = [("enc", ctypes.c_void_p), ("par", ctypes.c_void_p), ("par_end", ctypes.c_void_p)]


def load_onig():
    name = ctypes.util.find_library("onig") or "libonig.so.5"
    lib = ctypes.CDLL(name)
    enc = ctypes.addressof(ctypes.c_char.in_dll(lib, "OnigEncodingUTF8"))
    syntax = ctypes.c_void_p.in_dll(lib, "OnigDefaultSyntax").value
    lib.onig_initialize.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    encs = (ctypes.c_void_p * 1)(enc)
    if lib.onig_initialize(encs, 1) != 0:
        raise RuntimeError("onig_initialize failed")
    lib.onig_new.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint,
                             ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(OnigErrorInfo)]
    lib.onig_region_new.restype = ctypes.POINTER(OnigRegion)
    lib.onig_search.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                ctypes.POINTER(OnigRegion), ctypes.c_uint]
    lib.onig_version.restype = ctypes.c_char_p
    return lib, enc, syntax


class Regex:
    def __init__(self, onig, pattern):
        self.lib, enc, syntax = onig
        pat = pattern.encode("utf-8")
        self.reg = ctypes.c_void_p()
        einfo = OnigErrorInfo()
        buf = ctypes.create_string_buffer(pat, len(pat))
        base = ctypes.addressof(buf)
        r = self.lib.onig_new(ctypes.byref(self.reg), ctypes.c_char_p(base), ctypes.c_char_p(base + len(pat)), 0, enc,
                              syntax, ctypes.byref(einfo))
        if r != 0:
            raise RuntimeError(f"onig_new failed ({r}) for {pattern!r}")
        self.region = self.lib.onig_region_new()

    def find_iter(self, text):
        """(start, end) byte offsets of successive matches, as onig's FindMatches iterator yields them."""
        data = text.encode("utf-8")
        buf = ctypes.create_string_buffer(data, len(data) + 1)
        base = ctypes.addressof(buf)
        n = len(data)
        pos = 0
        last_end = None
        out = []
        while pos <= n:
            r = self.lib.onig_search(self.reg, ctypes.c_char_p(base), ctypes.c_char_p(base + n),
                                     ctypes.c_char_p(base + pos), ctypes.c_char_p(base + n), self.region, 0)
            if r < 0:  # ONIG_MISMATCH (-1) or an error
                break
            s, e = self.region.contents.beg[0], self.region.contents.end[0]
            if s == e and last_end == e:
                # empty match right after the previous match: step one character and retry
                pos = e + 1
                while pos < n and (data[pos] & 0xC0) == 0x80:
                    pos += 1
                continue
            out.append((s, e))
            last_end = e
            if e == s:
                pos = e + 1
                while pos < n and (data[pos] & 0xC0) == 0x80:
                    pos += 1
            else:
                pos = e
        return data, out


def isolated_split(regex, text):
    data, matches = regex.find_iter(text)
    pieces, prev = [], 0
    for s, e in matches:
        if s > prev:
            pieces.append(data[prev:s].decode("utf-8"))
        if e > s:
            pieces.append(data[s:e].decode("utf-8"))
        prev = e
    if prev < len(data):
        pieces.append(data[prev:].decode("utf-8"))
    return pieces


def split_patterns(pre):
    if pre is None:
        return []
    if pre.get("type") == "Sequence":
        return [p for sub in pre.get("pretokenizers", []) for p in split_patterns(sub)]
    if pre.get("type") == "Split" and "Regex" in pre.get("pattern", {}):
        if pre.get("behavior") != "Isolated" or pre.get("invert"):
            raise SystemExit(f"only Split/Isolated/invert=false is handled, got {pre}")
        return [pre["pattern"]["Regex"]]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    with open(os.path.join(a.tokenizer, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    onig = load_onig()
    regexes = [Regex(onig, p) for p in split_patterns(tj.get("pre_tokenizer"))]
    if not regexes:
        raise SystemExit("no Split regex in this tokenizer's pre_tokenizer")
    n = 0
    with open(a.input, encoding="utf-8") as fin, open(a.output, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            row = json.loads(line)
            pieces = [row["text"]] if row["text"] else []
            for rx in regexes:
                pieces = [q for p in pieces for q in isolated_split(rx, p)]
            fout.write(json.dumps({"id": row["id"], "pieces": pieces}, ensure_ascii=False) + "\n")
            n += 1
    print(f"onig_split: Oniguruma {onig[0].onig_version().decode()}, {len(regexes)} regex(es), {n} inputs -> {a.output}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
