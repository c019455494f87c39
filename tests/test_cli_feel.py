"""How the `pactwatch` command behaves as a command (issue 11, section 4): what it imports at start, --version, help
texts, output into a pipe, progress only on a terminal, and no optional-dataset notice outside `data check`.
Behaviour only: the timings are in bench/cli_bench.py."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "pyarrow", "duckdb", "spacy", "lifelines", "sklearn", "sksurv", "scipy", "statsmodels",
         "matplotlib", "fastapi", "uvicorn", "starlette", "jinja2", "httpx", "trafilatura")
CLI = "import sys; from pactwatch.cli import main; sys.argv[0] = 'pactwatch'; main()"


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    return {**env, **extra}


def _pactwatch(*args: str, **env) -> subprocess.CompletedProcess:
    """The CLI in a fresh process, stdout and stderr piped (not a terminal)."""
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True, env=_env(**env), timeout=300)


def _heavy_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint('HEAVY:', *(m for m in {HEAVY!r} if m in sys.modules))"
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()[-1].split()[1:]


def test_importing_the_cli_imports_no_heavy_library():
    assert _heavy_after("import pactwatch.cli") == []


def test_help_and_version_import_no_heavy_library():
    run = "import sys\nfrom pactwatch.cli import main\nsys.argv = ['pactwatch', '{}']\ntry:\n    main()\nexcept SystemExit:\n    pass"
    assert _heavy_after(run.format("--help")) == []
    assert _heavy_after(run.format("--version")) == []


def test_root_help_lists_every_command_without_importing_it():
    probe = ("import sys\nfrom pactwatch.cli import main\nsys.argv = ['pactwatch', '--help']\ntry:\n    main()\n"
             "except SystemExit:\n    pass\nprint('LOADED:', *sorted(m for m in sys.modules if m.startswith('pactwatch.cli.')))")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(COLUMNS="200"), timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1].split()[1:] == ["pactwatch.cli.common"]
    from pactwatch.cli import COMMANDS

    for name in COMMANDS:
        assert f"│ {name} " in p.stdout, name


def test_a_mistyped_command_gets_a_suggestion():
    p = _pactwatch("replicat")
    assert p.returncode == 2 and "Did you mean 'replicate'" in p.stderr, p.stderr


def test_panel_cli_modules_import_one_way():
    # cli/panel.py registers the alliance commands of cli/panel_alliances.py; the reverse import made a circle
    import ast

    tree = ast.parse((REPO / "src/pactwatch/cli/panel_alliances.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "pactwatch.cli.panel" not in imported
    p = _pactwatch("panel", "--help", COLUMNS="200")
    assert p.returncode == 0 and "alliance-years" in p.stdout and "alliances " in p.stdout


def test_version_is_the_project_version():
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    p = _pactwatch("--version")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"pactwatch {version}"


def test_help_shows_flags_without_a_type_label():
    p = _pactwatch("data", "check", "--help", COLUMNS="200")
    assert p.returncode == 0, p.stderr
    lines = {ln.split()[1]: ln for ln in p.stdout.splitlines() if ln.startswith("│ --")}
    assert "<bool>" not in lines["--json"] and "<bool>" not in lines["--help"]
    assert "<path>" in lines["--data-dir"]  # options that take a value keep their type


def _commands(group=None, prefix=""):
    import typer.main
    from typer._click import Context

    from pactwatch.cli import app

    root = typer.main.get_command(app) if group is None else group
    if not hasattr(root, "list_commands"):
        return
    ctx = Context(root)
    for name in root.list_commands(ctx):
        cmd = root.get_command(ctx, name)
        yield f"{prefix}{name}", cmd
        yield from _commands(cmd, f"{prefix}{name} ")


def _all_commands():
    return [pytest.param(name, cmd, id=name) for name, cmd in _commands()]


@pytest.mark.parametrize("name,cmd", _all_commands())
def test_command_summary_is_one_line(name, cmd):
    """The command lists show a command's first paragraph with its line breaks (typer's rich help): keep it one line."""
    import inspect

    first = inspect.cleandoc(cmd.help or "").split("\n\n")[0]
    assert first.strip(), f"{name} has no help text"
    assert "\n" not in first, f"{name}: {first!r}"


def test_output_into_a_pipe_is_neither_wrapped_nor_cut(data_dir):
    p = _pactwatch("data", "check", "--quick", "--dataset", "atop-5.1", "--data-dir", str(data_dir))
    assert p.returncode == 0, p.stderr
    assert "…" not in p.stdout
    assert "atop/atop5_1m.csv" in p.stdout  # the whole path in one cell, not folded over lines
    rows = [ln for ln in p.stdout.splitlines() if "atop5_1" in ln]
    assert rows and all("5.1" in ln and "ok" in ln for ln in rows)  # one line per file: every cell on it
    assert max(len(ln) for ln in p.stdout.splitlines()) > 80


def test_absent_optional_dataset_is_reported_only_by_data_check(data_dir, tmp_path):
    from pactwatch.data.registry import registry

    absent = [k for k, d in registry().items() if d.optional and not all((data_dir / f.path).exists() for f in d.files)]
    if not absent:
        pytest.skip("every optional dataset is present in this data directory")
    key = absent[0]
    b = _pactwatch("data", "build", "--data-dir", str(data_dir), "--db", str(tmp_path / "s.duckdb"), "--dataset", key)
    assert b.returncode == 0, b.stderr
    assert "skipped" not in b.stdout + b.stderr and f"optional dataset {key}" not in b.stdout + b.stderr
    c = _pactwatch("data", "check", "--quick", "--data-dir", str(data_dir), "--dataset", key, "--json")
    assert '"absent (optional)"' in c.stdout


def test_progress_shows_only_on_a_terminal(monkeypatch):
    from rich.console import Console

    from pactwatch.cli import common

    for terminal in (True, False):
        buf = io.StringIO()
        monkeypatch.setattr(common, "console_err", Console(file=buf, force_terminal=terminal, width=100))
        with common.progress() as prog:
            t = prog.add_task("alliance panels", total=2)
            prog.update(t, completed=1, description="alliance-years")
            prog.refresh()
        assert ("alliance-years" in buf.getvalue()) is terminal, (terminal, buf.getvalue())
