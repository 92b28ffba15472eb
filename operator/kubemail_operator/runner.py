"""Runs the kopf operator with kubemail's handlers and settings (entry point and tests alike)."""

from __future__ import annotations

import random
import threading
from collections.abc import Collection
from typing import Any

import kopf

from kubemail_operator import GROUP
from kubemail_operator.config import OperatorConfig
from kubemail_operator.context import Context
from kubemail_operator.handlers import build_registry
from services.common.config import CommonConfig, load
from services.web.autoconfig import Published
from services.web.config import WebConfig


def make_settings(config: OperatorConfig) -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    # Progress and the diff-base live in annotations: status stays exactly what the CRD declares.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.posting.level = 20  # INFO and above become Kubernetes Events
    settings.peering.standalone = config.standalone
    settings.peering.name = config.peering_name
    # Equal priorities pause every replica; a random one makes exactly one replica active.
    settings.peering.priority = config.priority or random.randint(1, 2**30)
    settings.execution.max_workers = 4
    return settings


def make_context(config: OperatorConfig, common: CommonConfig, settings: kopf.OperatorSettings) -> Context:
    published = Published.of(load(WebConfig), common.hostname)
    return Context(config=config, common=common, settings=settings, published=published)


def operator_kwargs(config: OperatorConfig) -> dict[str, Any]:
    namespaces: Collection[str] = tuple(config.namespaces)
    kwargs: dict[str, Any] = {"clusterwide": not namespaces, "namespaces": namespaces}
    if not config.standalone:
        kwargs["peering_name"] = config.peering_name
    kwargs["standalone"] = config.standalone
    return kwargs


async def run(
    config: OperatorConfig,
    common: CommonConfig,
    *,
    registry: kopf.OperatorRegistry | None = None,
    stop_flag: threading.Event | None = None,
    ready_flag: threading.Event | None = None,
) -> None:
    """The operator until `stop_flag` is set or a signal arrives."""
    settings = make_settings(config)
    ctx = make_context(config, common, settings)
    await kopf.operator(
        registry=registry if registry is not None else build_registry(config),
        settings=settings,
        memo=kopf.Memo(ctx=ctx),
        stop_flag=stop_flag,
        ready_flag=ready_flag,
        priority=settings.peering.priority,
        **operator_kwargs(config),
    )
