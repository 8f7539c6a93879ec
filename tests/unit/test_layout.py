"""The shape of the code, checked: one direction of imports, SQL only in
storage/, the sandbox apart from the product, modules of a readable size.

Imports are read from the source (ast), function-level ones included; an
`if TYPE_CHECKING:` block is types only and does not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
while not (ROOT / "pyproject.toml").is_file():  # the tests may sit a folder deeper
    ROOT = ROOT.parent
PRODUCT_MAX, SANDBOX_MAX = 400, 700


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("bot", "storage"):
        for f in (ROOT / top).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at function level) for every import that runs."""
    tree = ast.parse(path.read_text(), str(path))
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node, in_func: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub, in_func)
                continue
            nested = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, in_func) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = pkg.split(".")[: len(pkg.split(".")) - child.level + 1]
                    base = ".".join(up + ([base] if base else []))
                found.append((base, child.lineno, in_func))
                for a in child.names:  # `from pkg import submodule`
                    if f"{base}.{a.name}" in MODULES:
                        found.append((f"{base}.{a.name}", child.lineno, in_func))
            visit(child, nested)

    visit(tree, False)
    return found


def _graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, path in MODULES.items():
        for target, _, _ in _imports(m, path):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if not target or target == m:
                continue
            if path.name == "__init__.py" and target.startswith(m + "."):
                continue  # a package re-exporting its own submodules
            g[m].add(target)
    return g


def _cycles(g: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            strong(v)
    return out


def _product(m: str) -> bool:
    return not m.startswith("bot.sandbox") and "migrations" not in m


def test_no_import_cycle_counting_function_level_imports():
    assert _cycles(_graph()) == []


def test_no_product_module_imports_the_sandbox():
    bad = [(m, t, line) for m, p in MODULES.items() if _product(m) and m != "bot.cli"
           for t, line, _ in _imports(m, p) if t == "bot.sandbox" or t.startswith("bot.sandbox.")]
    assert bad == []


def test_cli_reaches_the_sandbox_only_from_a_function():
    bad = [(t, line) for t, line, in_func in _imports("bot.cli", MODULES["bot.cli"])
           if t.startswith("bot.sandbox") and not in_func]
    assert bad == []


def test_sql_only_in_storage():
    bad = [(m, t, line) for m, p in MODULES.items() if not m.startswith("storage")
           for t, line, _ in _imports(m, p) if t.split(".")[0] in ("sqlalchemy", "sqlmodel", "alembic")]
    assert bad == []


def test_function_level_imports_say_why():
    bad = []
    for m, p in MODULES.items():
        lines = p.read_text().splitlines()
        for t, line, in_func in _imports(m, p):
            own = p.name == "__init__.py" and (t == m or t.startswith(m + "."))  # PEP 562 lazy submodules
            if in_func and not own and t.split(".")[0] in ("bot", "storage") and "#" not in lines[line - 1]:
                bad.append(f"{m}:{line} imports {t} in a function without a word why")
    assert bad == []


def test_module_sizes():
    too_big = []
    for m, p in MODULES.items():
        if "migrations" in m:
            continue
        n = len(p.read_text().splitlines())
        limit = SANDBOX_MAX if m.startswith("bot.sandbox") else PRODUCT_MAX
        if n > limit:
            too_big.append(f"{m}: {n} lines (at most {limit})")
    assert too_big == []


def test_no_string_keyed_locator_on_deps():
    from bot.deps import Deps

    assert "extras" not in Deps.__dataclass_fields__


def test_no_loose_monitoring_modules_at_the_top():
    assert sorted(p.name for p in (ROOT / "bot").glob("monitoring_*.py")) == []
