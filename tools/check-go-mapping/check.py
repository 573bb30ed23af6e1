#!/usr/bin/env python3
"""Checks docs/GO_MAPPING.md and docs/TEST_LEDGER.md against the source tree.

Usage: check.py [ROOT] [--go-git-dir DIR [--go-ref REF]]

ROOT is the repository (default: two directories above this script).
Prints one line per problem, "<file>:<line>: <problem>", and exits 1 if there
is any, 0 otherwise. Python 3 standard library only; no network.

What is checked (docs/GO_MAPPING.md, "How this file is checked", says it for
readers):

GO_MAPPING.md
  * a column headed "C++" or "C++ file" lists files: every backticked token
    must name existing files, relative to the repository root or to the
    directory a backticked `dir/` in the section heading names; `{a,b}`
    alternatives and `*` globs are expanded, each must match.
  * a column headed "C++ name" or "major functions" lists C++ names: every
    backticked token is a path (checked as above) or a name. `name` must be an
    identifier of the C++ sources under server/, conf/, pse/, api/, include/,
    tools/ and test/helpers/
    (comments and string literals do not count); `A::b` means A is a class,
    struct, enum or namespace of those sources and b an identifier in a file
    that defines A or member functions of A, or in a file named in the same
    row. A token right after "Go's " or "Go: " is a Go name, not checked.
    An empty C++ name cell ("—") needs a reason in the last column.
  * the "Go file" table lists each Go file once, as many as its heading says;
    every `x.go` named in a "Go" column and every `### x.go` section is in it.
  * it links to TEST_LEDGER.md.

TEST_LEDGER.md
  * one row per Go test: no (Go file, test) pair twice, and the rows per
    directory, per file (the "(N)" of each `## file.go (N)` heading) and in
    all match the counts table; the status tally matches the status table.
  * a "C++ test" cell is a test file followed by the TEST_CASE names in it;
    each must be a TEST_CASE("<name>" of that file under test/. Status
    "ported" means the Go name is among them; "covered"/"partial" need at
    least one; "n/a" and "not ported yet" need none, and a reason.
  * a C++ TEST_CASE named like a Go test of the ledger is listed by a row of
    that Go name (so a newly ported test cannot stay "not ported yet").

With --go-git-dir (a gnatsd clone, e.g. the one `fetch github:nats-io/gnatsd`
gives), also compares with the Go source at REF (default v1.0.0): the Go
files outside vendor/, every func and type of each Go file that has a
declaration section, and every `func Test...`.
"""

import glob
import os
import re
import subprocess
import sys

CXX_DIRS = ("server", "conf", "pse", "api", "include", "tools", "test/helpers")
CXX_EXT = (".h", ".hpp", ".cpp", ".cc")
STATUSES = ("ported", "covered", "partial", "n/a", "not ported yet")
PATH_EXT = re.compile(r"\.(h|hpp|cpp|cc|go|py|sh|md|conf|txt|pem)$")
NAME = re.compile(r"^~?[A-Za-z_][A-Za-z0-9_]*(::~?[A-Za-z_][A-Za-z0-9_]*)*$")
DASHES = ("", "—", "-", "–")

problems = []


def problem(path, line, msg):
    problems.append(f"{path}:{line}: {msg}")


# --- C++ sources ----------------------------------------------------------------

