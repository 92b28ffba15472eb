"""KUBEMAIL_PROXY_LISTENERS: which listeners expect a PROXY header (#17 item 4)."""

from __future__ import annotations

import pytest

from services.common import config
from services.common.config import LISTENERS, CommonConfig, ConfigError


def test_default_every_listener_expects_proxy_from_the_proxy_networks() -> None:
    common = config.load(CommonConfig, {"KUBEMAIL_PROXY_NETWORKS": "10.0.0.0/8"})
    assert all(common.proxy_networks_of(name) == ("10.0.0.0/8",) for name in LISTENERS)
    assert config.load(CommonConfig, {}).proxy_networks_of("mx") == ()


def test_named_listeners_only() -> None:
    common = config.load(
        CommonConfig, {"KUBEMAIL_PROXY_NETWORKS": "10.0.0.0/8", "KUBEMAIL_PROXY_LISTENERS": "mx, imaps"}
    )
    assert {name for name in LISTENERS if common.proxy_networks_of(name)} == {"mx", "imaps"}
    with pytest.raises(ConfigError):
        config.load(CommonConfig, {"KUBEMAIL_PROXY_LISTENERS": "smtp"})
