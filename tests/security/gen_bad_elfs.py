#!/usr/bin/env python3
"""Generate hostile executables for the loader's end-to-end security test.

    gen_bad_elfs.py OUTDIR            write the files and OUTDIR/MANIFEST
    gen_bad_elfs.py OUTDIR --native   also execve each one natively and print
                                      what Linux returns next to our expectation

MANIFEST has one line per file: NAME EXPECTED NATIVE REASON-SUBSTRING, where
EXPECTED is an errno name the sandbox's execve must fail with (or "exit:N" for
the positive controls, which must run and exit with N), NATIVE is what Linux
6.x does with the same file (measured with --native), and REASON-SUBSTRING (or
"-") is what the loader's one-line reason should contain when it is logged.

EXPECTED and NATIVE differ on purpose for the files in LINUX_KILLS_LATE: Linux
finds those broken only after execve's point of no return and kills the new
program with SIGSEGV; the sandbox's loader validates every program header
before mapping anything and fails execve with ENOEXEC instead.
Everything is derived from a tiny hand-made static ELF (no host binaries), and
the random bytes come from a fixed seed, so the files are the same each run.
"""
import errno
import os
import random
import struct
import sys

PAGE = 0x1000
BASE = 0x400000
EHDR_FMT = "<16sHHIQQQIHHHHHH"   # Elf64_Ehdr
PHDR_FMT = "<IIQQQQQQ"           # Elf64_Phdr
EHDR_SIZE = struct.calcsize(EHDR_FMT)  # 64
PHDR_SIZE = struct.calcsize(PHDR_FMT)  # 56
PT_LOAD, PT_INTERP, PT_GNU_STACK = 1, 3, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
EM_X86_64, EM_AARCH64 = 62, 183


def ident(cls=2, data=1, version=1):
    return b"\x7fELF" + bytes([cls, data, version, 0]) + bytes(8)


def code(status):
    # mov edi, status; mov eax, 60 (exit); syscall
    return b"\xbf" + struct.pack("<I", status) + b"\xb8\x3c\x00\x00\x00\x0f\x05"


def elf(status=42, phdrs=None, interp=None, **eh):
    """A static ET_EXEC that exits with status; keyword args override
    ELF header fields, phdrs(default_list) may rewrite the program headers."""
    nph = 2 + (1 if interp is not None else 0)
    body_off = EHDR_SIZE + nph * PHDR_SIZE
    interp_bytes = interp if interp is not None else b""
    text = interp_bytes + code(status)
    entry_off = body_off + len(interp_bytes)
    size = body_off + len(text)
    ph = [[PT_LOAD, PF_R | PF_X, 0, BASE, BASE, size, size, PAGE],
          [PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 16]]
    if interp is not None:
        ph.insert(0, [PT_INTERP, PF_R, body_off, BASE + body_off, BASE + body_off,
                      len(interp_bytes), len(interp_bytes), 1])
    if phdrs:
        ph = phdrs(ph)
    f = dict(ident=ident(), type=ET_EXEC, machine=EM_X86_64, version=1,
             entry=BASE + entry_off, phoff=EHDR_SIZE, shoff=0, flags=0,
             ehsize=EHDR_SIZE, phentsize=PHDR_SIZE, phnum=len(ph), shentsize=64,
             shnum=0, shstrndx=0)
    f.update(eh)
    hdr = struct.pack(EHDR_FMT, f["ident"], f["type"], f["machine"], f["version"],
                      f["entry"], f["phoff"], f["shoff"], f["flags"], f["ehsize"],
                      f["phentsize"], f["phnum"], f["shentsize"], f["shnum"],
                      f["shstrndx"])
    table = b"".join(struct.pack(PHDR_FMT, *p) for p in ph)
    out = hdr + table[: max(0, body_off - EHDR_SIZE)]
    out = out.ljust(body_off, b"\0") + text
    return out


def set_load(field, value):
    idx = {"type": 0, "flags": 1, "offset": 2, "vaddr": 3, "paddr": 4,
           "filesz": 5, "memsz": 6, "align": 7}[field]

    def f(ph):
        for p in ph:
            if p[0] == PT_LOAD:
                p[idx] = value
        return ph
    return f


LINUX_KILLS_LATE = {"elf_filesz_gt_memsz", "elf_vaddr_overflow", "elf_vaddr_kernel",
                    "elf_misaligned_offset", "elf_offset_huge", "elf_no_load",
                    "elf_entry_kernel"}


def native_of(name, expected):
    return "signal:11" if name in LINUX_KILLS_LATE else expected


def interp_past_eof(ph):
    for p in ph:
        if p[0] == PT_INTERP:
            p[2] = 1 << 20
    return ph


