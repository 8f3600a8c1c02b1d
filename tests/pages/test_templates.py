"""What axe checks in the browser for the pages the year's journey reaches, checked here on every template.

A table that may scroll sideways on a phone sits in a ``.table-wrap``; a keyboard user can scroll it only if it takes
the focus, and a screen reader announces it only with a role and a name (WCAG 2.1.1 and 4.1.2; axe's
``scrollable-region-focusable``). The browser suite sees only the pages its story opens, so this looks at them all.
"""

from __future__ import annotations

import re
from pathlib import Path

import web

TEMPLATES = Path(web.__file__).parent / "templates"
TABLE_WRAP = re.compile(r"<div\b[^>]*\bclass=\"[^\"]*\btable-wrap\b[^\"]*\"[^>]*>")


def test_every_scrolling_table_can_be_reached_by_keyboard_and_is_named() -> None:
    found: list[str] = []
    faults: list[str] = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for tag in TABLE_WRAP.findall(template.read_text(encoding="utf-8")):
            found.append(tag)
            missing = [attr for attr in ('tabindex="0"', 'role="region"', "aria-label=") if attr not in tag]
            if missing:
                faults.append(f"{template.relative_to(TEMPLATES)}: {tag} lacks {', '.join(missing)}")
    assert len(found) >= 10, "the templates' .table-wrap elements were not found"
    assert not faults, "\n".join(faults)
