"""The real kopf runtime against kmock's KubernetesEmulator, and the real metadata service."""

from __future__ import annotations

import asyncio
import base64
import datetime
import itertools
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aiohttp.web
import kmock
import kopf
import pytest_asyncio
from kubemail_operator import API_VERSION, DOMAINS, USERS
from kubemail_operator.config import OperatorConfig
from kubemail_operator.handlers import build_registry
from kubemail_operator.runner import run

from services.common import config as cfg
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient

T = TypeVar("T")
_RV = itertools.count(1000)
NS = "mail"


class Emulator(kmock.KubernetesEmulator):
    """KubernetesEmulator plus the server-side fields kopf relies on.

    uid, resourceVersion (bumped on every write), creationTimestamp, generation (bumped on spec
    changes), namespace from the URL, generateName, and the namespaces list.
    """

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if request.resource is not None:
            async with self._lock:
                self._prepare(request)
        return await super()._handle(request)

    def _prepare(self, request: kmock.Request) -> None:
        data = request.data
        rv = str(next(_RV))
        if request.action == kmock.action.CREATE and isinstance(data, dict):
            meta = data.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            if request.namespace and not meta.get("namespace"):
                meta["namespace"] = request.namespace
            meta.update(
                uid=str(uuid.uuid4()),
                resourceVersion=rv,
                generation=1,
                creationTimestamp=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            ns = meta.get("namespace")
            if ns and (kmock.resource("", "v1", "namespaces"), None, ns) not in self.objects:
                self.objects["v1/namespaces", None, ns] = {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": ns, "uid": str(uuid.uuid4())},
                }
            return
        if request.name is None or request.action not in (kmock.action.UPDATE, kmock.action.DELETE):
            return
        key = (request.resource, request.namespace, request.name)
        if key not in self.objects or self.objects[key].deleted:
            return
        current = self.objects[key].raw
        if request.action == kmock.action.DELETE:
            self.objects[key].patch({"metadata": {"resourceVersion": rv}})
        elif isinstance(data, dict):
            meta = data.setdefault("metadata", {})
            meta["resourceVersion"] = rv
            if request.subresource is None and "spec" in data and data["spec"] != current.get("spec"):
                meta["generation"] = int(current.get("metadata", {}).get("generation", 1)) + 1
        elif isinstance(data, list):
            for op in data:
                if op.get("op") == "test" and op.get("path") == "/metadata/resourceVersion":
                    if op.get("value") != current.get("metadata", {}).get("resourceVersion"):
                        raise kmock.KubernetesError(status=422, reason="Invalid", message="the object has changed")
            data.append({"op": "add", "path": "/metadata/resourceVersion", "value": rv})


def _declare(k8s: Emulator) -> None:
    r = k8s.resources
    r["kubemail.io/v1alpha1/maildomains"] = kmock.ResourceInfo(
        kind="MailDomain",
        singular="maildomain",
        namespaced=True,
        subresources={"status"},
        verbs={"get", "list", "watch", "create", "patch", "update", "delete"},
    )
    r["kubemail.io/v1alpha1/mailusers"] = kmock.ResourceInfo(
        kind="MailUser",
        singular="mailuser",
        namespaced=True,
        subresources={"status"},
        verbs={"get", "list", "watch", "create", "patch", "update", "delete"},
    )
    r["v1/secrets"] = kmock.ResourceInfo(
        kind="Secret", singular="secret", namespaced=True, verbs={"get", "list", "watch", "create", "patch"}
    )
    r["v1/events"] = kmock.ResourceInfo(kind="Event", singular="event", namespaced=True, verbs={"create"})
    r["v1/namespaces"] = kmock.ResourceInfo(
        kind="Namespace", singular="namespace", namespaced=False, verbs={"get", "list", "watch"}
    )
    r["kopf.dev/v1/clusterkopfpeerings"] = kmock.ResourceInfo(
        kind="ClusterKopfPeering",
        singular="clusterkopfpeering",
        namespaced=False,
        verbs={"get", "list", "watch", "patch"},
    )


@pytest_asyncio.fixture
async def k8s() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator, kmock.Server(emulator):
        _declare(emulator)
        emulator.objects["kopf.dev/v1/clusterkopfpeerings", None, "kubemail"] = {
            "apiVersion": "kopf.dev/v1",
            "kind": "ClusterKopfPeering",
            "metadata": {"name": "kubemail", "uid": str(uuid.uuid4()), "resourceVersion": "1"},
            "status": {},
        }
        yield emulator


class OperatorThread:
    """`runner.run` (the entry point's coroutine) in its own thread and event loop."""

    def __init__(self, server_url: str, env: dict[str, str]) -> None:
        self.config = cfg.load(OperatorConfig, env)
        self.common = cfg.load(CommonConfig, env)
        self.registry = build_registry(self.config)
        url = server_url

        @kopf.on.login(registry=self.registry)
        def login(**_: Any) -> kopf.ConnectionInfo:
            return kopf.ConnectionInfo(server=url, insecure=True)

        self.stop_flag = threading.Event()
        self.ready_flag = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="kopf-operator", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(
                run(
                    self.config,
                    self.common,
                    registry=self.registry,
                    stop_flag=self.stop_flag,
                    ready_flag=self.ready_flag,
                )
            )
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    async def start(self) -> OperatorThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.ready_flag.is_set():
            assert self.thread.is_alive(), f"operator died: {self.error!r}"
            assert time.monotonic() < deadline, "operator not ready after 20s"
            await asyncio.sleep(0.05)
        return self

    async def stop(self) -> None:
        self.stop_flag.set()
        deadline = time.monotonic() + 30
        while self.thread.is_alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not self.thread.is_alive(), "operator did not stop within 30s"


def operator_env(metadata_env: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **metadata_env,
        "KUBEMAIL_OPERATOR_RESYNC_SECONDS": "1",
        "KUBEMAIL_OPERATOR_BACKOFF_MAX_SECONDS": "1",
        "KUBEMAIL_OPERATOR_PRIORITY": "100",
        "KUBEMAIL_OPERATOR_ARGON2_TIME_COST": "1",
        "KUBEMAIL_OPERATOR_ARGON2_MEMORY_KIB": "8192",
        "KUBEMAIL_OPERATOR_ARGON2_PARALLELISM": "1",
        "KUBEMAIL_HOSTNAME": "mail.kubemail.test",
        "KUBEMAIL_OPERATOR_DKIM_KEYS_SECRET": "kubemail-dkim-keys",
        "KUBEMAIL_OPERATOR_DKIM_KEYS_NAMESPACE": NS,
        **extra,
    }


@pytest_asyncio.fixture
async def operator(k8s: Emulator, metadata: Any) -> AsyncIterator[OperatorThread]:
    op = await OperatorThread(str(k8s.url), operator_env(metadata.env)).start()
    try:
        yield op
    finally:
        await op.stop()


@pytest_asyncio.fixture
async def client(metadata: Any) -> AsyncIterator[MetadataClient]:
    c = MetadataClient(metadata.addr, timeout=5)
    try:
        yield c
    finally:
        await c.close()


# ------------------------------------------------------------------------------ helpers


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Polls `check` until it stops raising AssertionError (bounded). A KeyError is retried too: a
    check that indexes a status the operator has not written yet fails at the deadline, not at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except (AssertionError, KeyError):
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(interval)


def url(plural: str, ns: str = NS, name: str | None = None, group: bool = True) -> str:
    base = f"/apis/{API_VERSION}/namespaces/{ns}/{plural}" if group else f"/api/v1/namespaces/{ns}/{plural}"
    return f"{base}/{name}" if name else base


async def create(k8s: Emulator, plural: str, name: str, spec: dict[str, Any], ns: str = NS) -> dict[str, Any]:
    kind = {DOMAINS: "MailDomain", USERS: "MailUser"}[plural]
    body = {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}
    async with k8s.post(url(plural, ns), json=body) as resp:
        assert resp.status < 300, await resp.text()
        return dict(await resp.json())


async def patch(k8s: Emulator, plural: str, name: str, body: dict[str, Any], ns: str = NS, group: bool = True) -> None:
    headers = {"Content-Type": "application/merge-patch+json"}
    async with k8s.patch(url(plural, ns, name, group), json=body, headers=headers) as resp:
        assert resp.status < 300, await resp.text()


async def delete(k8s: Emulator, plural: str, name: str, ns: str = NS) -> None:
    async with k8s.delete(url(plural, ns, name)) as resp:
        assert resp.status < 300, await resp.text()


async def create_secret(k8s: Emulator, name: str, data: dict[str, str], ns: str = NS) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
    async with k8s.post(url("secrets", ns, group=False), json=body) as resp:
        assert resp.status < 300, await resp.text()


def obj(k8s: Emulator, plural: str, name: str, ns: str = NS) -> dict[str, Any] | None:
    group = "v1" if plural in ("secrets", "events") else API_VERSION
    key = (kmock.resource(f"{group}/{plural}"), ns, name)
    if key not in k8s.objects or k8s.objects[key].deleted:
        return None
    return dict(k8s.objects[key].raw)


def ready(o: dict[str, Any] | None) -> dict[str, Any]:
    """The Ready condition of an object (asserts that it has one)."""
    assert o is not None
    conds = [c for c in (o.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
    assert conds, f"no Ready condition yet: {o.get('status')}"
    return dict(conds[0])


def events(k8s: Emulator, ns: str = NS) -> list[dict[str, Any]]:
    return [
        dict(o.raw)
        for (res, n, _), o in k8s.objects.items()
        if res == kmock.resource("", "v1", "events") and n == ns and not o.deleted
    ]


async def wait_event(k8s: Emulator, reason: str, type_: str | None = None, timeout: float = 20.0) -> dict[str, Any]:
    """Waits for a Kubernetes Event with `reason` (kopf posts events after status patches)."""

    async def check() -> dict[str, Any]:
        found = [e for e in events(k8s) if e["reason"] == reason and (type_ is None or e["type"] == type_)]
        assert found, f"no {reason} event yet"
        return found[0]

    return await eventually(check, timeout)
