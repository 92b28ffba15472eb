"""The alert rules: promtool accepts them, and promtool unit tests cover (and catch) each alert."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.observability import helpers

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")


def _promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_promtool_check_rules() -> None:
    files = helpers.rule_files()
    assert files, "no rule files in charts/kubemail/rules"
    res = _promtool("check", "rules", *map(str, files))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout


def test_rule_files_are_plain_prometheus_rule_files() -> None:
    """`groups:` at the top and nothing else, so the chart can wrap them in a PrometheusRule."""
    names = set()
    for f in helpers.rule_files():
        doc = yaml.safe_load(f.read_text())
        assert list(doc) == ["groups"], f
        for g in doc["groups"]:
            assert g["name"].startswith("kubemail."), g["name"]
            for r in g["rules"]:
                if "alert" in r:
                    assert r["alert"] not in names, f"duplicate alert {r['alert']}"
                    names.add(r["alert"])
                    assert r["labels"]["severity"] in ("warning", "critical"), r["alert"]
                    assert r["annotations"].get("summary") and r["annotations"].get("description"), r["alert"]


def test_promtool_unit_tests_pass() -> None:
    res = _promtool("test", "rules", str(helpers.RULES_TEST))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout


def test_every_alert_has_a_firing_unit_test() -> None:
    doc = yaml.safe_load(helpers.RULES_TEST.read_text())
    firing = {
        case["alertname"] for t in doc["tests"] for case in t.get("alert_rule_test", []) if case.get("exp_alerts")
    }
    missing = sorted({a["alert"] for a in helpers.alerts()} - firing)
    assert not missing, f"alerts without a firing unit test: {missing}"


def test_unit_tests_catch_a_broken_alert(tmp_path: Path) -> None:
    """Each alert, replaced by one that never fires, makes its `promtool test rules` cases fail."""
    test_doc = yaml.safe_load(helpers.RULES_TEST.read_text())
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    survivors = []
    for alert in (a["alert"] for a in helpers.alerts()):
        for f in helpers.rule_files():
            doc = yaml.safe_load(f.read_text())
            for g in doc["groups"]:
                for r in g["rules"]:
                    if r.get("alert") == alert:
                        r["expr"] = "vector(1) == 0"
            (rules_dir / f.name).write_text(yaml.safe_dump(doc, sort_keys=False))
        cases = []
        for t in test_doc["tests"]:
            mine = [c for c in t.get("alert_rule_test", []) if c["alertname"] == alert]
            if mine:
                cases.append({**t, "alert_rule_test": mine})
        one = {**test_doc, "rule_files": [str(rules_dir / f.name) for f in helpers.rule_files()], "tests": cases}
        test_file = tmp_path / f"{alert}_test.yaml"
        test_file.write_text(yaml.safe_dump(one, sort_keys=False))
        res = _promtool("test", "rules", str(test_file))
        if res.returncode == 0:
            survivors.append(alert)
    assert not survivors, f"breaking these alerts went unnoticed by the unit tests: {survivors}"
