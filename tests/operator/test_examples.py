"""Every example: valid against the CRD, honest about defaults, in the namespace skaffold installs into."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from kubemail_operator import crds

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "operator" / "examples"
ALL = sorted(EXAMPLES.rglob("*.yaml"))
VALID = sorted(EXAMPLES.glob("*.yaml"))
SCHEMAS = {
    fn()["spec"]["names"]["kind"]: fn()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for fn in crds.FILES.values()
}
# "# Defaults: enabled, the domain's quota, deletionPolicy Retain, ..." (one comment line)
DEFAULTS_LINE = re.compile(r"^#.*\bdefaults?\b\s*:?(.*)$", re.IGNORECASE | re.MULTILINE)


def _skaffold_namespaces() -> set[str]:
    skaffold = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    return {r["namespace"] for r in skaffold["deploy"]["helm"]["releases"] if r.get("namespace")}


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _claimed_defaults(text: str, spec_schema: dict[str, Any]) -> dict[str, object]:
    """{field: value} for every `field [value]` a defaults comment names that has a CRD default."""
    props = spec_schema["properties"]
    claims: dict[str, object] = {}
    for tail in DEFAULTS_LINE.findall(text):
        for item in tail.split(","):
            words = item.strip().rstrip(".").split()
            if not words or words[0] not in props or "default" not in props[words[0]]:
                continue
            default = props[words[0]]["default"]
            if len(words) == 1:  # a bare field name claims a boolean default of true
                claims[words[0]] = True
            else:
                claims[words[0]] = words[1] if not isinstance(default, bool) else words[1].lower() == "true"
    return claims


def test_skaffold_installs_into_one_namespace() -> None:
    assert len(_skaffold_namespaces()) == 1


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_namespace_matches_skaffold(path: Path) -> None:
    namespaces = _skaffold_namespaces()
    for doc in _docs(path):
        ns = (doc.get("metadata") or {}).get("namespace")
        assert ns is None or ns in namespaces, f"{path.name}: namespace {ns!r}, skaffold installs into {namespaces}"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_example_validates_against_the_crd(path: Path) -> None:
    kinds = [d["kind"] for d in _docs(path) if d["kind"] in SCHEMAS]
    assert kinds, f"{path.name} declares no kubemail resource"
    for doc in _docs(path):
        if doc["kind"] in SCHEMAS:
            jsonschema.validate(doc, SCHEMAS[doc["kind"]])


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_default_claims_match_the_crd_and_the_example(path: Path) -> None:
    text = path.read_text()
    for doc in _docs(path):
        if doc["kind"] not in SCHEMAS:
            continue
        spec_schema = SCHEMAS[doc["kind"]]["properties"]["spec"]
        for field, claimed in _claimed_defaults(text, spec_schema).items():
            default = spec_schema["properties"][field]["default"]
            assert claimed == default, f"{path.name}: comment says {field} defaults to {claimed!r}, CRD: {default!r}"
            if field in doc["spec"]:
                assert doc["spec"][field] == default, (
                    f"{path.name}: comment relies on the default {field}={default!r}, the example sets "
                    f"{doc['spec'][field]!r}"
                )


def test_the_default_claims_parser_sees_the_minimal_examples_claims() -> None:
    text = (EXAMPLES / "mailuser-minimal.yaml").read_text()
    claims = _claimed_defaults(text, SCHEMAS["MailUser"]["properties"]["spec"])
    assert claims.get("deletionPolicy") == "Retain" and claims.get("enabled") is True
