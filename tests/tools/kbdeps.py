#!/usr/bin/python3
"""kbdeps: every external command and Python module that the project's
scripts, tests and benches call must come from a Debian package that
scripts/install-deps.sh installs (or from one that those depend on, or from
Debian's required base).  A fresh machine has nothing else.

    tests/tools/kbdeps.py [ROOT]       exit 1 and one line per missing tool

Commands are found by reading shell files as a shell would split them: the
first word of each simple command (after |, ;, &&, ||, $(, `, if, then, do,
!, and the wrappers timeout, setsid, nice, taskset, env, xargs, exec and
`ip netns exec NS`), `command -v X`, and absolute paths assigned to
variables (PY=/usr/bin/python3).  Heredoc bodies and quoted strings are data,
not commands, except the $( ) inside double quotes.  Python modules are the
imports in .py files and in `python3 -c` one-liners and heredocs fed to
python.  A word that is no file on PATH, no builtin and no function of ours
is not a command (prose, or a build artefact): it is skipped.
"""
import os
import re
import shutil
import subprocess
import sys

SCAN_DIRS = ("tests", "scripts", "bench", ".ci")
# These run inside the QEMU guest, on its busybox, not on the host.
GUEST_SIDE = ("tests/qemu/guest/", "tests/qemu/guest-init.sh")
# The tests call Debian's interpreter by path: a python3 earlier on PATH
# (pyenv, a venv) lacks Debian's python3-* modules.
DEBIAN_PY = "/usr/bin/python3"
WRAPPERS = {"timeout", "setsid", "nice", "taskset", "env", "xargs", "exec",
            "sudo", "command", "time", "stdbuf", "nohup", "chrt", "ionice",
            "unshare", "flock", "watch"}
KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until",
            "for", "in", "case", "esac", "function", "select", "!", "{", "}",
            "[[", "]]", "time", "coproc"}
BUILTINS = set(subprocess.run(["bash", "-c", "compgen -b; compgen -k"],
                              capture_output=True, text=True).stdout.split())


def shell_files(root):
    for d in SCAN_DIRS:
        for dirpath, dirnames, files in os.walk(os.path.join(root, d)):
            dirnames[:] = [x for x in dirnames if x not in ("__pycache__", "corpus", "results")]
            for f in files:
                p = os.path.join(dirpath, f)
                if os.path.relpath(p, root).startswith(GUEST_SIDE):
                    continue
                if f.endswith(".sh") or f == "run" or _shebang(p, "sh"):
                    yield p


def python_files(root):
    for d in SCAN_DIRS:
        for dirpath, dirnames, files in os.walk(os.path.join(root, d)):
            dirnames[:] = [x for x in dirnames if x != "__pycache__"]
            for f in files:
                p = os.path.join(dirpath, f)
                if f.endswith(".py") or _shebang(p, "python"):
                    yield p


