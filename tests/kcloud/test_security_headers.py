"""Security headers on every answer: a CSP without inline script, no framing, a strict referrer policy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("url", ["/accounts/login/", "/api/v1/system/version", "/api/v1/docs/"])
def test_csp_forbids_inline_script_and_framing(client, url):
    response = client.get(url)
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_page_template_has_an_inline_script():
    """The CSP would block it: every script is a file under static/."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    inline = []
    for path in root.rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{path.relative_to(root)}: {tag}")
        if re.search(r"\son[a-z]+=\"", path.read_text()):
            inline.append(f"{path.relative_to(root)}: an inline event handler")
    assert not inline, inline


def test_password_validators_are_on(settings):
    names = {v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= names
