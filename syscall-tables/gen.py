#!/usr/bin/env python3
"""Generate the sentry's syscall tables and docs/compatibility.md.

Inputs (in the directory given by --dir, default: this script's directory):
  x86_64.tbl  one row per syscall: number name status args ret note
  flags.tbl   named flag/enum sets used as argument formats by --strace
  errno.tbl   errno names and messages

Commands:
  sources --out DIR     write syscall_table.h, syscall_table.c, strace_tables.c
  doc --out FILE        write the compatibility table (Markdown)
  doc --check FILE      exit 1 if FILE is not what `doc` would write
  check                 only validate the tables
  linked --binary EXE [--nm NM]
                        exit 1 unless EXE (the linked sentry) defines sys_<name>
                        exactly for the rows marked implemented or partial

The table format is documented at the top of x86_64.tbl. Any malformed row
stops the build with file:line: message. Standard library only.
"""

import argparse
import os
import re
import subprocess
import sys

MAX_ARGS = 6
STATUSES = ("none", "partial", "implemented")
# Built-in argument formats; the numbering is shared with sentry/syscalls/table.h
# (enum sysarg_fmt), so keep both in the same order.
BUILTIN_FMTS = ("int", "uint", "hex", "ptr", "fd", "size", "ssize", "off", "path",
                "str_in", "buf_in", "buf_out", "mode", "argv", "envp")
ARGFMT_SET_BASE = 32
LEN_FMTS = ("buf_in", "buf_out")
RET_FMTS = ("int", "uint", "fd", "ssize", "off", "hex", "mode", "noreturn")
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
SETNAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
CNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TableError(Exception):
    pass


def fail(path, lineno, msg):
    raise TableError(f"{path}:{lineno}: {msg}")


