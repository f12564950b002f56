#!/usr/bin/env python3
"""Exit 0 when two GGUF files hold the same metadata (keys, types and values, in any order) and
the same tensors (names, types, shapes and bytes); otherwise list what differs and exit 1.
Usage: same_gguf_content.py A.gguf B.gguf"""
import struct
import sys

SCALAR_BYTES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


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
    ends = sorted(info[3] for info in infos) + [len(data) - base]
    tensors = {}
    for name, dims, kind, offset in infos:
        end = min(e for e in ends if e > offset)
        tensors[name] = (kind, dims, data[base + offset:base + end])
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