def strip_code(text):
    """Blanks comments, string and char literals (raw strings too), keeping newlines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "R" and i + 1 < n and text[i + 1] == '"' and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            end = n if end < 0 else end + len(m.group(1)) + 2
            out.append(' ""' + "\n" * text.count("\n", i, end))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            if c == "'" and i and text[i - 1].isalnum():  # digit separator 1'000
                out.append(" ")
                i += 1
                continue
            out.append(" ")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


class CxxIndex:
    def __init__(self, root):
        self.root = root
        self.ids = {}  # relative path -> set of identifiers
        self.text = {}
        for d in CXX_DIRS:
            for dirpath, _, files in os.walk(os.path.join(root, d)):
                for f in files:
                    if f.endswith(CXX_EXT):
                        p = os.path.join(dirpath, f)
                        rel = os.path.relpath(p, root)
                        with open(p, encoding="utf-8", errors="replace") as fh:
                            code = strip_code(fh.read())
                        self.text[rel] = code
                        self.ids[rel] = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
        self.all_ids = set().union(*self.ids.values()) if self.ids else set()
        self.scope_files = {}

    def files_of_scope(self, scope):
        if scope not in self.scope_files:
            define = re.compile(r"\b(?:(?:class|struct|enum(?:\s+class)?)\s+|namespace\s+(?:\w+::)*)" + re.escape(scope) +
                                r"\b(?!\s*;)")
            member = re.compile(r"\b" + re.escape(scope) + r"::")
            self.scope_files[scope] = [f for f, t in self.text.items() if define.search(t) or member.search(t)]
        return self.scope_files[scope]

    def has_name(self, name, row_files):
        """'' if name is found, else why not."""
        parts = name.split("::")
        if len(parts) == 1:
            return "" if name.lstrip("~") in self.all_ids else f"`{name}` is not an identifier of the C++ sources"
        member = parts[-1].lstrip("~")
        scope = parts[-2]
        files = self.files_of_scope(scope)
        if not files:
            return f"`{name}`: no class, struct, enum or namespace `{scope}` in the C++ sources"
        for f in list(files) + [f for f in row_files if f in self.ids]:
            if member in self.ids[f]:
                return ""
        return f"`{name}`: `{member}` is in none of the files of `{scope}` ({', '.join(sorted(files))})"


# --- markdown --------------------------------------------------------------------

def split_row(line):
    """Cells of a table row; '|' inside backticks or escaped does not split."""
    cells, cur, tick = [], [], False
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if c == "`":
            tick = not tick
        if c == "|" and not tick:
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur).strip())
    return cells


def tables(path):
    """Yields (heading, header cells, [(line number, cells)]) for each table of a markdown file."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    heading = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|\s*:?-{3,}", lines[i + 1]):
            header = [h.lower() for h in split_row(line)]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append((i + 1, split_row(lines[i])))
                i += 1
            yield heading, header, rows
            continue
        i += 1


def ticks(cell):
    """(token, text before it) for each backticked token of a cell."""
    out = []
    for m in re.finditer(r"`([^`]+)`", cell):
        out.append((m.group(1), cell[: m.start()]))
    return out


def expand_braces(tok):
    m = re.search(r"\{([^{}]*)\}", tok)
    if not m:
        return [tok]
    res = []
    for alt in m.group(1).split(","):
        res.extend(expand_braces(tok[: m.start()] + alt + tok[m.end():]))
    return res


def is_path(tok):
    return "/" in tok or "*" in tok or bool(PATH_EXT.search(tok)) or "{" in tok


def resolve_path(root, tok, base_dirs):
    """Existing files (relative to root) tok names, or None if some alternative matches nothing."""
    found = []
    for alt in expand_braces(tok):
        hit = []
        for base in [""] + base_dirs:
            cand = os.path.join(root, base, alt)
            matches = glob.glob(cand) if "*" in alt else ([cand] if os.path.exists(cand) else [])
            if matches:
                hit = [os.path.relpath(m, root) for m in matches]
                break
        if not hit:
            return None
        found.extend(hit)
    return found


def heading_dirs(heading):
    return [t.rstrip("/") for t, _ in ticks(heading) if t.endswith("/")]


# --- GO_MAPPING.md ---------------------------------------------------------------