def cases(outdir):
    rng = random.Random(20240601)
    good = elf()
    c = []  # (name, bytes, expected, reason, mode)
    c.append(("valid_exit42", good, "exit:42", "-", 0o755))
    c.append(("random_bytes", bytes(rng.getrandbits(8) for _ in range(4096)),
              "ENOEXEC", "not an ELF", 0o755))
    c.append(("random_after_magic", b"\x7fELF" + bytes(rng.getrandbits(8) for _ in range(4092)),
              "ENOEXEC", "-", 0o755))
    c.append(("empty", b"", "ENOEXEC", "not an ELF", 0o755))
    c.append(("not_executable", good, "EACCES", "-", 0o644))
    for n in (3, 4, 20, 63):
        c.append((f"truncated_ehdr_{n}", good[:n], "ENOEXEC", "-", 0o755))
    c.append(("truncated_phdrs", good[: EHDR_SIZE + PHDR_SIZE // 2], "ENOEXEC", "-", 0o755))
    # Linux ignores EI_CLASS/EI_DATA: these run.
    c.append(("elf_32bit_class", elf(ident=ident(cls=1)), "exit:42", "-", 0o755))
    c.append(("elf_32bit_phent32", elf(ident=ident(cls=1), phentsize=32), "ENOEXEC", "32-bit", 0o755))
    c.append(("elf_big_endian_flag", elf(ident=ident(data=2)), "exit:42", "-", 0o755))
    c.append(("elf_et_rel", elf(type=ET_REL), "ENOEXEC", "not an executable", 0o755))
    c.append(("elf_wrong_machine", elf(machine=EM_AARCH64), "ENOEXEC", "unsupported machine", 0o755))
    c.append(("elf_phentsize_32", elf(phentsize=32), "ENOEXEC", "program header size", 0o755))
    c.append(("elf_phnum_0", elf(phnum=0), "ENOEXEC", "no program headers", 0o755))
    c.append(("elf_phnum_ffff", elf(phnum=0xFFFF), "ENOEXEC", "too many program headers", 0o755))
    c.append(("elf_phoff_huge", elf(phoff=(1 << 63) - 8), "ENOEXEC", "-", 0o755))
    c.append(("elf_phoff_past_eof", elf(phoff=1 << 30), "ENOEXEC", "-", 0o755))
    c.append(("elf_filesz_gt_memsz", elf(phdrs=set_load("memsz", 8)), "ENOEXEC",
              "file size larger than memory size", 0o755))
    c.append(("elf_vaddr_overflow", elf(phdrs=set_load("memsz", (1 << 64) - 0x1000)),
              "ENOEXEC", "outside the user address space", 0o755))
    c.append(("elf_vaddr_kernel", elf(phdrs=set_load("vaddr", 0xFFFF800000000000)),
              "ENOEXEC", "outside the user address space", 0o755))
    c.append(("elf_misaligned_offset", elf(phdrs=set_load("offset", 0x10)),
              "ENOEXEC", "modulo page size", 0o755))
    c.append(("elf_offset_huge", elf(phdrs=set_load("offset", (1 << 64) - PAGE)),
              "ENOEXEC", "-", 0o755))
    c.append(("elf_exec_align_huge", elf(phdrs=set_load("align", 1 << 62)), "exit:42", "-", 0o755))
    c.append(("elf_no_load", elf(phdrs=lambda ph: [p for p in ph if p[0] != PT_LOAD]),
              "ENOEXEC", "no loadable segments", 0o755))
    c.append(("elf_entry_kernel", elf(entry=0xFFFFFFFF81000000), "ENOEXEC", "entry point", 0o755))
    c.append(("elf_interp_unterminated", elf(interp=b"/lib64/ld-linux-x86-64.so.2X"),
              "ENOEXEC", "NUL-terminated", 0o755))
    c.append(("elf_interp_missing", elf(interp=b"/nonexistent/ld.so\0"),
              "ENOENT", "interpreter /nonexistent/ld.so not found", 0o755))
    c.append(("elf_interp_is_script", elf(interp=(outdir + "/script_long\0").encode()),
              "ELIBBAD", "not an ELF file", 0o755))
    c.append(("elf_interp_wrong_machine", elf(interp=(outdir + "/elf_wrong_machine\0").encode()),
              "ELIBBAD", "unsupported machine", 0o755))
    c.append(("elf_interp_is_short_script", elf(interp=(outdir + "/script_to_valid\0").encode()),
              "EIO", "truncated ELF header", 0o755))
    c.append(("elf_interp_past_eof", elf(phdrs=interp_past_eof, interp=b"/lib64/ld.so\0"),
              "EIO", "truncated interpreter path", 0o755))
    c.append(("elf_interp_too_long", elf(interp=b"/" + b"a" * 4200 + b"\0"),
              "ENOEXEC", "interpreter path length", 0o755))
    c.append(("script_to_valid", f"#!{outdir}/valid_exit42\n".encode(), "exit:42", "-", 0o755))
    c.append(("script_long", f"#!{outdir}/valid_exit42\n".encode() + b"#" * 200 + b"\n",
              "exit:42", "-", 0o755))
    c.append(("script_empty_interp", b"#!\n", "ENOEXEC", "-", 0o755))
    c.append(("script_long_interp", b"#!/" + b"a" * 300 + b"\n", "ENOEXEC", "too long", 0o755))
    c.append(("script_missing_interp", b"#!/nonexistent/sh -e\n", "ENOENT",
              "interpreter /nonexistent/sh not found", 0o755))
    c.append(("script_loop", f"#!{outdir}/script_loop\n".encode(), "ELOOP", "-", 0o755))
    return c


def run_native(path):
    """execve path natively in a child: ("exit:N") or an errno name."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.execv(path, [path])
        except OSError as e:
            os.write(w, str(e.errno).encode())
        os._exit(127)
    os.close(w)
    msg = os.read(r, 64)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if msg:
        return errno.errorcode[int(msg)]
    if os.WIFSIGNALED(status):
        return f"signal:{os.WTERMSIG(status)}"
    return f"exit:{os.WEXITSTATUS(status)}"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = os.path.abspath(sys.argv[1])
    os.makedirs(outdir, exist_ok=True)
    lines = []
    all_cases = cases(outdir)
    for name, data, expected, reason, mode in all_cases:
        path = os.path.join(outdir, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        lines.append(f"{name} {expected} {native_of(name, expected)} {reason}")
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if "--native" in sys.argv:
        for name, _, expected, _, _ in all_cases:
            native = run_native(os.path.join(outdir, name))
            mark = "" if native == native_of(name, expected) else "   <-- NATIVE column is wrong"
            print(f"{name:28} expected {expected:10} native {native}{mark}")


if __name__ == "__main__":
    main()
