"""The README shows every screenshot that `make screenshots` takes, and links to none that is missing."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_screenshots", ROOT / "docs" / "make_screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_shows_each_screenshot_and_no_missing_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\((docs/screenshots/[^)]+)\)", readme)
    assert shown, "the README shows no screenshot"
    assert [path for path in shown if not (ROOT / path).is_file()] == []  # no dead link
    on_disk = sorted(str(p.relative_to(ROOT)) for p in SHOTS.glob("*.png"))
    assert sorted(set(shown)) == on_disk  # nothing taken that the README leaves out


def test_every_page_of_the_script_has_its_desktop_and_phone_screenshot():
    script = _script()
    names = [name for name, _, _ in script.PAGES] + ["citations"]  # the quote topic, found at run time
    expected = {f"{name}-{size}.png" for name in names for size in script.SIZES}
    assert len(expected) == 2 * len(names) >= 26
    assert expected == {p.name for p in SHOTS.glob("*.png")}
