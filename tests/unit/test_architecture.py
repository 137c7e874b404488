"""The layout's rules, read from the import statements of every source file (ast, no imports executed).

- Dependencies point inward: bot → agent → tools → knowledge → domain; no package imports one above it.
- botbuilder / botframework / msrest are imported only under bot/ (the Teams edge).
- SQLAlchemy only in domain/, knowledge/ and migrations/ (tests and bench too). bot/ may hold the engine and session
  handles the app wires (``sqlalchemy.ext.asyncio``: AsyncEngine, AsyncSession, async_sessionmaker) and nothing else:
  no SQL outside domain/ and knowledge/. agent/ and tools/ import no SQLAlchemy at all.
- devtools/ (embedded servers, the Playground launcher, fakes) is imported at module level only by tests/, bench/ and
  devtools/ itself. Product code may import it only inside a function of the few command-line modules that start
  embedded servers when no URL is configured (never at import time, so the image, which has no devtools/, runs).
- Product code imports nothing from tests/ or bench/, and bench/ imports nothing from tests/.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("bot", "agent", "tools", "knowledge", "domain", "migrations", "devtools")
SCANNED = (*PRODUCT, "bench", "scripts", "tests")

# Each package may import itself and the packages listed (the layers below it).
MAY_IMPORT = {
    "domain": set(),
    "knowledge": {"domain"},
    "tools": {"domain", "knowledge"},
    "agent": {"domain", "knowledge", "tools"},
    "bot": {"domain", "knowledge", "tools", "agent"},
    "migrations": {"domain"},
}
FIRST_PARTY = {"bot", "agent", "tools", "knowledge", "domain", "migrations", "devtools", "tests", "bench", "scripts"}
BOTFRAMEWORK = ("botbuilder", "botframework", "msrest")
SQLALCHEMY_PACKAGES = ("domain", "knowledge", "migrations", "tests", "bench")
BOT_SQLALCHEMY_HANDLES = {"AsyncEngine", "AsyncSession", "async_sessionmaker"}
DEVTOOLS_IMPORTERS = ("tests", "bench", "scripts", "devtools")
# Command-line modules that start embedded servers (or the Playground) on demand, inside a function.
DEVTOOLS_LAZY = {"bot/process/runtime.py", "knowledge/__main__.py", "knowledge/evaluation_run.py"}


@dataclass(frozen=True)
class Import:
    file: str  # path relative to the repository root
    line: int
    module: str  # the imported module, absolute
    names: tuple[str, ...]  # for ``from m import a, b``; empty for ``import m``
    lazy: bool  # inside a function (runs only when called) or under ``if TYPE_CHECKING:`` (never runs)

    @property
    def top(self) -> str:
        return self.module.split(".")[0]

    @property
    def package(self) -> str:
        return self.file.split("/")[0]

    def __str__(self) -> str:
        what = f"from {self.module} import {', '.join(self.names)}" if self.names else f"import {self.module}"
        return f"{self.file}:{self.line}: {what}"


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, source: str | None = None) -> list[Import]:
    rel = path.relative_to(ROOT).as_posix()
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"), filename=rel)
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(rel, child.lineno, a.name, (), lazy) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:  # relative: resolve against the file's package
                    base = rel.removesuffix(".py").split("/")[: -child.level]
                    module = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    module = child.module or ""
                found.append(Import(rel, child.lineno, module, tuple(a.name for a in child.names), lazy))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, True)
            elif isinstance(child, ast.If) and _type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), True)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), lazy)
            else:
                visit(child, lazy)

    visit(tree, False)
    return found


def source_files() -> list[Path]:
    files = [p for top in SCANNED for p in (ROOT / top).rglob("*.py")]
    return sorted(p for p in files if "__pycache__" not in p.parts)


def violations(imports: list[Import]) -> list[str]:
    bad: list[str] = []
    for imp in imports:
        pkg, top = imp.package, imp.top
        if (pkg in MAY_IMPORT and top in FIRST_PARTY and top != pkg and top not in MAY_IMPORT[pkg]
                and not (top == "devtools" and imp.lazy and imp.file in DEVTOOLS_LAZY)):
            bad.append(f"{imp}  ({pkg}/ may import only {sorted(MAY_IMPORT[pkg]) or 'itself'})")
            continue
        if top in BOTFRAMEWORK and pkg in PRODUCT and pkg != "bot":
            bad.append(f"{imp}  (Bot Framework imports belong in bot/)")
        if top == "sqlalchemy" and pkg not in SQLALCHEMY_PACKAGES:
            handles_only = imp.module == "sqlalchemy.ext.asyncio" and set(imp.names) <= BOT_SQLALCHEMY_HANDLES
            if not (pkg == "bot" and handles_only):
                bad.append(f"{imp}  (SQL belongs in domain/ and knowledge/; bot/ may hold engine/session handles)")
        if top == "devtools" and pkg not in DEVTOOLS_IMPORTERS and not (imp.lazy and imp.file in DEVTOOLS_LAZY):
            bad.append(f"{imp}  (devtools/ is for tests, bench and scripts; the image has none)")
        if top in ("tests", "bench") and pkg in PRODUCT:
            bad.append(f"{imp}  (product code imports no tests or bench)")
        if top == "tests" and pkg == "bench":
            bad.append(f"{imp}  (bench imports nothing from tests/: shared fakes live in devtools/fakes)")
    return bad


def test_every_import_in_the_tree_keeps_the_layout() -> None:
    imports = [imp for path in source_files() for imp in imports_of(path)]
    assert len({imp.file for imp in imports}) > 200  # the walk saw the tree
    assert violations(imports) == []


@pytest.mark.parametrize(("file", "source"), [
    ("agent/loop.py", "from bot.channel.streaming import TeamsStream\n"),
    ("agent/loop.py", "import botbuilder.core\n"),
    ("tools/lookup_student.py", "from sqlalchemy import select\n"),
    ("agent/prompt.py", "def f():\n    from sqlalchemy import text\n"),
    ("bot/routes.py", "from sqlalchemy import text\n"),
    ("domain/students.py", "from tools.base import Services\n"),
    ("knowledge/retriever.py", "from botframework.connector.auth import BotFrameworkAuthentication\n"),
    ("bot/app.py", "from devtools.embedded_servers import EmbeddedPostgres\n"),
    ("bot/app.py", "def start():\n    from devtools.playground import Playground\n"),
    ("bot/process/runtime.py", "from devtools.embedded_servers import EmbeddedPostgres\n"),
    ("tools/base.py", "from tests.support.security import services\n"),
    ("bench/alerts.py", "from tests.support.alerts import adapter\n"),
])
def test_a_violating_import_is_caught(file: str, source: str) -> None:
    assert violations(imports_of(ROOT / file, source)) != []


@pytest.mark.parametrize(("file", "source"), [
    ("bot/routes.py", "from sqlalchemy.ext.asyncio import AsyncEngine\n"),
    ("bot/process/runtime.py", "def start():\n    from devtools.embedded_servers import EmbeddedPostgres\n"),
    ("bot/process/runtime.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from devtools.playground import P\n"),
    ("bench/alerts.py", "from devtools.fakes.activities import TENANT\n"),
    ("agent/loop.py", "from tools.registry import TOOLS\n"),
])
def test_an_import_the_layout_allows_passes(file: str, source: str) -> None:
    assert violations(imports_of(ROOT / file, source)) == []


def test_no_code_reaches_a_service_by_getattr() -> None:
    """Services are typed (``tools.base`` Protocols; optional ones ``X | None``): ``getattr(services, "alerts",
    None)`` hides a missing or renamed service from the type checker."""
    import ast as _ast
    from pathlib import Path as _Path

    root = _Path(__file__).resolve().parents[2]
    found = []
    for package in ("bot", "tools", "agent"):
        for path in (root / package).rglob("*.py"):
            for node in _ast.walk(_ast.parse(path.read_text())):
                if (isinstance(node, _ast.Call) and isinstance(node.func, _ast.Name) and node.func.id == "getattr"
                        and node.args and "services" in _ast.unparse(node.args[0])):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