def check_mapping(root, idx, go):
    rel = "docs/GO_MAPPING.md"
    path = os.path.join(root, rel)
    if not os.path.exists(path):
        problem(rel, 0, "missing")
        return {}
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if "TEST_LEDGER.md" not in text:
        problem(rel, 0, "does not link to TEST_LEDGER.md")

    go_files = {}       # Go file -> (line, has a C++ file)
    go_refs = []        # (line, Go file named somewhere)
    decl_sections = {}  # Go file -> (line, [Go names])
    declared_count = None
    m = re.search(r"^The (\d+) Go files", text, re.M)
    if m:
        declared_count = (int(m.group(1)), text[: m.start()].count("\n") + 1)

    for heading, header, rows in tables(path):
        base = heading_dirs(heading)
        roles = {}
        for k, h in enumerate(header):
            if h in ("c++", "c++ file"):
                roles[k] = "file"
            elif h in ("c++ name", "major functions"):
                roles[k] = "name"
            elif h in ("go", "go file"):
                roles[k] = "go"
        go_file_table = header and header[0] == "go file"
        decl_file = None
        hm = re.match(r"^###\s+`([^`]+\.go)`", heading)
        if hm and header and header[0] == "go":
            decl_file = hm.group(1)
            if decl_file in decl_sections:
                problem(rel, rows[0][0] if rows else 0, f"second declaration section for {decl_file}")
            decl_sections[decl_file] = (rows[0][0] - 2 if rows else 0, [])
        for line, cells in rows:
            if len(cells) != len(header):
                problem(rel, line, f"{len(cells)} cells, the header has {len(header)}")
                continue
            row_files = []
            for k, role in roles.items():
                if role == "file":
                    for tok, _ in ticks(cells[k]):
                        res = resolve_path(root, tok, base)
                        if res is None:
                            problem(rel, line, f"C++ file `{tok}` does not exist")
                        else:
                            row_files.extend(res)
            for k, role in sorted(roles.items()):
                cell = cells[k]
                if role == "go":
                    toks = [t for t, _ in ticks(cell)]
                    if go_file_table and k == 0:
                        if len(toks) != 1 or not toks[0].endswith(".go"):
                            problem(rel, line, "a Go file row names exactly one `x.go`")
                            continue
                        if toks[0] in go_files:
                            problem(rel, line, f"{toks[0]} listed twice (first on line {go_files[toks[0]][0]})")
                        has_cxx = any(ticks(cells[j]) for j, r in roles.items() if r == "file")
                        go_files[toks[0]] = (line, has_cxx)
                    else:
                        for t in toks:
                            if t.endswith(".go"):
                                go_refs.append((line, t))
                        if decl_file:
                            decl_sections[decl_file][1].extend(toks)
                elif role == "name":
                    toks = ticks(cell)
                    if not toks and k != len(cells) - 1 and cell.strip() in DASHES and not cells[-1].strip():
                        problem(rel, line, "no C++ name and no reason in the last column")
                    for tok, before in toks:
                        if re.search(r"Go(?:'s|:)\s*$", before):
                            continue
                        if is_path(tok):
                            res = resolve_path(root, tok, base)
                            if res is None:
                                problem(rel, line, f"C++ file `{tok}` does not exist")
                            continue
                        name = tok[:-2] if tok.endswith("()") else tok
                        if not NAME.match(name):
                            problem(rel, line, f"`{tok}` is neither a C++ name nor a file (write Go's `...` for a Go name)")
                            continue
                        why = idx.has_name(name, row_files)
                        if why:
                            problem(rel, line, why)
                elif role == "file":
                    if not ticks(cell) and cell.strip() in DASHES and not cells[-1].strip():
                        problem(rel, line, "no C++ file and no reason in the last column")

    if not go_files:
        problem(rel, 0, "no `| Go file | C++ file | ... |` table")
    if declared_count and declared_count[0] != len(go_files):
        problem(rel, declared_count[1], f"says {declared_count[0]} Go files, the Go file table has {len(go_files)}")
    elif not declared_count:
        problem(rel, 0, 'no "The N Go files ..." line stating the count')
    for line, f in go_refs:
        if f not in go_files:
            problem(rel, line, f"{f} is not in the Go file table")
    for f, (line, _) in decl_sections.items():
        if f not in go_files:
            problem(rel, line, f"declaration section for {f}, which is not in the Go file table")

    if go:
        gitdir, ref = go
        actual = set(go_ls(gitdir, ref))
        for f in sorted(actual - set(go_files)):
            problem(rel, 0, f"Go file {f} (at {ref}) is not in the Go file table")
        for f in sorted(set(go_files) - actual):
            problem(rel, go_files[f][0], f"{f} is not a Go file of gnatsd {ref}")
        for f, (line, names) in sorted(decl_sections.items()):
            if f not in actual:
                continue
            have = set(names)
            for d in go_decls(gitdir, ref, f):
                if d not in have:
                    problem(rel, line, f"{f}: Go declaration `{d}` is not in its section")
        for f in sorted(actual):
            if f.endswith("_test.go") or f not in go_files or not go_files[f][1] or f in decl_sections:
                continue
            if go_decls(gitdir, ref, f):
                problem(rel, go_files[f][0], f"{f} has a C++ file but no declaration section")
    return go_files


# --- TEST_LEDGER.md --------------------------------------------------------------

def cxx_tests(root):
    """TEST_CASE name -> set of files (relative to root) under test/."""
    out = {}
    for dirpath, _, files in os.walk(os.path.join(root, "test")):
        for f in files:
            if f.endswith(CXX_EXT):
                p = os.path.join(dirpath, f)
                with open(p, encoding="utf-8", errors="replace") as fh:
                    for m in re.finditer(r'\bTEST_CASE\(\s*"((?:[^"\\]|\\.)*)"', fh.read()):
                        out.setdefault(m.group(1), set()).add(os.path.relpath(p, root))
    return out


