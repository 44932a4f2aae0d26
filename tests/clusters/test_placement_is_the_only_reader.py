"""No code outside :mod:`clusters.placement` reads the labels that decide where a series is.

Those labels change with the user's scrape setup (docs/SCRAPE-SETUPS.md); one module
knows them all. This scans every string literal of the product's Python code (f-string
parts and PromQL text included) for their names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("accelerators", "clusters", "exports", "hardware", "infrastructure", "kcloud", "monitoring", "system")
ALLOWED = ROOT / "clusters" / "placement"
NAMES = r"(instance|Hostname|hostname|node_name|exported_\w+)"
# A literal that is a label name (``labels.get("Hostname")``), or the name used as PromQL uses
# labels: in a ``by (...)`` list or a matcher. Prose ("a MIG instance id") and longer names
# (``hypervisor_hostname``) are not reads.
EXACT = re.compile(rf"^{NAMES}$")
PROMQL = re.compile(rf"(?:\b(?:by|without)\s*\([^)]*?(?<![\w.]){NAMES}\b|(?<![\w.]){NAMES}\s*(?:=~|!~|!=|=)\s*\")")


def _literals(tree: ast.AST) -> list[tuple[int, str]]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_only_the_placement_module_names_placing_labels():
    offenders = []
    for app in PRODUCT:
        for path in (ROOT / app).rglob("*.py"):
            if ALLOWED in path.parents or "migrations" in path.parts:
                continue
            for lineno, text in _literals(ast.parse(path.read_text(), str(path))):
                found = EXACT.search(text) or PROMQL.search(text)
                if found:
                    offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {found.group(0)!r} in {text[:80]!r}")
    assert not offenders, "placement labels read outside clusters/placement:\n" + "\n".join(offenders)


def test_the_scan_finds_what_it_looks_for():
    tree = ast.parse('x = f"sum by (exported_instance, instance) (y)"\ny = labels.get("Hostname")')
    found = [bool(EXACT.search(t) or PROMQL.search(t)) for _, t in _literals(tree)]
    assert found == [True, True]
    assert PROMQL.search('up{instance="x:9100"}') and PROMQL.search("max by (UUID, Hostname) (x)")
    assert not PROMQL.search("MIG GPU instance id.") and not EXACT.search("hypervisor_hostname")