def _shebang(path, word):
    try:
        with open(path, "rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and word.encode() in first


def strip_heredocs(text):
    """Returns (shell text without heredoc bodies, [(lang_hint, body)])."""
    out, bodies, lines, i = [], [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = re.search(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", line)
        i += 1
        if not m or line.lstrip().startswith("#"):
            continue
        tag, body = m.group(2), []
        while i < len(lines) and lines[i].strip() != tag:
            body.append(lines[i])
            i += 1
        i += 1
        out.extend([""] * (len(body) + 1))   # keep line numbers
        bodies.append((line, "\n".join(body)))
    return "\n".join(out), bodies


def unquote(text):
    """Drops quoted data, keeping the $( ) inside double quotes, over the
    whole text (a quoted string may span lines); newlines stay where they
    were so that line numbers hold."""
    res, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            res.append("\n" if text[i + 1] == "\n" else "_")
            i += 2
            continue
        if c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            res.append(" _q_ " + "\n" * text.count("\n", i, j))
            i = j + 1
            continue
        if c == '"':
            j, depth, keep = i + 1, 0, []
            while j < n and (text[j] != '"' or depth):
                if text.startswith("$(", j):
                    depth += 1
                    keep.append(" ; ")
                    j += 2
                    continue
                if text[j] == ")" and depth:
                    depth -= 1
                    keep.append(" ; ")
                elif text[j] == "\\":
                    j += 1
                elif depth or text[j] == "\n":
                    keep.append(text[j])
                j += 1
            res.append(" _q_ " + "".join(keep) + " ")
            i = j + 1
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t;\n"):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        res.append(c)
        i += 1
    return "".join(res)


SEP = re.compile(r"\|\||&&|[|;&()`]|\$\(|\bthen\b|\bdo\b|\belse\b|\{|\}")


def commands_in_line(line):
    """line: already unquoted."""
    for seg in SEP.split(line):
        words = seg.split()
        while words:
            w = words[0]
            if w in KEYWORDS or re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", w) or w.startswith(("<", ">", "2>", "&>")):
                words = words[1:]
                continue
            if w == "ip" and words[1:3] == ["netns", "exec"]:
                words = words[4:]
                yield "ip"
                continue
            if w in WRAPPERS:
                yield w
                words = words[1:]
                # the wrapper's own options and values (timeout 60, taskset -c 1)
                while words and (words[0].startswith("-") or re.match(r"^[0-9.,smh]+$", words[0])):
                    words = words[1:]
                if w == "command" and words[:1] == ["-v"]:
                    words = words[1:]
                continue
            yield w
            break


def functions_in(text):
    return set(re.findall(r"^\s*(?:function\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)", text, re.M))


def installed_closure(pkgs):
    """The listed packages, what they depend on (recursively), and Debian's
    required base: what a fresh machine has after install-deps.sh."""
    out = subprocess.run(["dpkg-query", "-W", "-f",
                          "${Package}\t${Depends}, ${Pre-Depends}\t${Priority}\t${Essential}\t${Provides}\n"],
                         capture_output=True, text=True).stdout
    deps, base, provides = {}, set(), {}
    for row in out.splitlines():
        name, dep, prio, ess, prov = (row.split("\t") + [""] * 5)[:5]
        alts = []
        for group in dep.split(","):
            for alt in group.split("|"):
                a = alt.strip().split(" ")[0].split(":")[0]
                if a:
                    alts.append(a)
        deps[name] = alts
        for p in prov.split(","):
            p = p.strip().split(" ")[0]
            if p:
                provides.setdefault(p, []).append(name)
        if prio == "required" or ess == "yes":
            base.add(name)
    have, todo = set(), list(pkgs) + list(base)
    while todo:
        p = todo.pop()
        if p in have:
            continue
        have.add(p)
        todo.extend(deps.get(p, []))
        todo.extend(provides.get(p, []))
    return have


def listed_packages(root):
    text = open(os.path.join(root, "scripts/install-deps.sh")).read()
    pkgs = []
    for m in re.finditer(r"\b\w+\+?=\(([^)]*)\)", text):
        pkgs += [w for w in m.group(1).split() if re.match(r"^[a-z0-9][a-z0-9.+-]+$", w)]
    return pkgs


_owner = {}


def owners(paths):
    """Fills the path -> package cache with one dpkg -S for all of paths
    (each also as its real path and without /usr: merged-/usr aliases)."""
    cands = set()
    for p in paths:
        cands |= {p, os.path.realpath(p), re.sub(r"^/usr", "", p)}
    cands = sorted(c for c in cands if c and c not in _owner)
    if not cands:
        return
    out = subprocess.run(["dpkg", "-S"] + cands, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if ": " in line and not line.startswith("diversion"):
            pkgs, path = line.split(": ", 1)
            _owner.setdefault(path.strip(), pkgs.split(",")[0].split(":")[0].strip())
    for c in cands:
        _owner.setdefault(c, None)   # asked: no package owns it


def package_of(path):
    owners([path])
    for cand in (path, os.path.realpath(path), re.sub(r"^/usr", "", path)):
        if _owner.get(cand):
            return _owner[cand]
    return None


PY_IMPORT = re.compile(r"^\s*(?:import\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)|from\s+([A-Za-z_][\w.]*)\s+import)", re.M)
PY_INLINE = re.compile(r"(?:import\s+([A-Za-z_]\w*)|from\s+([A-Za-z_]\w*)\s+import)")


def modules_in_python(text):
    for m in PY_IMPORT.finditer(text):
        if m.group(1):
            for name in m.group(1).split(","):
                yield name.strip().split(".")[0].split(" ")[0]
        else:
            yield m.group(2).split(".")[0]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "../.."))
    listed = listed_packages(root)
    have = installed_closure(listed)
    ours = set()
    cmds, mods = {}, {}   # name -> first "file:line"
    for p in shell_files(root):
        text = open(p, errors="replace").read()
        ours |= functions_in(text)
        body, heredocs = strip_heredocs(text)
        rel = os.path.relpath(p, root)
        for n, line in enumerate(unquote(body).split("\n"), 1):
            for c in commands_in_line(line):
                cmds.setdefault(c, f"{rel}:{n}")
        for n, line in enumerate(body.split("\n"), 1):   # raw: quoted code too
            for m in re.finditer(r"(?:^|[\s;])[A-Za-z_][A-Za-z0-9_]*=(/(?:usr/)?s?bin/[\w.+-]+)", line):
                cmds.setdefault(m.group(1), f"{rel}:{n}")
            if re.search(r"python3?\b.*\s-c\s", line):
                for m in PY_INLINE.finditer(line):
                    mods.setdefault(m.group(1) or m.group(2), f"{rel}:{n}")
        for head, hbody in heredocs:
            if re.search(r"python|\$PY\b", head) and not re.search(r">\s*\S", head.split("<<")[0]):
                for m in modules_in_python(hbody):
                    mods.setdefault(m, f"{rel}:{head[:40]}")
    local_py = set()
    for p in python_files(root):
        local_py.add(os.path.splitext(os.path.basename(p))[0])
    for p in python_files(root):
        rel = os.path.relpath(p, root)
        for m in modules_in_python(open(p, errors="replace").read()):
            mods.setdefault(m, rel)

    missing = []
    checked = 0
    owners([p for p in (c if c.startswith("/") else shutil.which(c) for c in cmds) if p])
    for c, where in sorted(cmds.items()):
        if c in BUILTINS or c in ours or c in KEYWORDS:
            continue
        path = c if c.startswith("/") else shutil.which(c)
        if not path or not os.path.isfile(path) or not os.access(path, os.X_OK) or path.startswith(root):
            continue
        checked += 1
        pkg = package_of(path)
        if pkg is None and not c.startswith("/"):
            deb = shutil.which(c, path="/usr/sbin:/usr/bin:/sbin:/bin")
            if deb:
                # a fresh machine runs Debian's; this one has another first on PATH
                print(f"note: {c} at {where} runs {path} here; a fresh machine runs {deb}")
                continue
        if pkg is None:
            missing.append(f"missing: {c} ({where}): {path} belongs to no Debian package")
        elif pkg not in have:
            missing.append(f"missing: {os.path.basename(c)} (apt-get install {pkg}; add {pkg} to scripts/install-deps.sh) used at {where}")
    stdlib = set(sys.stdlib_module_names)
    for m, where in sorted(mods.items()):
        if m in stdlib or m in local_py or m == "__future__":
            continue
        checked += 1
        r = subprocess.run([DEBIAN_PY, "-c",
                            f"import importlib.util as u; s = u.find_spec({m!r}); print(s.origin if s and s.origin else (list(s.submodule_search_locations)[0] if s else ''))"],
                           capture_output=True, text=True)
        origin = r.stdout.strip()
        pkg = package_of(origin) if origin else None
        if not origin and f"python3-{m.lower()}" in listed:
            continue    # listed (e.g. for --bench), just not installed here yet
        if not origin:
            missing.append(f"missing: python3 module {m} (used at {where}): not importable; find its python3-* package")
        elif pkg is None:
            missing.append(f"missing: python3 module {m} (used at {where}): {origin} belongs to no Debian package (pip?)")
        elif pkg not in have:
            missing.append(f"missing: python3 module {m} (apt-get install {pkg}; add {pkg} to scripts/install-deps.sh) used at {where}")
    for line in missing:
        print(line)
    print(f"kbdeps: {checked} external commands and modules checked against "
          f"{len(listed)} packages in scripts/install-deps.sh; {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
