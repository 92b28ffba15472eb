"""CRDs: generated files are current, structural, and examples validate (invalid ones do not)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from kubemail_operator import crds, desired
from kubemail_operator.quantity import QuantityError, parse_bytes

OPERATOR = Path(__file__).resolve().parents[2] / "operator"
EXAMPLES = sorted((OPERATOR / "examples").glob("*.yaml"))
CANONICALISED = {"domain-uppercase.yaml"}
INVALID = sorted((OPERATOR / "examples" / "invalid").glob("*.yaml"))


def _schemas() -> dict[str, dict[str, Any]]:
    out = {}
    for name in crds.FILES:
        crd = yaml.safe_load((OPERATOR / "crds" / name).read_text())
        out[crd["spec"]["names"]["kind"]] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return out


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("apiVersion", "").startswith("kubemail.io")]


def test_crd_files_are_generated_and_current() -> None:
    for name, fn in crds.FILES.items():
        assert (OPERATOR / "crds" / name).read_text() == crds.render(fn()), "run python -m kubemail_operator.crds"


def test_crds_are_structural_namespaced_with_status_and_columns() -> None:
    for name in crds.FILES:
        crd = yaml.safe_load((OPERATOR / "crds" / name).read_text())
        spec = crd["spec"]
        assert spec["group"] == "kubemail.io" and spec["scope"] == "Namespaced"
        (version,) = spec["versions"]
        assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
        assert any(c["name"] == "Ready" for c in version["additionalPrinterColumns"])
        jsonschema.Draft7Validator.check_schema(version["schema"]["openAPIV3Schema"])

        def walk(node: Any) -> None:  # structural: every node typed (or int-or-string / preserve-unknown)
            if isinstance(node, dict):
                if "properties" in node or "items" in node:
                    assert "type" in node, node
                if "anyOf" in node:
                    assert node.get("x-kubernetes-int-or-string") is True
                for v in node.get("properties", {}).values():
                    assert "type" in v or v.get("x-kubernetes-int-or-string"), v
                    walk(v)
                if "items" in node:
                    walk(node["items"])

        walk(version["schema"]["openAPIV3Schema"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_and_convert(path: Path) -> None:
    schemas = _schemas()
    docs = _docs(path)
    assert docs
    for doc in docs:
        jsonschema.validate(doc, schemas[doc["kind"]])
        (desired.domain if doc["kind"] == "MailDomain" else desired.user)(doc["spec"])


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_examples_are_rejected(path: Path) -> None:
    schemas = _schemas()
    for doc in _docs(path):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, schemas[doc["kind"]])
        # The operator's own checks reject them too (if a CRD without validation was applied);
        # an upper-case domain is the one exception: the operator canonicalises it.
        if path.name in CANONICALISED:
            continue
        with pytest.raises(desired.InvalidSpec):
            (desired.domain if doc["kind"] == "MailDomain" else desired.user)(doc["spec"])
            if doc["kind"] == "MailUser":
                desired.password_ref(doc["spec"])
                desired.deletion_purges(doc["spec"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (None, 0),
        ("", 0),
        (1024, 1024),
        ("1Ki", 1024),
        ("1Gi", 2**30),
        ("500M", 500_000_000),
        ("1.5Mi", 1572864),
        ("1k", 1000),
        ("0.1", 1),
    ],
)
def test_quantities(value: object, expected: int) -> None:
    assert parse_bytes(value) == expected


@pytest.mark.parametrize("value", ["1GB", "-1", -1, "1 Gi", "Gi", True, 1.5, "9" * 50, 2**64])
def test_bad_quantities(value: object) -> None:
    with pytest.raises(QuantityError):
        parse_bytes(value)