def data_lines(path):
    """Yield (lineno, text) for non-blank, non-comment lines."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            text = line.rstrip("\n")
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            yield lineno, text


def parse_int(path, lineno, s):
    try:
        return int(s, 0)
    except ValueError:
        fail(path, lineno, f"bad number {s!r}")


def parse_flags(path):
    """Returns an ordered list of sets: dict(name, kind, unknown_hex, entries)."""
    sets = []
    cur = None
    for lineno, text in data_lines(path):
        words = text.split()
        if words[0] == "set":
            if len(words) not in (3, 4) or words[2] not in ("flags", "enum"):
                fail(path, lineno, "expected: set NAME flags|enum [hex|dec]")
            name = words[1]
            if not SETNAME_RE.match(name) or name in BUILTIN_FMTS:
                fail(path, lineno, f"bad or reserved set name {name!r}")
            if any(s["name"] == name for s in sets):
                fail(path, lineno, f"duplicate set {name!r}")
            kind = words[2]
            unknown = words[3] if len(words) == 4 else ("hex" if kind == "flags" else "dec")
            if unknown not in ("hex", "dec"):
                fail(path, lineno, "unknown-value style must be hex or dec")
            cur = {"name": name, "kind": kind, "unknown_hex": unknown == "hex", "entries": []}
            sets.append(cur)
            continue
        if cur is None:
            fail(path, lineno, "entry before the first `set` line")
        if len(words) not in (2, 3) or not CNAME_RE.match(words[0]):
            fail(path, lineno, "expected: NAME VALUE [MASK]")
        value = parse_int(path, lineno, words[1])
        if len(words) == 3:
            if cur["kind"] != "flags":
                fail(path, lineno, "a mask only makes sense in a flags set")
            mask = parse_int(path, lineno, words[2])
            if value & ~mask:
                fail(path, lineno, "value has bits outside its mask")
        else:
            mask = value if cur["kind"] == "flags" else 0
        if not 0 <= value < 1 << 64 or not 0 <= mask < 1 << 64:
            fail(path, lineno, "value out of 64-bit range")
        cur["entries"].append((words[0], value, mask))
    for s in sets:
        if not s["entries"]:
            raise TableError(f"{path}: set {s['name']!r} is empty")
    return sets


def parse_errno(path):
    names = {}
    for lineno, text in data_lines(path):
        parts = text.split(None, 2)
        if len(parts) != 3:
            fail(path, lineno, "expected: NUMBER NAME message")
        num = parse_int(path, lineno, parts[0])
        if not 0 < num < 4096 or num in names:
            fail(path, lineno, f"bad or duplicate errno {num}")
        if not CNAME_RE.match(parts[1]):
            fail(path, lineno, f"bad errno name {parts[1]!r}")
        names[num] = (parts[1], parts[2].strip())
    return names


def parse_args(path, lineno, spec, setnames):
    """'fd,buf_out:2,size' -> [(fmt, lenarg)]"""
    if spec == "-":
        return []
    out = []
    items = spec.split(",")
    if len(items) > MAX_ARGS:
        fail(path, lineno, f"more than {MAX_ARGS} arguments")
    for i, item in enumerate(items):
        fmt, _, n = item.partition(":")
        if fmt in LEN_FMTS:
            if not n.isdigit() or int(n) >= len(items) or int(n) == i:
                fail(path, lineno, f"{item}: N must name another argument (0-based)")
            out.append((fmt, int(n)))
        elif n:
            fail(path, lineno, f"{item}: only {'/'.join(LEN_FMTS)} take :N")
        elif fmt in BUILTIN_FMTS or fmt in setnames:
            out.append((fmt, 0))
        else:
            fail(path, lineno, f"unknown argument format {fmt!r}")
    return out


def parse_table(path, setnames):
    rows = []
    seen_nr, seen_name = set(), set()
    for lineno, text in data_lines(path):
        parts = text.split(None, 5)
        if len(parts) < 5:
            fail(path, lineno, "expected: number name status args ret [note]")
        nr = parse_int(path, lineno, parts[0])
        name, status, args, ret = parts[1:5]
        note = parts[5].strip() if len(parts) == 6 else ""
        if not 0 <= nr < 1024:
            fail(path, lineno, f"syscall number {nr} out of range")
        if nr in seen_nr:
            fail(path, lineno, f"duplicate number {nr}")
        if rows and nr < rows[-1]["nr"]:
            fail(path, lineno, "rows must be in increasing number order")
        if not NAME_RE.match(name) or name in seen_name:
            fail(path, lineno, f"bad or duplicate name {name!r}")
        if status not in STATUSES:
            fail(path, lineno, f"status must be one of {', '.join(STATUSES)}")
        if ret not in RET_FMTS:
            fail(path, lineno, f"return format must be one of {', '.join(RET_FMTS)}")
        if status == "partial" and not note:
            fail(path, lineno, "a partial syscall needs a note saying what is missing")
        seen_nr.add(nr)
        seen_name.add(name)
        rows.append({"nr": nr, "name": name, "status": status,
                     "args": parse_args(path, lineno, args, setnames),
                     "ret": ret, "note": note, "line": lineno})
    if not rows:
        raise TableError(f"{path}: no rows")
    return rows


def load(d):
    sets = parse_flags(os.path.join(d, "flags.tbl"))
    setnames = [s["name"] for s in sets]
    rows = parse_table(os.path.join(d, "x86_64.tbl"), setnames)
    errnos = parse_errno(os.path.join(d, "errno.tbl"))
    return rows, sets, errnos


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fmt_id(fmt, sets):
    if fmt in BUILTIN_FMTS:
        return "ARGFMT_" + fmt.upper()
    return "ARGFMT_SET_" + fmt


HEADER_NOTE = "/* Generated by syscall-tables/gen.py from the tables in syscall-tables/. Do not edit. */\n"


def gen_header(rows, sets, errnos):
    size = rows[-1]["nr"] + 1
    out = [HEADER_NOTE,
           "#ifndef SENTRY_GENERATED_SYSCALL_TABLE_H",
           "#define SENTRY_GENERATED_SYSCALL_TABLE_H",
           "",
           '#include "syscalls/table.h"',
           "",
           f"#define SYSCALL_TABLE_SIZE {size}",
           f"#define STRACE_NFLAGSETS {len(sets)}",
           f"#define ERRNO_NAMES_SIZE {max(errnos) + 1}",
           "",
           "/* Syscall numbers (x86_64), named apart from the host's SYS_ macros. */",
           "enum syscall_nr {"]
    out += [f"\tSYSNR_{r['name']} = {r['nr']}," for r in rows]
    out += ["};", "",
            "/* Argument formats that name a set of flags.tbl (index + ARGFMT_SET_BASE). */",
            "enum sysarg_set_fmt {"]
    out += [f"\tARGFMT_SET_{s['name']} = ARGFMT_SET_BASE + {i}," for i, s in enumerate(sets)]
    out += ["};", "",
            "extern const struct syscall_entry syscall_table[SYSCALL_TABLE_SIZE];",
            "extern const struct strace_flagset strace_flagsets[STRACE_NFLAGSETS];",
            "/* Indexed by errno value; name NULL for numbers without a name. */",
            "extern const struct errno_name errno_names[ERRNO_NAMES_SIZE];",
            "",
            "/* The row for nr, or NULL when nr is not a syscall number on x86_64. */",
            "static inline const struct syscall_entry *syscall_lookup(long nr)",
            "{",
            "\tif (nr < 0 || nr >= SYSCALL_TABLE_SIZE || !syscall_table[nr].name)",
            "\t\treturn (const struct syscall_entry *)0;",
            "\treturn &syscall_table[nr];",
            "}",
            "",
            "#endif", ""]
    return "\n".join(out)


def gen_table_c(rows, sets):
    out = [HEADER_NOTE,
           '#include "syscall_table.h"',
           "",
           "/* Weak: a handler not written yet links as NULL and the dispatcher returns",
           " * ENOSYS. NOTE: a weak reference does not pull an object out of a static",
           " * library, so the sentry must link sentrycore whole-archive. */"]
    for r in rows:
        out.append(f"extern long sys_{r['name']}(struct task *, const struct sysargs *)"
                   " __attribute__((weak));")
    out += ["", "const struct syscall_entry syscall_table[SYSCALL_TABLE_SIZE] = {"]
    for r in rows:
        args = ", ".join(f"{{{fmt_id(f, sets)}, {n}}}" for f, n in r["args"])
        out.append(f"\t[{r['nr']}] = {{.name = {c_str(r['name'])}, .handler = sys_{r['name']}, "
                   f".nargs = {len(r['args'])}, .status = SYSCALL_{r['status'].upper()}, "
                   f".retfmt = RETFMT_{r['ret'].upper()}, .args = {{{args}}}}},")
    out += ["};", ""]
    return "\n".join(out)


def gen_strace_c(sets, errnos):
    out = [HEADER_NOTE, '#include "syscall_table.h"', ""]
    for s in sets:
        out.append(f"static const struct strace_flag set_{s['name']}[] = {{")
        for name, value, mask in s["entries"]:
            out.append(f"\t{{{c_str(name)}, {value:#x}ULL, {mask:#x}ULL}},")
        out.append("};")
    out += ["", "const struct strace_flagset strace_flagsets[STRACE_NFLAGSETS] = {"]
    for s in sets:
        out.append(f"\t{{{c_str(s['name'])}, set_{s['name']}, {len(s['entries'])}, "
                   f"{1 if s['kind'] == 'flags' else 0}, {1 if s['unknown_hex'] else 0}}},")
    out += ["};", "", "const struct errno_name errno_names[ERRNO_NAMES_SIZE] = {"]
    for num in sorted(errnos):
        name, msg = errnos[num]
        out.append(f"\t[{num}] = {{{c_str(name)}, {c_str(msg)}}},")
    out += ["};", ""]
    return "\n".join(out)


STATUS_TEXT = {"implemented": "implemented", "partial": "partial", "none": "not implemented"}


def gen_doc(rows):
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    out = ["# Syscall compatibility (x86_64)", "",
           "Generated from `syscall-tables/x86_64.tbl` by `syscall-tables/gen.py`; do not edit.",
           "Regenerate with `make compat-doc` in a build directory after changing the table.",
           "",
           "Status: *implemented* behaves as Linux does; *partial* covers the common uses "
           "and the note says what is missing; *not implemented* returns `ENOSYS`.",
           "Numbers 335 to 423 are not syscalls on x86_64 and return `ENOSYS`.",
           "",
           f"{counts['implemented']} implemented, {counts['partial']} partial, "
           f"{counts['none']} not implemented, of {len(rows)} syscalls.",
           "",
           "| # | name | status | note |",
           "|---:|---|---|---|"]
    for r in rows:
        note = r["note"].replace("|", "\\|")
        out.append(f"| {r['nr']} | `{r['name']}` | {STATUS_TEXT[r['status']]} | {note} |")
    return "\n".join(out) + "\n"


def check_linked(rows, nm, binary):
    """Compare the table's statuses with the handlers the binary defines."""
    try:
        out = subprocess.run([nm, "--defined-only", binary], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"gen.py: cannot read the symbols of {binary}: {e}", file=sys.stderr)
        return 1
    defined = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("T", "W") and parts[2].startswith("sys_"):
            defined.add(parts[2][4:])
    missing = [r["name"] for r in rows if r["status"] != "none" and r["name"] not in defined]
    extra = [r["name"] for r in rows if r["status"] == "none" and r["name"] in defined]
    if missing or extra:
        print(f"gen.py: {binary} and x86_64.tbl disagree.", file=sys.stderr)
        if missing:
            print(f"  marked implemented/partial, no handler linked ({len(missing)}): "
                  + " ".join(missing), file=sys.stderr)
        if extra:
            print(f"  handler linked, marked none ({len(extra)}): " + " ".join(extra),
                  file=sys.stderr)
        return 1
    n = sum(1 for r in rows if r["status"] != "none")
    print(f"{binary}: all {n} implemented/partial syscalls have a linked handler")
    return 0


