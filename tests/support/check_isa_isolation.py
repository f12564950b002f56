#!/usr/bin/python3
"""The AVX-512 kernels live in `#pragma GCC target` regions (src/kernels/simd/target.hpp) so that
no AVX-512 instruction reaches code an AVX2 machine runs. The one way it could: a function the
linker may share between object files (a weak, COMDAT symbol: an inline function or template
instantiation) compiled with AVX-512 code in it. This check fails if any weak symbol of the given
static libraries uses a zmm register, an AVX-512 mask register, one of the registers 16-31, or a
VNNI instruction (clang's `#pragma clang attribute` regions, and the VNNI set, are checked alike).

    check_isa_isolation.py LIBRARY.a [LIBRARY.a ...]
"""
import re
import subprocess
import sys

# zmm and mask registers, the upper 16 vector registers, and VNNI (EVEX-encoded even on ymm).
AVX512 = re.compile(r"%zmm|%k[1-7]\b|\{%k[0-7]\}|%[xy]mm(1[6-9]|2[0-9]|3[01])\b|vpdpbusd|vpdpwssd")


def weak_symbols(library):
    out = subprocess.run(["nm", "--defined-only", library], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if len(line.split()) == 3 and line.split()[1] in "WV"}


def functions_using_avx512(library):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", library], capture_output=True, text=True,
                         check=True).stdout
    current, found = None, set()
    for line in out.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if header:
            current = header.group(1)
        elif current and AVX512.search(line):
            found.add(current)
    return found


def main():
    bad = []
    checked = 0
    for library in sys.argv[1:]:
        weak = weak_symbols(library)
        checked += len(weak)
        bad += [(library, name) for name in sorted(functions_using_avx512(library) & weak)]
    for library, name in bad:
        print(f"{library}: shared (weak) function {name} contains AVX-512 code")
    if not checked:
        sys.exit("no weak symbols found: the check inspected nothing")
    print(f"{checked} weak symbols checked, {len(bad)} with AVX-512 code")
    sys.exit(1 if bad else 0)


main()
