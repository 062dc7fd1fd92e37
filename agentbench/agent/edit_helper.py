# ruff: noqa: UP031
"""File-editing tool, run INSIDE the sandbox by `python3 -` (never imported on the host).

Kept compatible with old Pythons (3.5+: no f-strings) because SWE-bench environments
may put an old interpreter first on PATH. The host appends one line
`main(<base64 JSON args>)` before sending it.
"""

import base64
import json
import os
import sys

SNIPPET = 4


def _numbered(lines, start):
    return "\n".join("%6d\t%s" % (i + start, ln) for i, ln in enumerate(lines))


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def _write(path, text):
    # Write a temp file and rename it over the target: a new inode makes the change
    # visible to git's stat check even for a same-size edit within the same second.
    tmp = path + ".agentbench-edit.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    if os.path.exists(path):
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
    os.rename(tmp, path)


def _fail(msg):
    sys.stdout.write("Error: " + msg + "\n")
    sys.exit(1)


def _snippet(text, first_line, n_lines):
    lines = text.split("\n")
    lo = max(0, first_line - SNIPPET)
    hi = min(len(lines), first_line + n_lines + SNIPPET)
    return _numbered(lines[lo:hi], lo + 1)


def view(a):
    path = a["path"]
    if os.path.isdir(path):
        out = []
        base = path.rstrip("/") or "/"
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            depth = root[len(base) :].count(os.sep)
            if depth >= 2:
                dirs[:] = []
            for name in sorted(files):
                if not name.startswith("."):
                    out.append(os.path.join(root, name))
        sys.stdout.write("Files under %s (2 levels):\n%s\n" % (path, "\n".join(out)))
        return
    if not os.path.exists(path):
        _fail("%s does not exist" % path)
    lines = _read(path).split("\n")
    rng = a.get("view_range")
    lo, hi = 1, len(lines)
    if rng:
        lo = max(1, int(rng[0]))
        hi = len(lines) if int(rng[1]) == -1 else min(len(lines), int(rng[1]))
        if lo > hi:
            _fail("view_range %s is empty (the file has %d lines)" % (rng, len(lines)))
    sys.stdout.write(_numbered(lines[lo - 1 : hi], lo) + "\n")


def create(a):
    path = a["path"]
    if os.path.exists(path):
        _fail("%s already exists; use str_replace to change it" % path)
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        os.makedirs(parent)
    _write(path, a.get("file_text") or "")
    sys.stdout.write("Created %s\n" % path)


def str_replace(a):
    path = a["path"]
    if not os.path.isfile(path):
        _fail("%s is not a file" % path)
    text = _read(path)
    old, new = a["old_str"], a.get("new_str") or ""
    n = text.count(old)
    if n == 0:
        _fail("old_str was not found in %s; view the file and copy the text exactly" % path)
    if n > 1:
        _fail("old_str occurs %d times in %s; include more context so it is unique" % (n, path))
    at = text.index(old)
    text = text.replace(old, new, 1)
    _write(path, text)
    first = text[:at].count("\n")
    sys.stdout.write("Edited %s:\n%s\n" % (path, _snippet(text, first, new.count("\n") + 1)))


def insert(a):
    path = a["path"]
    if not os.path.isfile(path):
        _fail("%s is not a file" % path)
    lines = _read(path).split("\n")
    at = int(a["insert_line"])
    if at < 0 or at > len(lines):
        _fail("insert_line %d is outside 0..%d" % (at, len(lines)))
    new = (a.get("new_str") or "").split("\n")
    lines[at:at] = new
    text = "\n".join(lines)
    _write(path, text)
    sys.stdout.write(
        "Inserted after line %d of %s:\n%s\n" % (at, path, _snippet(text, at, len(new)))
    )


def main(blob):
    a = json.loads(base64.b64decode(blob).decode("utf-8"))
    cmd = a["command"]
    fn = {"view": view, "create": create, "str_replace": str_replace, "insert": insert}.get(cmd)
    if fn is None:
        _fail("unknown command %r" % cmd)
    try:
        fn(a)
    except OSError as exc:
        _fail(str(exc))
