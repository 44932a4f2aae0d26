"""Reading server-rendered pages in tests: fetch a page, read a table's rows as text."""

from __future__ import annotations

import re
from html import unescape

CELL_RE = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG_RE = re.compile(r"<[^>]+>")


def get_html(client, url: str, expect: int = 200, **params) -> str:
    """The page's HTML, asserting its status."""
    response = client.get(url, params)
    assert response.status_code == expect, response.content[:800]
    return response.content.decode()


def table_rows(html: str, attr: str) -> dict[str, list[str]]:
    """``{data-<attr> value: [cell text, ...]}`` of a page's table rows (whitespace collapsed)."""
    out = {}
    for key, body in re.findall(rf'<tr[^>]* data-{attr}="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        out[unescape(key)] = [" ".join(unescape(TAG_RE.sub("", c)).split()) for c in CELL_RE.findall(body)]
    return out
