#!/usr/bin/env python3
"""Exit 0 when two GGUF files hold the same metadata (keys, types and values, in any order) and
the same tensors (names, types, shapes and bytes); otherwise list what differs and exit 1.
Usage: same_gguf_content.py A.gguf B.gguf"""
import struct
import sys

SCALAR_BYTES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
# ggml type -> (elements per block, bytes per block): only a tensor's own bytes are compared, not
# the alignment padding after it.
BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 10: (256, 84),
          11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 20: (32, 18), 23: (256, 136),
          30: (1, 2)}


def read(path):
    data = open(path, 'rb').read()
    pos = 0

    def take(fmt):
        nonlocal pos
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return value

    def string():
        nonlocal pos
        n = take('<Q')
        pos += n
        return data[pos - n:pos].decode()

    def value(kind):
        nonlocal pos
        if kind == 8:
            return string()
        if kind == 9:
            item, count = take('<I'), take('<Q')
            return (item, tuple(value(item) for _ in range(count)))
        pos += SCALAR_BYTES[kind]
        return data[pos - SCALAR_BYTES[kind]:pos]

    if data[:4] != b'GGUF':
        sys.exit(f'{path}: not a GGUF file')
    pos = 4
    take('<I')  # version
    tensor_count, key_count = take('<Q'), take('<Q')
    metadata = {}
    for _ in range(key_count):
        key = string()
        kind = take('<I')
        metadata[key] = (kind, value(kind))
    alignment = struct.unpack('<I', metadata['general.alignment'][1])[0] if 'general.alignment' in metadata else 32
    infos = []
    for _ in range(tensor_count):
        name = string()
        dims = tuple(take('<Q') for _ in range(take('<I')))
        infos.append((name, dims, take('<I'), take('<Q')))
    base = (pos + alignment - 1) // alignment * alignment
    tensors = {}
    for name, dims, kind, offset in infos:
        if kind not in BLOCKS:
            sys.exit(f'{path}: tensor {name} has ggml type {kind}, which this script does not size')
        elements, (block, block_bytes) = 1, BLOCKS[kind]
        for d in dims:
            elements *= d
        size = elements // block * block_bytes
        tensors[name] = (kind, dims, data[base + offset:base + offset + size])
    return metadata, tensors


def main():
    (meta_a, tensors_a), (meta_b, tensors_b) = read(sys.argv[1]), read(sys.argv[2])
    differences = [f'metadata {k}' for k in sorted(set(meta_a) | set(meta_b)) if meta_a.get(k) != meta_b.get(k)]
    differences += [f'tensor {n}' for n in sorted(set(tensors_a) | set(tensors_b)) if tensors_a.get(n) != tensors_b.get(n)]
    for line in differences:
        print('differs:', line)
    sys.exit(1 if differences else 0)


if __name__ == '__main__':
    main()
