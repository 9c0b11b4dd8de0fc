"""The dependency direction: forum never imports moderation, except in the app factory."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_forum_does_not_import_moderation_outside_the_app_factory():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "forum").rglob("*.py")
        if path.name != "app.py" and any(n == "moderation" or n.startswith("moderation.") for n in _imports(path))
    ]
    assert offenders == []


def test_the_provenance_checker_knows_nothing_of_the_web_or_the_database():
    folder = ROOT / "moderation" / "provenance"
    forbidden = ("forum", "starlette", "sqlalchemy", "jinja2", "httpx", "requests", "urllib.request", "socket")
    offenders = [
        (str(path.relative_to(ROOT)), name)
        for path in folder.rglob("*.py")
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]
    assert offenders == []


def test_only_markup_calls_bleach():
    users = [
        str(path.relative_to(ROOT))
        for path in list((ROOT / "forum").rglob("*.py")) + list((ROOT / "moderation").rglob("*.py"))
        if any(n == "bleach" or n.startswith("bleach.") for n in _imports(path))
    ]
    assert users == ["forum/markup.py"]
