"""The configuration table in docs/configuration.md is the one the code declares."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN CONFIG TABLE (generated: python -m services.common.config) -->"
END = "<!-- END CONFIG TABLE -->"


def test_configuration_table_is_current() -> None:
    table = subprocess.run(
        [sys.executable, "-m", "services.common.config"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'operator'}", "PATH": "/usr/bin:/bin"},
    ).stdout
    doc = (ROOT / "docs" / "configuration.md").read_text()
    assert BEGIN in doc and END in doc
    current = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert current == table.strip(), "docs/configuration.md is stale: run `make docs`"


def test_every_setting_has_a_unique_variable() -> None:
    import dataclasses

    from services.common import config

    config._import_all()
    seen: dict[str, str] = {}
    for cls in config.ALL_CONFIGS:
        for f in dataclasses.fields(cls):
            env = f.metadata.get("env")
            if env:
                assert env.startswith("KUBEMAIL_"), env
                assert env not in seen, f"{env} declared by {seen.get(env)} and {cls.__name__}"
                seen[env] = cls.__name__


def test_bad_value_is_a_config_error() -> None:
    import pytest

    from services.common.config import CommonConfig, ConfigError, load

    with pytest.raises(ConfigError):
        load(CommonConfig, {"KUBEMAIL_METRICS_PORT": "ninety"})
    with pytest.raises(ConfigError):
        load(CommonConfig, {"KUBEMAIL_S3_SECURE": "perhaps"})
    cfg = load(CommonConfig, {"KUBEMAIL_TRUSTED_NETWORKS": "10.0.0.0/8, 192.168.0.0/16", "KUBEMAIL_S3_SECURE": "yes"})
    assert cfg.trusted_networks == ("10.0.0.0/8", "192.168.0.0/16")
    assert cfg.s3_secure is True
