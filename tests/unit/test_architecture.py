"""The house rules that keep membank easy to live in, checked rather than hoped for."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("ui", "app", "memory", "models")
MAX_LINES = 500
MAX_MODULES_SIDE_BY_SIDE = 20


def _sources() -> list[Path]:
    return [p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")]


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_folder_holds_more_than_20_modules_side_by_side() -> None:
    crowded = {}
    for layer in LAYERS:
        for folder in [ROOT / layer, *[p for p in (ROOT / layer).rglob("*") if p.is_dir()]]:
            modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
            if len(modules) > MAX_MODULES_SIDE_BY_SIDE:
                crowded[str(folder.relative_to(ROOT))] = len(modules)
    assert crowded == {}


def test_every_module_lives_in_a_package() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for layer in LAYERS
        for p in [ROOT / layer, *(ROOT / layer).rglob("*")]
        if p.is_dir() and p.name != "__pycache__" and not (p / "__init__.py").exists()
    ]
    assert missing == []


def _module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_anywhere_type_checking_imports_included() -> None:
    graph = grimp.build_graph(*LAYERS, include_external_packages=False, cache_dir=None)
    # A package's __init__ importing its own modules is not a cycle worth reporting; ours are
    # docstrings only, so any component here is a real cycle between modules.
    assert _module_cycles(graph) == []


# (importer, imported, why): packages that must not reach each other, directly or through others.
FORBIDDEN_CHAINS = [
    ("ui.__main__", "app.cli", "the window shares its options through app.options, not the CLI"),
    ("app.transfer", "app.services", "services use the transfer readers, never the reverse"),
]


@pytest.mark.parametrize(
    ("importer", "imported", "why"),
    FORBIDDEN_CHAINS,
    ids=[f"{a}->{b}" for a, b, _ in FORBIDDEN_CHAINS],
)
def test_no_import_chain_runs_back_up(importer: str, imported: str, why: str) -> None:
    graph = grimp.build_graph(*LAYERS, include_external_packages=False, cache_dir=None)
    chain = graph.find_shortest_chains(importer, imported, as_packages=True)
    assert chain == set(), why


def test_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a two-module cycle is reported."""

    class Graph:
        modules = {"a", "b", "c"}

        @staticmethod
        def find_modules_directly_imported_by(name: str) -> set[str]:
            return {"a": {"b"}, "b": {"a"}, "c": {"a"}}[name]

    assert _module_cycles(Graph()) == [["a", "b"]]  # type: ignore[arg-type]


def _private_imports(source: str) -> list[str]:
    """Imports of a private module (`pkg._http`) or a private name (`from pkg import _x`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            names = [a.name for a in node.names]
        else:
            continue
        for module in modules:
            parts = [p for p in module.split(".") if p != "__future__"]
            private = [p for p in parts if p.startswith("_")]
            private += [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                found.append(module)
    return found


def test_no_module_imports_private_internals_of_a_package() -> None:
    """Private modules (huggingface_hub.utils._http) change without notice; use public APIs."""
    private = {
        str(p.relative_to(ROOT)): found
        for p in _sources()
        if (found := _private_imports(p.read_text(encoding="utf-8")))
    }
    assert private == {}


def test_private_import_finder_finds_them() -> None:
    source = (
        "from __future__ import annotations\n"
        "from huggingface_hub.utils._http import http_stream_backoff\n"
        "import huggingface_hub.utils._headers\n"
        "from huggingface_hub.utils import _runtime, build_hf_headers\n"
        "from huggingface_hub.utils import http_stream_backoff\n"
    )
    assert _private_imports(source) == [
        "huggingface_hub.utils._http",
        "huggingface_hub.utils._headers",
        "huggingface_hub.utils",
    ]


BENCH_PREFIX = "app.bench"

PROBE = """
import sys
{setup}
loaded = sorted(m for m in sys.modules if m == "app.bench" or m.startswith("app.bench."))
print(",".join(loaded))
"""


@pytest.mark.parametrize(
    "setup",
    [
        # What `membank` runs before its window: the GUI entry module and everything it imports.
        "import ui.__main__",
        # What every non-bench command runs: the CLI, its parser, a command that fails fast.
        "import tempfile\nfrom app.cli.main import main\n"
        "assert main(['--data-dir', tempfile.mkdtemp(), 'memories', 'list']) == 0",
    ],
    ids=["gui", "cli"],
)
def test_starting_the_gui_or_a_command_loads_no_benchmark(setup: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1:] in ([""], []), out.stdout


def test_the_bench_command_does_load_the_benchmarks() -> None:
    """The probe above can see app.bench when it is loaded."""
    setup = "from app.bench import runner"
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "app.bench.runner" in out.stdout


def _imports_of(package: str) -> dict[str, set[str]]:
    graph = grimp.build_graph(*LAYERS, include_external_packages=False, cache_dir=None)
    return {
        module: graph.find_modules_directly_imported_by(module)
        for module in graph.modules
        if module == package or module.startswith(package + ".")
    }


def test_the_engine_never_imports_the_composition_root() -> None:
    """app/bootstrap.py builds the engine (app/engine/); an import back up it ties the engine
    to everything the root wires (and is a cycle waiting to happen)."""
    upward = {
        module: sorted(i for i in imported if i == "app.bootstrap")
        for module, imported in _imports_of("app.engine").items()
    }
    assert {m: i for m, i in upward.items() if i} == {}


def _calls_to(source: str, name: str) -> int:
    return sum(
        1
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    )


def test_only_update_config_writes_the_settings_file() -> None:
    """One path changes the config (STYLE 4): ModelHost.update_config reads, changes, saves and
    swaps under one lock. The benchmarks write a scratch data folder's file before opening it."""
    writers = {
        str(p.relative_to(ROOT))
        for p in _sources()
        if _calls_to(p.read_text(encoding="utf-8"), "save_config")
        and not p.is_relative_to(ROOT / "app" / "bench")
    }
    assert writers == {"app/engine/host.py"}
