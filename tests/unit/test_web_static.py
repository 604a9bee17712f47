"""The web console's static pages (konform_web/static): the German and English texts have the
same keys, every text a page or script names exists, every script and stylesheet a page loads
is there, and no script puts server data into innerHTML (the pages build the DOM from text)."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "konform_web" / "static"
PAGES = ["login", "wallboard", "desk", "supervisor"]


def _texts(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def test_german_and_english_have_the_same_keys() -> None:
    de, en = _texts("de"), _texts("en")
    assert set(de) == set(en)
    assert all(v.strip() for v in [*de.values(), *en.values()])


def test_every_named_text_exists() -> None:
    keys = set(_texts("en"))
    named: set[str] = set()
    for page in PAGES:
        html = (STATIC / f"{page}.html").read_text("utf-8")
        named |= set(re.findall(r'data-i18n(?:-[a-z]+)?="([^"]+)"', html))
    for script in STATIC.glob("*.js"):
        code = script.read_text("utf-8")
        named |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+)"', code))
        named |= set(re.findall(r'"data-i18n(?:-[a-z]+)?": "([^"]+)"', code))
    assert named, "the pages name their texts"
    assert sorted(named - keys) == []


def test_pages_load_only_files_that_exist() -> None:
    for page in PAGES:
        html = (STATIC / f"{page}.html").read_text("utf-8")
        refs = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
        assert "common.js" in refs, page
        for ref in refs:
            assert (STATIC / ref).is_file(), (page, ref)
        assert re.search(r'<html lang="en"[ >]', html), page
        assert 'name="viewport"' in html


def test_scripts_never_write_html() -> None:
    for script in STATIC.glob("*.js"):
        code = script.read_text("utf-8")
        assert "innerHTML" not in code, script.name
        assert "outerHTML" not in code, script.name
        assert "document.write" not in code, script.name