def go_dir(f):
    return f.rsplit("/", 1)[0] + "/" if "/" in f else "./"


def check_ledger(root, go_files, go):
    rel = "docs/TEST_LEDGER.md"
    path = os.path.join(root, rel)
    if not os.path.exists(path):
        problem(rel, 0, "missing")
        return
    tests = cxx_tests(root)
    counts, tally = {}, {}
    counts_line = tally_line = 0
    seen = {}           # (go file, test) -> line
    per_file = {}       # go file -> [stated count, rows, line]
    per_dir = {}
    per_status = {}
    listed = {}         # C++ test name -> set of Go test names whose rows list it
    go_names = set()
    for heading, header, rows in tables(path):
        if header[:2] == ["go directory", "go tests"]:
            counts_line = rows[0][0] if rows else 0
            for line, cells in rows:
                key = cells[0].strip("`").strip()
                try:
                    counts[key] = (int(cells[1]), line)
                except ValueError:
                    problem(rel, line, f"count `{cells[1]}` is not a number")
            continue
        if header[:2] == ["status", "rows"]:
            tally_line = rows[0][0] if rows else 0
            for line, cells in rows:
                try:
                    tally[cells[0].strip("`").strip()] = (int(cells[1]), line)
                except ValueError:
                    problem(rel, line, f"count `{cells[1]}` is not a number")
            continue
        if not header or header[0] != "go test":
            continue
        hm = re.match(r"^##+\s+`([^`]+_test\.go)`\s+\((\d+)\)", heading)
        if not hm:
            problem(rel, rows[0][0] - 2 if rows else 0, "a Go test table must follow a `## `x_test.go` (N)` heading")
            continue
        gofile = hm.group(1)
        if gofile in per_file:
            problem(rel, rows[0][0] - 2 if rows else 0, f"second section for {gofile}")
        per_file[gofile] = [int(hm.group(2)), 0, rows[0][0] - 2 if rows else 0]
        if go_files and gofile not in go_files:
            problem(rel, per_file[gofile][2], f"{gofile} is not in GO_MAPPING.md's Go file table")
        try:
            ci, si = header.index("c++ test"), header.index("status")
        except ValueError:
            problem(rel, rows[0][0] - 2 if rows else 0, "columns must include `C++ test` and `status`")
            continue
        for line, cells in rows:
            if len(cells) != len(header):
                problem(rel, line, f"{len(cells)} cells, the header has {len(header)}")
                continue
            gt = [t for t, _ in ticks(cells[0])]
            if len(gt) != 1 or not re.match(r"^Test[A-Za-z0-9_]*$", gt[0]):
                problem(rel, line, "the Go test cell must be one backticked `TestXxx`")
                continue
            name = gt[0]
            go_names.add(name)
            if (gofile, name) in seen:
                problem(rel, line, f"{gofile} {name} listed twice (first on line {seen[(gofile, name)]})")
                continue
            seen[(gofile, name)] = line
            per_file[gofile][1] += 1
            d = go_dir(gofile)
            per_dir[d] = per_dir.get(d, 0) + 1
            status = cells[si].strip().strip("*")
            if status not in STATUSES:
                problem(rel, line, f"status `{status}` is not one of: {', '.join(STATUSES)}")
                continue
            per_status[status] = per_status.get(status, 0) + 1
            names, cur = [], None
            for tok, _ in ticks(cells[ci]):
                if tok.startswith("test/") and PATH_EXT.search(tok):
                    cur = tok
                    if not os.path.isfile(os.path.join(root, tok)):
                        problem(rel, line, f"test file `{tok}` does not exist")
                    continue
                if cur is None:
                    problem(rel, line, f"C++ test `{tok}` is not preceded by its test file")
                    continue
                names.append(tok)
                listed.setdefault(tok, set()).add(name)
                if tok not in tests:
                    problem(rel, line, f'no TEST_CASE("{tok}" under test/')
                elif cur not in tests[tok]:
                    problem(rel, line, f'no TEST_CASE("{tok}" in {cur} (it is in {", ".join(sorted(tests[tok]))})')
            reason = cells[-1].strip() if len(cells) > max(ci, si) + 1 else ""
            if status == "ported" and name not in names:
                problem(rel, line, f"status ported, but no C++ test named {name}")
            elif status in ("covered", "partial") and not names:
                problem(rel, line, f"status {status} needs the C++ test(s)")
            elif status in ("n/a", "not ported yet"):
                if names:
                    problem(rel, line, f"status {status} with C++ tests listed")
                if not reason:
                    problem(rel, line, f"status {status} needs a reason")
            if status == "partial" and not reason:
                problem(rel, line, "status partial needs a note on what is missing")

    for f, (stated, n, line) in per_file.items():
        if stated != n:
            problem(rel, line, f"{f}: heading says {stated} tests, {n} rows")
    if not counts:
        problem(rel, 0, "no `| Go directory | Go tests |` counts table")
    total = sum(per_dir.values())
    for key, (n, line) in counts.items():
        actual = total if key == "total" else per_dir.get(key, 0)
        if n != actual:
            problem(rel, line, f"{key}: the counts table says {n}, the ledger has {actual} rows")
    for d in per_dir:
        if d not in counts:
            problem(rel, counts_line, f"{d} has ledger rows but no line in the counts table")
    if counts and "total" not in counts:
        problem(rel, counts_line, "the counts table has no total line")
    for s, n in per_status.items():
        if s not in tally:
            problem(rel, tally_line, f"status {s}: {n} rows, not in the status table")
    for s, (n, line) in tally.items():
        if s != "total" and n != per_status.get(s, 0):
            problem(rel, line, f"status {s}: the table says {n}, the ledger has {per_status.get(s, 0)} rows")
        if s == "total" and n != total:
            problem(rel, line, f"status total: the table says {n}, the ledger has {total} rows")
    if not tally:
        problem(rel, 0, "no `| status | rows |` table")
    for t in sorted(tests):
        if t in go_names and t not in listed.get(t, set()):
            problem(rel, 0, f'TEST_CASE("{t}" ({", ".join(sorted(tests[t]))}) is named like a Go test, '
                            f"but no {t} row lists it")

    if go:
        gitdir, ref = go
        actual = set()
        for f in go_ls(gitdir, ref):
            if f.endswith("_test.go"):
                for m in re.finditer(r"^func (Test\w*)\(", go_show(gitdir, ref, f), re.M):
                    actual.add((f, m.group(1)))
        for f, t in sorted(actual - set(seen)):
            problem(rel, 0, f"Go test {f} {t} (at {ref}) has no row")
        for f, t in sorted(set(seen) - actual):
            problem(rel, seen[(f, t)], f"{f} {t} is not a Go test of gnatsd {ref}")


