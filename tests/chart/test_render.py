"""helm lint/template for the defaults and every ci/*.yaml; schema validation of the output."""

from __future__ import annotations

import copy

import jsonschema
import kubernetes_validate
import pytest

from tests.chart.helpers import (
    CASES,
    CHART,
    K8S_VERSIONS,
    THROWAWAY,
    by_kind,
    crd_validators,
    render,
    run_helm,
    template,
    validate,
    values_args,
)


@pytest.mark.parametrize("case", CASES)
def test_helm_lint_strict(case: str) -> None:
    proc = run_helm("lint", "--strict", str(CHART), *THROWAWAY, *values_args(case))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


@pytest.mark.parametrize("case", CASES)
def test_rendered_manifests_validate(case: str) -> None:
    docs = render(case)
    crds = crd_validators(docs)
    used: set[str] = set()
    for version in K8S_VERSIONS:
        for doc in docs:
            try:
                used.add(validate(doc, version, crds))
            except jsonschema.ValidationError as exc:
                pytest.fail(f"{case}: {doc['kind']}/{doc['metadata']['name']} invalid for {version}: {exc.message}")
    assert {f"kubernetes:{v}" for v in K8S_VERSIONS} <= used
    assert {"Deployment", "Service", "CustomResourceDefinition"} <= {d["kind"] for d in docs}


def test_crds_rendered_with_include_crds() -> None:
    docs = render("default")
    names = [d["metadata"]["name"] for d in docs if d["kind"] == "CustomResourceDefinition"]
    assert len(names) == len(set(names))
    assert {"maildomains.kubemail.io", "mailusers.kubemail.io", "kopfpeerings.kopf.dev"} <= set(names)


def test_validator_rejects_what_kubernetes_validate_rejects() -> None:
    """The cached validator used above agrees with kubernetes_validate.validate (its public API)."""
    docs = render("default")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    crds = crd_validators(docs)
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(deployment, version, strict=True)
        bad = copy.deepcopy(deployment)
        bad["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True  # typo
        with pytest.raises(jsonschema.ValidationError):
            validate(bad, version, crds)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(bad, version, strict=True)


def test_bundled_schemas_reject_typos() -> None:
    docs = render("monitoring-values.yaml") + render("cert-manager-values.yaml")
    for kind in ("ServiceMonitor", "PrometheusRule", "Certificate"):
        doc = next(d for d in docs if d["kind"] == kind)
        validate(doc, "1.33", {})
        bad = copy.deepcopy(doc)
        bad["spec"]["selectr" if kind == "ServiceMonitor" else "grups" if kind == "PrometheusRule" else "dnsName"] = 1
        with pytest.raises(jsonschema.ValidationError):
            validate(bad, "1.33", {})


def test_kopf_peering_validates_against_its_crd() -> None:
    docs = render("default")
    peering = next(d for d in docs if d["kind"] == "KopfPeering")
    assert validate(peering, "1.33", crd_validators(docs)) == "crd"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "smpt.enabled=false"], "smpt"),
        (["--set", "redis.appendfsync=no"], "appendfsync"),
        (["--set", "smtp.service.type=Ingress"], "type"),
        (["--set", "imap.autoscaling.maxReplica=3"], "maxReplica"),
        (["--set", "smtp.env.SMTP_TIMEOUT=3"], "SMTP_TIMEOUT"),
    ],
)
def test_values_schema_rejects_typos(args: list[str], message: str) -> None:
    proc = run_helm("template", "x", str(CHART), *args)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_external_backends_require_endpoints() -> None:
    proc = run_helm("template", "x", str(CHART), *THROWAWAY, "--set", "redis.enabled=false")
    assert proc.returncode != 0 and "redis.external.host" in proc.stderr
    proc = run_helm("template", "x", str(CHART), *THROWAWAY, "--set", "minio.enabled=false")
    assert proc.returncode != 0 and "minio.external" in proc.stderr


def test_appendfsync_always() -> None:
    docs = template("--set", "redis.appendfsync=always")
    conf = by_kind(docs, "ConfigMap")["km-kubemail-redis"]["data"]["redis.conf"]
    assert "appendonly yes" in conf and "appendfsync always" in conf


def test_operator_examples_validate_against_the_chart_crds() -> None:
    """The CRDs the chart installs accept the ready-to-apply examples and reject the invalid ones."""
    import yaml

    from tests.chart.helpers import ROOT

    crds = crd_validators(render("default"))
    examples = ROOT / "operator" / "examples"
    good = [d for p in sorted(examples.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]
    bad = [d for p in sorted((examples / "invalid").glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]
    assert good and bad
    for doc in good:
        if doc["kind"] in ("MailDomain", "MailUser"):
            assert validate(doc, "1.33", crds) == "crd"
    for doc in bad:
        with pytest.raises(jsonschema.ValidationError):
            validate(doc, "1.33", crds)
