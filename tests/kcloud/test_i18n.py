"""Korean and English: the catalogue is complete and compiled, the language follows the browser or the switcher.

``makemessages`` is run for real (into a copy of ``locale/``) so a string marked for
translation anywhere without a Korean entry fails here, and the committed ``.mo`` must be
what ``msgfmt`` makes of the committed ``.po``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.services import require_binary

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every entry but the header."""
    found = []
    for block in po_text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block, re.M)
        if not match:
            continue
        msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
        msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
        if msgid:
            found.append((msgid, msgstr, "#, fuzzy" in block))
    return found


def test_every_marked_string_has_a_korean_translation(tmp_path, settings, monkeypatch):
    require_binary("xgettext", "gettext")
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(ROOT)
    ignore = ["var/*", "node_modules/*", "tests/*", "demo/*", "bench/*", "deploy/*"]
    call_command("makemessages", "-l", "ko", "--no-obsolete", "--no-location", *[f"--ignore={i}" for i in ignore])
    merged = entries((tmp_path / "locale" / "ko" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    assert merged, "no messages extracted"
    missing = [msgid for msgid, msgstr, fuzzy in merged if not msgstr or fuzzy]
    assert not missing, f"no Korean for {missing} (run makemessages -l ko and translate locale/ko)"


def test_the_compiled_catalogue_is_the_committed_one(tmp_path):
    msgfmt = require_binary("msgfmt", "gettext")
    subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "django.mo"), str(PO)], check=True)
    assert (tmp_path / "django.mo").read_bytes() == PO.with_suffix(".mo").read_bytes(), "run compilemessages"


@pytest.mark.django_db
def test_the_language_follows_the_browser_and_then_the_switcher(client):
    korean = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.8")
    assert '<html lang="ko">' in korean.text and "<h1>로그인</h1>" in korean.text
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert '<html lang="en">' in english.text and "<h1>Log in</h1>" in english.text
    # The switcher's choice wins over the browser and is remembered.
    client.post("/i18n/setlang/", {"language": "ko", "next": "/accounts/login/"})
    again = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert "<h1>로그인</h1>" in again.text


@pytest.mark.django_db
def test_the_api_stays_english_in_korean(client):
    response = client.get("/api/v1/clusters", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied"}


def test_the_staff_navigation_is_translated(staff_client):
    page = staff_client.get("/clusters/", HTTP_ACCEPT_LANGUAGE="ko")
    assert ">클러스터</a>" in page.text and "시각은 UTC 기준" in page.text