# --- Go source (optional) --------------------------------------------------------

def go_show(gitdir, ref, f):
    return subprocess.run(["git", "--git-dir", gitdir, "show", f"{ref}:{f}"], check=True,
                          capture_output=True, text=True).stdout


def go_ls(gitdir, ref):
    out = subprocess.run(["git", "--git-dir", gitdir, "ls-tree", "-r", "--name-only", ref], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    return [f for f in out if f.endswith(".go") and not f.startswith("vendor/")]


def go_decls(gitdir, ref, f):
    out = []
    for line in go_show(gitdir, ref, f).split("\n"):
        m = re.match(r"^func\s+\(\s*\w*\s*\*?\s*(\w+)\s*\)\s*(\w+)", line)
        if m:
            out.append(f"{m.group(1)}.{m.group(2)}")
            continue
        m = re.match(r"^func\s+(\w+)", line) or re.match(r"^type\s+(\w+)", line)
        if m:
            out.append(m.group(1))
    return sorted(set(out))


def main(argv):
    args = list(argv[1:])
    go = None
    if "--go-git-dir" in args:
        k = args.index("--go-git-dir")
        gitdir = args[k + 1]
        del args[k:k + 2]
        ref = "v1.0.0"
        if "--go-ref" in args:
            k = args.index("--go-ref")
            ref = args[k + 1]
            del args[k:k + 2]
        go = (gitdir, ref)
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    root = os.path.abspath(root)
    idx = CxxIndex(root)
    go_files = check_mapping(root, idx, go)
    check_ledger(root, go_files, go)
    for p in problems:
        print(p)
    if problems:
        print(f"check-go-mapping: {len(problems)} problem(s)")
        return 1
    print("check-go-mapping: docs/GO_MAPPING.md and docs/TEST_LEDGER.md agree with the tree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
