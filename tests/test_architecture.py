"""The package's imports follow its layers, and no module imports itself back (see ARCHITECTURE.md).

Layers, top to bottom: cli and the inspect-ai tasks → study → guard | train → eval → classifiers → gym → core
(the top-level modules, ``text`` and ``backends``). A module may import from its own package and
from any layer below; guard and train, side by side, never import each other. Imports inside
functions count, and so do modules named in strings: ``register_lazy``/``import_module`` targets
and Python code handed to a subprocess. A registry naming its parts lazily (the part then imports
the registry's types) is how a part registers itself, so those names count for the layers but not
as cycles.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
RANK = {"cli": 6, "inspect_tasks": 6, "study": 5, "guard": 4, "train": 4, "eval": 3, "classifiers": 2, "gym": 1}
#: a module kept at its old path after a move, importing only its new home (which may sit sideways)
MOVED = {"r1safe.inspect_tasks": "r1safe.cli.inspect_tasks"}
CODE_IMPORT = re.compile(r"(?:from|import)\s+(r1safe(?:\.\w+)+)")


def modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "r1safe").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def package(module: str) -> str:
    """The layer a module belongs to: its first sub-package when that is a layer, else 'core'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else "core"


def rank(module: str) -> int:
    return RANK.get(package(module), 0)


def imports(name: str, path: Path, known: dict[str, Path], registrations: bool = True) -> set[str]:
    """Every r1safe module ``name`` imports, at any depth of its code (with ``registrations``, also
    the modules it registers lazily)."""
    found: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_pkg else 0)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:  # `from pkg import submodule` imports the submodule, not pkg's __init__
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == "import_module" or (registrations and called == "register_lazy"):
                found.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(CODE_IMPORT.findall(node.value))
    return {m for m in found if m in known and m != name}


def graph(registrations: bool = True) -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known, registrations) for name, path in known.items()}


def test_no_import_goes_up_a_layer_or_sideways() -> None:
    bad = [f"{a} -> {b}" for a, targets in graph().items() for b in sorted(targets)
           if package(a) != package(b) and rank(b) >= rank(a) and not (package(a) == package(b) == "core")
           and not (rank(a) == rank(b) == 0) and MOVED.get(a) != b]
    assert not bad, "imports against the layers:\n" + "\n".join(sorted(bad))


def test_no_import_cycle() -> None:
    edges = graph(registrations=False)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_checker_sees_lazy_and_string_imports(tmp_path: Path) -> None:
    code = ("def f():\n    from r1safe.cli import main\n"
            "REG.register_lazy('x', 'r1safe.classifiers.harm.model')\n"
            "CMD = ['-c', 'from r1safe.study.runner import run; run()']\n")
    path = tmp_path / "m.py"
    path.write_text(code)
    known = {m: path for m in ("r1safe.cli.main", "r1safe.classifiers.harm.model", "r1safe.study.runner")}
    assert imports("r1safe.gym.m", path, known) == set(known)


def test_judges_train_nothing_and_classifier_helpers_live_once() -> None:
    """Issue 27: no module of eval/judges/ trains anything (training lives in classifiers/), and the
    shared data helpers (CSV reading, the missing-file error, the split bucket) are written once."""
    judges = (SRC / "r1safe" / "eval" / "judges").rglob("*.py")
    training = re.compile(r"\.backward\(|torch\.optim|optimizer\.step|train_classifier|fit_head|refusal\.finetune")
    assert not [p.name for p in judges if training.search(p.read_text(encoding="utf-8"))]
    classifiers = list((SRC / "r1safe").rglob("*.py"))
    for helper in (r"def _?read_csv\(", r"def _?need\(", r"crc32\(\w+\.strip\(\)\.lower\(\)"):
        found = [p.relative_to(SRC).as_posix() for p in classifiers if re.search(helper, p.read_text(encoding="utf-8"))]
        assert len(found) <= 1, f"{helper} written in {found}"


def test_data_readers_never_guess_the_data_folder_from_the_install_path() -> None:
    readers = (SRC / "r1safe" / "classifiers").rglob("*.py")
    walking = re.compile(r"__file__\)\.resolve\(\)\.parents|parents\[\d\].*shared")
    assert not [p.name for p in readers if walking.search(p.read_text(encoding="utf-8"))]
