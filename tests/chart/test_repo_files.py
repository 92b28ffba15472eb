"""Files around the chart: CRD copies, generated docs/schema, Containerfile, skaffold, fetch_tools."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.chart import sync_crds, values_doc
from tests.chart.helpers import CHART, ROOT, by_kind, render

COMPONENTS = ("metadata", "smtp", "imap", "pop3", "relay", "web", "operator")


def test_crds_in_sync() -> None:
    pairs = sync_crds.pairs()
    assert {src.name for src, _ in pairs} >= {"maildomains.yaml", "mailusers.yaml"}
    assert sync_crds.stale() == [], "run: python -m tests.chart.sync_crds"
    rendered = by_kind(render("default"), "CustomResourceDefinition")
    for src, _ in pairs:
        for crd in yaml.safe_load_all(src.read_text()):
            if crd:
                assert rendered[crd["metadata"]["name"]] == crd


def test_values_table_and_schema_are_current() -> None:
    assert values_doc.main(["--check"]) == 0, "run: python -m tests.chart.values_doc"


def test_every_value_is_documented() -> None:
    text = (CHART / "values.yaml").read_text()
    documented = {k for k, _ in values_doc.documented_keys(text)}

    def leaves(node: object, prefix: str) -> list[str]:
        if isinstance(node, dict) and node and prefix.rsplit(".", 1)[-1] not in values_doc.FREE_FORM:
            return [leaf for k, v in node.items() for leaf in leaves(v, f"{prefix}.{k}" if prefix else k)]
        return [prefix]

    undocumented = [
        k for k in leaves(yaml.safe_load(text), "") if not any(k == d or k.startswith(d + ".") for d in documented)
    ]
    assert not undocumented


def test_readme_documents_reload_and_idle_timeouts() -> None:
    readme = (CHART / "README.md").read_text()
    assert "subPath" in readme and "no restart" in readme
    assert "IDLE" in readme and "idle timeout" in readme
    notes = (CHART / "templates" / "NOTES.txt").read_text()
    assert "kubemail" in notes


def test_containerfile() -> None:
    text = (ROOT / "Containerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", text, re.M)
    assert len(stages) == 2 and stages[0][1] == "builder"
    assert "python:3.11-slim-bookworm" in text
    assert "requirements.lock" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and not user[-1].startswith(("0", "root"))
    assert re.search(r'^ENTRYPOINT \["kubemail-entrypoint"\]', text, re.M)
    for src in re.findall(r"^COPY(?!\s+--from)\s+(?:--\S+\s+)*(.+?)\s+\S+$", text, re.M):
        for path in src.split():
            assert (ROOT / path).exists(), f"Containerfile copies missing {path}"
    ignore = (ROOT / ".containerignore").read_text().split()
    assert ".venv" in ignore and ".git" in ignore and ".tools" in ignore


@pytest.mark.parametrize("comp", COMPONENTS)
def test_entrypoint_dispatches_each_component(comp: str, tmp_path: Path) -> None:
    # A fake `python` on PATH records what the entrypoint execs.
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$@"\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    proc = subprocess.run(
        ["sh", str(ROOT / "scripts" / "kubemail-entrypoint"), comp, "--x"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    module = "kubemail_operator" if comp == "operator" else f"services.{comp}"
    assert proc.stdout.split() == ["-m", module, "--x"]
    # The module really exists in the tree the image copies (once its engineer has written it).
    pkg = ROOT / ("operator/kubemail_operator" if comp == "operator" else f"services/{comp}")
    assert pkg.is_dir()


def test_entrypoint_rejects_unknown_component() -> None:
    proc = subprocess.run(["sh", str(ROOT / "scripts" / "kubemail-entrypoint"), "nope"], capture_output=True)
    assert proc.returncode == 64


def test_skaffold() -> None:
    cfg = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    assert cfg["apiVersion"].startswith("skaffold/v4") and cfg["kind"] == "Config"
    (artifact,) = cfg["build"]["artifacts"]
    assert (ROOT / artifact["docker"]["dockerfile"]).is_file()
    (release,) = cfg["deploy"]["helm"]["releases"]
    assert (ROOT / release["chartPath"] / "Chart.yaml").is_file()
    name = artifact["image"]
    assert release["setValueTemplates"]["image.repository"] == f"{{{{.IMAGE_REPO_{name}}}}}"
    assert f"IMAGE_TAG_{name}" in release["setValueTemplates"]["image.tag"]
    (dev,) = [p for p in cfg["profiles"] if p["name"] == "dev"]
    (patch,) = dev["patches"]
    assert patch["path"] == "/deploy/helm/releases/0/valuesFiles"
    (values_file,) = patch["value"]
    dev_values = yaml.safe_load((ROOT / values_file).read_text())
    assert dev_values["logLevel"] == "DEBUG"
    docs = render(Path(values_file).name)
    for dep in by_kind(docs, "Deployment").values():
        assert dep["spec"]["replicas"] == 1
    assert not by_kind(docs, "HorizontalPodAutoscaler")


def test_fetch_tools_is_idempotent_and_yields_working_binaries() -> None:
    spec = importlib.util.spec_from_file_location("fetch_tools", ROOT / "scripts" / "fetch_tools.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    bindir = mod.fetch(ROOT / ".tools")  # no-op when already current
    assert mod.up_to_date(bindir)
    before = (bindir / "helm").stat().st_mtime_ns
    mod.fetch(ROOT / ".tools")
    assert (bindir / "helm").stat().st_mtime_ns == before
    for tool, args in (("helm", ["version", "--short"]), ("kubectl", ["version", "--client"])):
        proc = subprocess.run([str(bindir / tool), *args], capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0 and "v" in proc.stdout


def test_image_layout_is_self_contained(tmp_path: Path) -> None:
    """What the Containerfile copies (services/, operator/kubemail_operator, operator/crds) imports on its
    own with PYTHONPATH=/app:/app/operator: nothing the image needs lives in tests/, scripts/ or bench/."""
    app = tmp_path / "app"
    shutil.copytree(ROOT / "services", app / "services", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "operator" / "kubemail_operator", app / "operator" / "kubemail_operator")
    shutil.copytree(ROOT / "operator" / "crds", app / "operator" / "crds")
    code = (
        "import importlib, importlib.util, pkgutil, sys\n"
        "import services, kubemail_operator\n"
        "for comp in ('metadata', 'smtp', 'imap', 'pop3', 'relay'):\n"
        "    assert importlib.util.find_spec(f'services.{comp}.__main__'), comp\n"
        "assert importlib.util.find_spec('kubemail_operator.__main__')\n"
        "for pkg in (services, kubemail_operator):\n"
        "    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if not mod.name.endswith('__main__'):\n"
        "            importlib.import_module(mod.name)\n"
        "print('ok')\n"
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": f"{app}:{app / 'operator'}", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=90
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


# --- `make image`: podman or docker, whichever is installed --------------------------------------


def _make_image_dry_run(tmp_path: Path, engines: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    """`make -n image` with a PATH holding only make, the shell tools and fake engines."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("make", "bash", "sh", "env", "test", "id"):
        found = shutil.which(tool)
        if found:
            (bindir / tool).symlink_to(found)
    for engine in engines:
        fake = bindir / engine
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
    return subprocess.run(
        [str(bindir / "make"), "-n", "image", *args],
        cwd=ROOT,
        env={"PATH": str(bindir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    "engines, args, want",
    [
        (("podman", "docker"), (), "podman build --runtime runc -t kubemail:dev -f Containerfile ."),
        (("podman",), (), "podman build --runtime runc -t kubemail:dev -f Containerfile ."),
        (("docker",), (), "docker build -t kubemail:dev -f Containerfile ."),
        (("podman", "docker"), ("CONTAINER_ENGINE=docker", "IMAGE=r.example/km:1"), "docker build -t r.example/km:1"),
        (("docker",), ("PYTHON_IMAGE=python@sha256:ab",), "docker build --build-arg PYTHON_IMAGE=python@sha256:ab"),
    ],
)
def test_make_image_picks_the_installed_engine(
    tmp_path: Path, engines: tuple[str, ...], args: tuple[str, ...], want: str
) -> None:
    proc = _make_image_dry_run(tmp_path, engines, *args)
    assert proc.returncode == 0, proc.stderr
    commands = [" ".join(line.split()) for line in proc.stdout.splitlines()]
    assert any(c.startswith(want) for c in commands), proc.stdout


def test_make_image_without_an_engine_says_so(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    proc = _make_image_dry_run(tmp_path, ())
    # -n prints the recipe; the check runs for real without -n.
    assert "neither podman nor docker is installed" in proc.stdout
    real = subprocess.run(
        [str(tmp_path / "bin" / "make"), "image"],
        cwd=ROOT,
        env={"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert real.returncode != 0 and "neither podman nor docker is installed" in real.stderr


def test_image_workflow_builds_scans_and_pushes_tags_to_ghcr() -> None:
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "image.yml").read_text())
    steps = wf["jobs"]["image"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("docker/build-push-action@") for u in uses)
    assert any(u.startswith("aquasecurity/trivy-action@") for u in uses)
    push = next(s for s in steps if s.get("name") == "Push")
    assert push["with"]["push"] is True and push["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert "ghcr.io" in wf["jobs"]["image"]["env"]["IMAGE"]
    assert all("@" in u for u in uses if u), "every action is pinned to a version"
    readme = (CHART / "README.md").read_text()
    assert "make image IMAGE=" in readme and "image.repository=" in readme
