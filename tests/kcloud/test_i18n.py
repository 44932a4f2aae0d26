"""Korean and English: the catalogue is complete and compiled, the language follows the browser or the switcher.

``makemessages`` is run for real (into a copy of ``locale/``) so a string marked for
translation anywhere without a Korean entry fails here, and the committed ``.mo`` must be
what ``msgfmt`` makes of the committed ``.po``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.services import require_binary

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "locale" / "ko" / "LC_MESSAGES"
DOMAINS = ("django", "djangojs")  # templates and Python; the pages' scripts (static/js)
IGNORE = ["var/*", "node_modules/*", "tests/*", "demo/*", "bench/*", "deploy/*", "static/vendor/*"]


ENTRY = re.compile(r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n?)+)', re.M)


def entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every entry but the header."""
    found = []
    for block in po_text.split("\n\n"):
        match = re.search(
            r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M
        )
        if not match:
            continue
        msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
        msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
        if msgid:
            found.append((msgid, msgstr, "#, fuzzy" in block))
    return found


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_has_a_korean_translation(domain, tmp_path, settings, monkeypatch):
    require_binary("xgettext", "gettext")
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(ROOT)
    options = ["-l", "ko", "-d", domain, "--no-obsolete", "--no-location", *[f"--ignore={i}" for i in IGNORE]]
    call_command("makemessages", *options, verbosity=0)
    merged = entries((tmp_path / "locale" / "ko" / "LC_MESSAGES" / f"{domain}.po").read_text(encoding="utf-8"))
    assert merged, "no messages extracted"
    missing = [msgid for msgid, msgstr, fuzzy in merged if not msgstr or fuzzy]
    assert not missing, f"no Korean for {missing} (makemessages -l ko -d {domain}, then translate locale/ko)"


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_is_the_committed_one(domain, tmp_path):
    msgfmt = require_binary("msgfmt", "gettext")
    po = CATALOGUES / f"{domain}.po"
    subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "out.mo"), str(po)], check=True)
    assert (tmp_path / "out.mo").read_bytes() == po.with_suffix(".mo").read_bytes(), "run compilemessages"


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


@pytest.mark.django_db
def test_the_scripts_get_their_catalogue(client):
    catalogue = client.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="ko")
    text = catalogue.content.decode()
    assert catalogue.status_code == 200 and json.dumps("실시간 (WebSocket)")[1:-1] in text


def test_the_staff_navigation_is_translated(staff_client):
    page = staff_client.get("/clusters/", HTTP_ACCEPT_LANGUAGE="ko")
    assert ">클러스터</a>" in page.text and "시각은 UTC 기준" in page.text


# Words that stay as they are in Korean: names of products, vendors and technologies, units.
UNTRANSLATED_WORDS = {
    "KCloud",
    "Monitor",
    "NVIDIA",
    "FuriosaAI",
    "Rebellions",
    "Kubernetes",
    "Prometheus",
    "DCGM",
    "MIG",
    "IPMI",
    "BMC",
    "PSU",
    "DCMI",
    "Kepler",
    "GPU",
    "GPUs",
    "NPU",
    "NPUs",
    "CPU",
    "CPUs",
    "DRAM",
    "PUE",
    "VM",
    "VMs",
    "API",
    "CSV",
    "JSON",
    "Parquet",
    "Excel",
    "PDF",
    "UTC",
    "SSE",
    "WebSocket",
    "kW",
    "kWh",
    "MWh",
    "Wh",
    "gCO2e",
    "CO2e",
    "CO₂e",
    "KRW",
    "ms",
    "KiB",
    "MiB",
    "GiB",
    "ID",
    "UUID",
    "Grafana",
    "OpenAPI",
    "Swagger",
    "uPlot",
    "CO",  # g CO₂e: the word stops at the subscript
    "kg",
    "Kubelet",
    "BIOS",
    "Furiosa",
    "UID",
    "IT",  # IT power/energy: the term as the data centre uses it
    "KCLOUD",
    "MONITOR",
    "MB",
    "MHz",
    "SM",
}
TEXT_ATTRIBUTES = re.compile(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"')


def unmarked(template: str) -> list[str]:
    """English words a template shows without marking them for translation."""
    text = re.sub(r"{% *comment *%}.*?{% *endcomment *%}|{#.*?#}", "", template, flags=re.S)
    text = re.sub(r"{% *blocktranslate.*?{% *endblocktranslate *%}", "", text, flags=re.S)
    # Literal text handed to an included template ({% include "x" with label="Power" %}).
    shown = re.findall(r"{% *include\b[^%]*?\bwith\b[^%]*?%}", text, flags=re.S)
    shown = [value for tag in shown for value in re.findall(r'\w+="([^"]*)"', tag)]
    shown = [value for value in shown if not re.fullmatch(r"[a-z0-9_.-]*", value)]  # identifiers, not text
    text = re.sub(r"{%.*?%}|{{.*?}}", "", text, flags=re.S)
    text = re.sub(r"<(script|style|code|pre)\b.*?</\1>", "", text, flags=re.S)
    shown += TEXT_ATTRIBUTES.findall(text)
    text = re.sub(r"<[^>]*>", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]", " ".join([text, *shown]))
    return [w for w in words if w not in UNTRANSLATED_WORDS]


def test_the_checker_sees_unmarked_text():
    assert unmarked('<h1>Power now</h1><p title="Idle">{% translate "x" %} 42 kWh</p>') == ["Power", "now", "Idle"]
    assert unmarked("{% blocktranslate trimmed %}On {{ n }} nodes{% endblocktranslate %}<b>{{ x }}</b>") == []


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.html"))
)
def test_no_template_shows_text_not_marked_for_translation(path):
    found = unmarked((ROOT / "templates" / path).read_text(encoding="utf-8"))
    assert not found, f"{path}: mark for translation: {sorted(set(found))}"
