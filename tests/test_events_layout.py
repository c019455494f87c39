"""The events package's layout (issue 10): one component per module, no import circle, no private name imported
from another module, and the runtime package never imports the training code (pactwatch.events_train)."""
from __future__ import annotations

import ast
from pathlib import Path

import pactwatch

SRC = Path(pactwatch.__file__).resolve().parent
PACKAGES = ("events", "events_train")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in sorted((SRC / pkg).glob("*.py")):
            out[f"pactwatch.{pkg}" + ("" if p.stem == "__init__" else f".{p.stem}")] = p
    return out


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import statement in ``path``, also those inside functions."""
    out = []
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.Import):
            out += [(a.name, []) for a in n.names]
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            out.append((n.module, [a.name for a in n.names]))
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    g = {m: set() for m in mods}
    for m, p in mods.items():
        for mod, names in _imports(p):
            for target in [mod] + [f"{mod}.{x}" for x in names]:
                if target in mods and target != m:
                    g[m].add(target)
    return g


def _circles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
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

    for v in g:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_in_the_events_packages():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_runtime_never_imports_training():
    g = _graph()
    bad = {m: sorted(t for t in g[m] if t.startswith("pactwatch.events_train")) for m in g
           if m.startswith("pactwatch.events.")}
    assert {m: t for m, t in bad.items() if t} == {}


def test_no_private_name_imported_across_modules():
    bad = [f"{p.name}: from {mod} import {x}" for p in _modules().values() for mod, names in _imports(p)
           if mod.startswith("pactwatch") for x in names if x.startswith("_")]
    assert bad == []


def test_each_pactwatch_component_lives_in_its_own_module():
    """Each spaCy factory/component pactwatch registers is defined in a module of its own (no module registers two,
    except the two segmentation steps that run before the parser)."""
    per_module = {}
    for m, p in _modules().items():
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("factory", "component") \
                    and n.args and isinstance(n.args[0], ast.Constant) and str(n.args[0].value).startswith("pactwatch_"):
                per_module.setdefault(m, []).append(n.args[0].value)
    assert sorted(c for cs in per_module.values() for c in cs) == sorted(
        ["pactwatch_list_markers", "pactwatch_lines", "pactwatch_actors", "pactwatch_coref", "pactwatch_events",
         "pactwatch_main_clause", "pactwatch_rootmodel", "pactwatch_hybrid"])
    assert {m: cs for m, cs in per_module.items() if len(cs) > 1} == {
        "pactwatch.events.segment": ["pactwatch_list_markers", "pactwatch_lines"]}