def write_if_changed(path, text, touch=True):
    """Replace path atomically. An unchanged file is only touched (so the
    build rule that made it sees it newer than its inputs), or left alone."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                if touch:
                    os.utime(path)
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)))
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sources")
    p.add_argument("--out", required=True)
    p = sub.add_parser("doc")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out")
    g.add_argument("--check")
    sub.add_parser("check")
    p = sub.add_parser("linked")
    p.add_argument("--binary", required=True)
    p.add_argument("--nm", default="nm")
    args = ap.parse_args(argv)

    try:
        rows, sets, errnos = load(args.dir)
    except (TableError, OSError) as e:
        print(f"gen.py: {e}", file=sys.stderr)
        return 1

    if args.cmd == "sources":
        os.makedirs(args.out, exist_ok=True)
        write_if_changed(os.path.join(args.out, "syscall_table.h"), gen_header(rows, sets, errnos))
        write_if_changed(os.path.join(args.out, "syscall_table.c"), gen_table_c(rows, sets))
        write_if_changed(os.path.join(args.out, "strace_tables.c"), gen_strace_c(sets, errnos))
    elif args.cmd == "doc":
        text = gen_doc(rows)
        if args.out:
            write_if_changed(args.out, text, touch=False)
        else:
            try:
                with open(args.check, encoding="utf-8") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != text:
                print(f"gen.py: {args.check} is out of date with x86_64.tbl; "
                      "run `make compat-doc` and commit it", file=sys.stderr)
                return 1
            print(f"{args.check} matches x86_64.tbl ({len(rows)} syscalls)")
    elif args.cmd == "linked":
        return check_linked(rows, args.nm, args.binary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
