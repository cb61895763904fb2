#!/usr/bin/env python3
"""check_image.py VDSO.so - fail the build unless the vDSO image is what the
sentry can map as is (docs/vdso.md): a 64-bit x86-64 ET_DYN with one PT_LOAD
at address 0, a PT_DYNAMIC with DT_HASH, and no relocations at all (nothing
relocates the vDSO: a compiler that emits a pointer table or a GOT entry
would break it silently)."""
import struct
import sys

REQUIRED = ["__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
            "__vdso_getcpu", "__vdso_clock_getres", "clock_gettime",
            "gettimeofday", "time", "getcpu", "clock_getres"]


def fail(msg):
    sys.exit("%s: %s" % (sys.argv[1], msg))


def main():
    data = open(sys.argv[1], "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        fail("not a 64-bit little-endian ELF")
    (e_type, e_machine, _, _, e_phoff, e_shoff, _, _, e_phentsize, e_phnum,
     e_shentsize, e_shnum, _) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if e_type != 3 or e_machine != 62:
        fail("not an x86-64 ET_DYN")
    loads, dyn = [], None
    for i in range(e_phnum):
        p_type, _, p_off, p_vaddr, _, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", data, e_phoff + i * e_phentsize)
        if p_type == 1:
            loads.append((p_off, p_vaddr))
        elif p_type == 2:
            dyn = (p_off, p_filesz)
    if len(loads) != 1 or loads[0] != (0, 0):
        fail("want exactly one PT_LOAD at offset and address 0, got %r" % loads)
    if not dyn:
        fail("no PT_DYNAMIC")
    tags = {}
    for off in range(dyn[0], dyn[0] + dyn[1], 16):
        tag, val = struct.unpack_from("<qQ", data, off)
        if tag == 0:
            break
        tags[tag] = val
    # DT_REL(A)/DT_RELR/DT_JMPREL/DT_TEXTREL: anything the loader would apply.
    for tag, name in ((7, "DT_RELA"), (17, "DT_REL"), (36, "DT_RELR"),
                      (23, "DT_JMPREL"), (22, "DT_TEXTREL")):
        if tag in tags:
            fail("has %s: the vDSO must need no relocation" % name)
    for tag, name in ((4, "DT_HASH"), (6, "DT_SYMTAB"), (5, "DT_STRTAB"),
                      (0x6ffffff0, "DT_VERSYM"), (0x6ffffffc, "DT_VERDEF")):
        if tag not in tags:
            fail("lacks %s" % name)
    nsyms = struct.unpack_from("<I", data, tags[4] + 4)[0]
    names = set()
    for i in range(1, nsyms):
        st_name, st_info, _, st_shndx, _, _ = struct.unpack_from(
            "<IBBHQQ", data, tags[6] + i * 24)
        if st_shndx == 0:
            fail("undefined dynamic symbol")
        end = data.index(b"\0", tags[5] + st_name)
        names.add(data[tags[5] + st_name:end].decode())
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        fail("lacks symbols %s" % ", ".join(missing))


if __name__ == "__main__":
    main()
