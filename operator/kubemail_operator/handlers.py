"""kopf handlers: indexes, create/update/resume/delete, drift-repair timers, Secret watch.

`build_registry(config)` registers everything on a fresh registry (no import-time globals), so
the entry point and the tests run the very same handlers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import kopf
from kopf._core.intents.registries import SmartOperatorRegistry

from kubemail_operator import DOMAINS, GROUP, USERS, VERSION, desired, kube, patterns, reconcile
from kubemail_operator.config import OperatorConfig
from kubemail_operator.context import Context

logger = logging.getLogger("kubemail.operator")

INDEXES = ("domain_owners", "domains", "users_by_domain", "users_by_secret", "users")
DOMAIN_KIND = "MailDomain"
USER_KIND = "MailUser"


def _ctx(memo: Any) -> Context:
    ctx: Context = memo.ctx
    return ctx


def _meta_ref(body: kopf.Body) -> dict[str, Any]:
    """Enough of a body for kopf.info/warn and status patches."""
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": {k: body.metadata.get(k) for k in ("name", "namespace", "uid", "generation")},
        "status": dict(body.get("status") or {}),
    }


def _patch_sink(patch: kopf.Patch) -> reconcile.StatusSink:
    def sink(status: dict[str, Any]) -> None:
        for key, value in status.items():
            patch.status[key] = value

    return sink


def build_registry(config: OperatorConfig) -> kopf.OperatorRegistry:
    registry: kopf.OperatorRegistry = SmartOperatorRegistry()
    interval = max(0.5, config.resync_seconds)

    # ---------------------------------------------------------------- lifecycle

    @kopf.on.startup(id="startup", registry=registry)
    async def startup(memo: Any, **kwargs: Any) -> None:
        ctx = _ctx(memo)
        for name in INDEXES:
            ctx.indexes[name] = kwargs[name]
        ctx.metadata()
        logger.info("metadata service at %s", ctx.common.metadata_addr)

    @kopf.on.cleanup(id="cleanup", registry=registry)
    async def cleanup(memo: Any, **_: Any) -> None:
        await _ctx(memo).close()

    # ---------------------------------------------------------------- indexes

    @kopf.index(GROUP, VERSION, DOMAINS, id="domain_owners", registry=registry)  # type: ignore[arg-type]
    def domain_owners(namespace: str, name: str, spec: kopf.Spec, meta: kopf.Meta, **_: Any) -> Any:
        """spec.domain -> the MailDomains declaring it (the oldest owns it)."""
        domain = str(spec.get("domain") or "").lower()
        return {domain: {"namespace": namespace, "name": name, "created": meta.get("creationTimestamp")}}

    @kopf.index(GROUP, VERSION, DOMAINS, id="domains", registry=registry)  # type: ignore[arg-type]
    def domains(namespace: str, name: str, spec: kopf.Spec, **_: Any) -> Any:
        """(namespace, spec.domain) -> MailDomain names."""
        return {(namespace, str(spec.get("domain") or "").lower()): name}

    @kopf.index(GROUP, VERSION, USERS, id="users_by_domain", registry=registry)  # type: ignore[arg-type]
    def users_by_domain(namespace: str, name: str, spec: kopf.Spec, **_: Any) -> Any:
        return {(namespace, patterns.domain_of(str(spec.get("address") or ""))): name}

    @kopf.index(GROUP, VERSION, USERS, id="users_by_secret", registry=registry)  # type: ignore[arg-type]
    def users_by_secret(namespace: str, name: str, spec: kopf.Spec, **_: Any) -> Any:
        ref = spec.get("passwordSecretRef") or {}
        return {(namespace, ref.get("name")): name} if ref.get("name") else None

    @kopf.index(GROUP, VERSION, USERS, id="users", registry=registry)  # type: ignore[arg-type]
    def users(namespace: str, name: str, spec: kopf.Spec, body: kopf.Body, **_: Any) -> Any:
        return {(namespace, name): {"spec": dict(spec), "body": _meta_ref(body)}}

    # ---------------------------------------------------------------- MailDomain

    @kopf.on.resume(GROUP, VERSION, DOMAINS, id="domain_apply", registry=registry)
    @kopf.on.create(GROUP, VERSION, DOMAINS, id="domain_apply", registry=registry)
    @kopf.on.update(GROUP, VERSION, DOMAINS, field="spec", id="domain_apply", registry=registry)
    async def domain_apply(
        body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int, **_: Any
    ) -> None:
        await _domain_apply(body, spec, patch, memo, retry)

    async def _reconcile(
        kind: str, body: kopf.Body, patch: kopf.Patch, memo: Any, retry: int, action: Callable[[Any], Awaitable[Any]]
    ) -> None:
        """Runs `action(ctx)` under the object's lock, with status, events and error mapping."""
        ctx = _ctx(memo)
        async with ctx.lock(kind, body.metadata.namespace or "", body.metadata.name or ""):
            await reconcile.guarded(ctx, kind, body, _patch_sink(patch), retry, lambda: action(ctx))

    async def _domain_apply(body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int) -> None:
        await _reconcile(
            DOMAIN_KIND, body, patch, memo, retry,
            lambda ctx: reconcile.apply_domain(ctx, body, spec, ctx.index("domain_owners")),
        )  # fmt: skip

    @kopf.timer(  # type: ignore[arg-type]
        GROUP, VERSION, DOMAINS, interval=interval, initial_delay=interval, id="domain_resync", registry=registry
    )
    async def domain_resync(
        body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int, **_: Any
    ) -> None:
        """Drift repair: re-applies the desired state (e.g. after the metadata store lost it)."""
        await _domain_apply(body, spec, patch, memo, retry)

    @kopf.on.delete(GROUP, VERSION, DOMAINS, id="domain_delete", registry=registry)
    async def domain_delete(
        body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int, **_: Any
    ) -> None:
        await _reconcile(
            DOMAIN_KIND, body, patch, memo, retry,
            lambda ctx: reconcile.delete_domain(
                ctx, body, spec, ctx.index("domain_owners"), ctx.index("users_by_domain")
            ),
        )  # fmt: skip

    # ---------------------------------------------------------------- MailUser

    @kopf.on.resume(GROUP, VERSION, USERS, id="user_apply", registry=registry)
    @kopf.on.create(GROUP, VERSION, USERS, id="user_apply", registry=registry)
    @kopf.on.update(GROUP, VERSION, USERS, field="spec", id="user_apply", registry=registry)
    async def user_apply(body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int, **_: Any) -> None:
        await _user_apply(body, spec, patch, memo, retry)

    async def _user_apply(body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int) -> None:
        await _reconcile(
            USER_KIND, body, patch, memo, retry, lambda ctx: reconcile.apply_user(ctx, body, spec, ctx.index("domains"))
        )

    @kopf.timer(GROUP, VERSION, USERS, interval=interval, initial_delay=interval, id="user_resync", registry=registry)  # type: ignore[arg-type]
    async def user_resync(body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int, **_: Any) -> None:
        """Drift repair: re-applies the desired state, password included when the store lost it."""
        await _user_apply(body, spec, patch, memo, retry)

    @kopf.on.delete(GROUP, VERSION, USERS, id="user_delete", registry=registry)
    async def user_delete(body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, memo: Any, retry: int, **_: Any) -> None:
        await _reconcile(USER_KIND, body, patch, memo, retry, lambda ctx: reconcile.delete_user(ctx, body, spec))

    # ---------------------------------------------------------------- password Secrets

    def referenced(namespace: str, name: str, users_by_secret: kopf.Index[Any, str], **_: Any) -> bool:
        return (namespace, name) in users_by_secret

    @kopf.on.event("", "v1", "secrets", when=referenced, id="password_secret_changed", registry=registry)  # type: ignore[arg-type]
    async def password_secret_changed(
        event: kopf.RawEvent, body: kopf.Body, namespace: str, name: str, memo: Any, **_: Any
    ) -> None:
        """A password Secret changed: re-apply every MailUser referencing it (the MailUser is untouched)."""
        if event.get("type") not in ("ADDED", "MODIFIED"):
            return  # the initial listing is covered by resume handlers; deletion keeps the last password
        ctx = _ctx(memo)
        users, domains = ctx.index("users"), ctx.index("domains")
        for user_name in sorted(set(ctx.index("users_by_secret").get((namespace, name), []))):
            for entry in list(users.get((namespace, user_name), []))[:1]:
                user_body, user_spec = entry["body"], entry["spec"]
                try:
                    ref = desired.password_ref(user_spec)
                except desired.InvalidSpec:
                    continue
                if ref is None or ref[0] != name:
                    continue
                status: dict[str, Any] = {}
                async with ctx.lock(USER_KIND, namespace, user_name):
                    try:
                        await reconcile.guarded(
                            ctx,
                            USER_KIND,
                            user_body,
                            status.update,
                            0,
                            functools.partial(reconcile.apply_user, ctx, user_body, user_spec, domains, dict(body)),
                        )
                    except (kopf.TemporaryError, kopf.PermanentError) as exc:
                        logger.warning("MailUser %s/%s after a Secret change: %s", namespace, user_name, exc)
                    finally:
                        if status:
                            await kube.patch_status(ctx.settings, USERS, namespace, user_name, status)

    return registry
