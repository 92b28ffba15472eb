"""The few Kubernetes API calls the operator makes itself (Secrets, status of other objects).

They go through kopf's own authenticated client (the credentials kopf logged in with, its
retries and timeouts); kopf is pinned, and this module is the only place touching its client.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from kopf._cogs.clients import api, errors
from kopf._cogs.configs.configuration import OperatorSettings

from kubemail_operator import API_VERSION

logger = logging.getLogger("kubemail.operator.kube")

APIError = errors.APIError


def _secret_url(namespace: str, name: str | None = None) -> str:
    base = f"/api/v1/namespaces/{namespace}/secrets"
    return f"{base}/{name}" if name else base


async def read_secret(settings: OperatorSettings, namespace: str, name: str) -> dict[str, Any] | None:
    """The Secret, or None when it does not exist."""
    try:
        body: dict[str, Any] = await api.get(_secret_url(namespace, name), settings=settings, logger=logger)
    except errors.APINotFoundError:
        return None
    return body


async def create_secret(settings: OperatorSettings, body: dict[str, Any]) -> dict[str, Any] | None:
    """Creates the Secret; None when one of that name already exists."""
    namespace = body["metadata"]["namespace"]
    try:
        created: dict[str, Any] = await api.post(_secret_url(namespace), payload=body, settings=settings, logger=logger)
    except errors.APIConflictError:
        return None
    return created


async def patch_secret_data(settings: OperatorSettings, namespace: str, name: str, data: dict[str, str | None]) -> bool:
    """Merge-patches `data` (base64 values; None removes the key) into a Secret; False if it does not exist."""
    try:
        await api.patch(
            _secret_url(namespace, name),
            payload={"data": data},
            headers={"Content-Type": "application/merge-patch+json"},
            settings=settings,
            logger=logger,
        )
    except errors.APINotFoundError:
        return False
    return True


async def patch_status(
    settings: OperatorSettings, plural: str, namespace: str, name: str, status: dict[str, Any]
) -> None:
    """Merge-patches status of one of our resources (outside of its own handlers)."""
    url = f"/apis/{API_VERSION}/namespaces/{namespace}/{plural}/{name}/status"
    try:
        await api.patch(
            url,
            payload={"status": status},
            headers={"Content-Type": "application/merge-patch+json"},
            settings=settings,
            logger=logger,
        )
    except errors.APINotFoundError:
        return


def secret_value(secret: dict[str, Any], key: str) -> bytes | None:
    """A decoded value of a Secret (data is base64; stringData as a fallback), or None."""
    data = secret.get("data") or {}
    if key in data and isinstance(data[key], str):
        try:
            return base64.b64decode(data[key], validate=True)
        except ValueError:
            return None
    string_data = secret.get("stringData") or {}
    if key in string_data and isinstance(string_data[key], str):
        return bytes(string_data[key].encode())
    return None
