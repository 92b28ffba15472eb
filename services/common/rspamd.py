"""Rspamd over its HTTP protocol (aiohttp): /checkv2 for a verdict (the SMTP pods) and
/learnspam, /learnham on the controller (the IMAP pods). Every request is bounded by
KUBEMAIL_RSPAMD_TIMEOUT; a failure is a `ScannerError`, never a hang."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
from prometheus_client import Counter, Histogram

log = logging.getLogger("kubemail.rspamd")

REQUESTS = Counter(
    "kubemail_rspamd_requests_total",
    "Requests to Rspamd by operation (check, learn_spam, learn_ham) and result",
    ["op", "result"],
)
LATENCY = Histogram(
    "kubemail_rspamd_request_duration_seconds",
    "Latency of Rspamd requests by operation, failures included",
    ["op"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
OPS = ("check", "learn_spam", "learn_ham")
RESULTS = ("ok", "error", "timeout")
for _op in OPS:
    LATENCY.labels(_op)
    for _res in RESULTS:
        REQUESTS.labels(_op, _res)

T = TypeVar("T")
ACTIONS = ("no action", "greylist", "add header", "rewrite subject", "soft reject", "reject")


class ScannerError(Exception):
    """Rspamd did not give a usable answer; `kind` is "timeout" or "error"."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


@dataclasses.dataclass(frozen=True)
class Verdict:
    action: str  # one of ACTIONS
    score: float
    required: float
    symbols: tuple[tuple[str, float], ...] = ()
    subject: str = ""  # the rewritten subject for "rewrite subject"
    message: str = ""  # messages.smtp_message, if any

    @property
    def is_spam(self) -> bool:
        return self.action in ("add header", "rewrite subject", "soft reject", "reject")


def parse_verdict(body: bytes) -> Verdict:
    """A /checkv2 JSON reply; raises ScannerError on anything else."""
    try:
        data = json.loads(body)
        action = str(data["action"])
        score = float(data.get("score", 0.0))
        required = float(data.get("required_score", 0.0))
        raw = data.get("symbols") or {}
        symbols = tuple(sorted(((str(k), float(v.get("score", 0.0))) for k, v in raw.items()), key=lambda s: s[0]))
        messages = data.get("messages") or {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ScannerError("error", f"unreadable /checkv2 reply: {type(exc).__name__}") from None
    if action not in ACTIONS:
        raise ScannerError("error", f"unknown action {action[:40]!r}")
    subject = str(data.get("subject", "")) if isinstance(data, dict) else ""
    return Verdict(action, score, required, symbols, subject, str(messages.get("smtp_message", ""))[:200])


def _password(path: str) -> str:
    if not path:
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


class Rspamd:
    """One pod's client: a lazily made aiohttp session, closed with `close`."""

    def __init__(self, url: str, controller_url: str = "", timeout: float = 10.0, password_file: str = "") -> None:
        self.url = url.rstrip("/")
        self.controller_url = controller_url.rstrip("/")
        self.timeout = timeout
        self.password_file = password_file
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(
        self, op: str, url: str, body: bytes, headers: Sequence[tuple[str, str]], parse: Callable[[bytes], T]
    ) -> T:
        start = time.perf_counter()
        result = "error"
        try:
            async with asyncio.timeout(self.timeout):
                # a list of pairs, not a dict: Rcpt repeats once per recipient
                async with self._http().post(url, data=body, headers=list(headers)) as resp:
                    data = await resp.read()
                    if resp.status != 200:
                        raise ScannerError("error", f"HTTP {resp.status}")
            out = parse(data)
            result = "ok"
            return out
        except TimeoutError:
            result = "timeout"
            raise ScannerError("timeout", f"no answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise ScannerError("error", f"{type(exc).__name__}") from None
        finally:
            REQUESTS.labels(op, result).inc()
            LATENCY.labels(op).observe(time.perf_counter() - start)

    async def check(self, message: bytes, envelope: Mapping[str, Any]) -> Verdict:
        """Scans `message`; `envelope`: ip, helo, mail_from, rcpts, user, queue_id, hostname."""
        headers: list[tuple[str, str]] = []
        for key, name in (("ip", "IP"), ("helo", "Helo"), ("mail_from", "From"), ("user", "User")):
            if envelope.get(key):
                headers.append((name, _safe(str(envelope[key]))))
        for key, name in (("queue_id", "Queue-Id"), ("hostname", "MTA-Name")):
            if envelope.get(key):
                headers.append((name, _safe(str(envelope[key]))))
        headers += [("Rcpt", _safe(r)) for r in envelope.get("rcpts", ())]
        return await self._post("check", f"{self.url}/checkv2", message, headers, parse_verdict)

    async def learn(self, spam: bool, message: bytes) -> None:
        """Trains the classifier with `message` (spam or ham). Raises ScannerError."""
        op = "learn_spam" if spam else "learn_ham"
        headers: list[tuple[str, str]] = []
        try:
            password = _password(self.password_file)
        except OSError as exc:
            raise ScannerError("error", f"password file: {exc.strerror}") from None
        if password:
            headers.append(("Password", password))
        path = "learnspam" if spam else "learnham"
        await self._post(op, f"{self.controller_url}/{path}", message, headers, _learned)


def _learned(body: bytes) -> None:
    """The controller's answer to a learn request: {"success": true}; an already learned
    message is an HTTP 208 (handled as an error status by _post, which is what it is: no-op)."""
    try:
        ok = bool(json.loads(body).get("success"))
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise ScannerError("error", "learning refused")


def _safe(value: str) -> str:
    """A header value without CR/LF (the envelope is client data)."""
    return value.replace("\r", "").replace("\n", "")[:998]
