"""The mail store's exception table and its commit retry rule (decision 0010), no sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from services.common import config
from services.common import mailstore as ms
from services.common.config import CommonConfig
from services.common.mailstore.client import backoff_total
from services.common.rpcerrors import MetadataError
from services.gen.kubemail.v1 import errors_pb2 as er
from services.imap import reasons as imap_reasons
from services.smtp.reasons import delivery_reply


def _rpc(reason: int, code: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION, text: str = "") -> MetadataError:
    return MetadataError(code, reason, text)


@pytest.mark.parametrize(("reason", "kind"), sorted(ms.BY_REASON.items()))
def test_every_reason_in_the_table_raises_its_type(reason: int, kind: type[ms.MailStoreError]) -> None:
    exc = ms.from_rpc(_rpc(reason, text="quota exceeded, mailbox missing"))
    assert type(exc) is kind and exc.reason == reason


def test_the_type_follows_the_reason_not_the_text_or_code() -> None:
    assert isinstance(ms.from_rpc(_rpc(er.ERROR_REASON_QUOTA_EXCEEDED, text="no such mailbox")), ms.QuotaExceeded)
    assert isinstance(ms.from_rpc(_rpc(er.ERROR_REASON_KEYWORD_LIMIT)), ms.KeywordLimit)
    assert isinstance(ms.from_rpc(_rpc(er.ERROR_REASON_NO_SUCH_DESTINATION)), ms.NoSuchMailbox)
    assert type(ms.from_rpc(_rpc(er.ERROR_REASON_MESSAGE_TOO_LARGE, text="quota"))) is ms.MessageTooLarge
    # no reason in the trailers: derived from the status code by rpcerrors
    plain = grpc.aio.AioRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, grpc.aio.Metadata(), grpc.aio.Metadata())
    assert isinstance(ms.from_rpc(plain), ms.TimedOut)
    unknown = ms.from_rpc(_rpc(er.ERROR_REASON_INTERNAL, grpc.StatusCode.INTERNAL))
    assert type(unknown) is ms.MailStoreError and unknown.reason == er.ERROR_REASON_INTERNAL


def test_timed_out_is_unavailable_and_each_protocol_says_what_it_means() -> None:
    t = ms.TimedOut("slow")
    assert isinstance(t, ms.Unavailable) and t.reason == er.ERROR_REASON_TIMEOUT
    assert delivery_reply(t, 1)[0].startswith("451 4.3.0")
    status, text, code = imap_reasons.store_reply(t, imap_reasons.APPEND)
    assert (status, code) == ("NO", "UNAVAILABLE") and "may have been stored" in text
    assert "may have been" in imap_reasons.store_reply(t, imap_reasons.MOVE)[1]
    assert imap_reasons.store_reply(ms.BlobUnavailable("x")) == (
        "NO",
        "Message data temporarily unavailable",
        "UNAVAILABLE",
    )
    assert delivery_reply(ms.BlobUnavailable("x"), 1)[1] == "blob"
    assert delivery_reply(ms.ParseFailed("x"), 1)[1] == "parse"
    assert delivery_reply(ms.QuotaExceeded("x"), 2)[0].startswith("452 4.2.2")


def test_keys_are_random_per_transaction() -> None:
    assert ms.new_key("smtp") != ms.new_key("smtp")
    assert ms.new_key("append").startswith("append:")


class _Calls:
    """A metadata call failing with `errors` in turn, then answering; records each request."""

    def __init__(self, *errors: MetadataError) -> None:
        self.errors = list(errors)
        self.keys: list[str] = []

    def make(self, key: str) -> Any:
        async def call() -> str:
            self.keys.append(key)
            if self.errors:
                raise self.errors.pop(0)
            return "ok"

        return call


def _store(attempts: int = 3) -> ms.MailStore:
    return ms.MailStore(None, None, commit_attempts=attempts)  # type: ignore[arg-type]


def _deadline() -> MetadataError:
    return _rpc(er.ERROR_REASON_TIMEOUT, grpc.StatusCode.DEADLINE_EXCEEDED)


def _unavailable() -> MetadataError:
    return _rpc(er.ERROR_REASON_BACKEND_UNAVAILABLE, grpc.StatusCode.UNAVAILABLE)


def test_commit_is_retried_after_a_deadline_with_the_same_key() -> None:
    calls = _Calls(_deadline(), _unavailable())
    assert asyncio.run(_store().commit(calls.make("k1"))) == "ok"
    assert calls.keys == ["k1", "k1", "k1"]


def test_commit_gives_up_with_timed_out_if_any_attempt_timed_out() -> None:
    calls = _Calls(_deadline(), _unavailable())
    with pytest.raises(ms.TimedOut):
        asyncio.run(_store(2).commit(calls.make("k")))
    calls = _Calls(_unavailable(), _unavailable())
    with pytest.raises(ms.Unavailable) as info:
        asyncio.run(_store(2).commit(calls.make("k")))
    assert not isinstance(info.value, ms.TimedOut)


def test_a_definite_refusal_is_not_retried() -> None:
    calls = _Calls(_rpc(er.ERROR_REASON_QUOTA_EXCEEDED))
    with pytest.raises(ms.QuotaExceeded):
        asyncio.run(_store().commit(calls.make("k")))
    assert calls.keys == ["k"]


def test_default_commit_retries_outlast_a_metadata_restart() -> None:
    """A commit cut off by a metadata crash must be retried (same key) after the pod is back,
    or the client gets a 4xx and resends a message that was in fact stored (seen in
    tests/smtp/test_fault.py, where a restart takes several seconds)."""
    attempts = config.load(CommonConfig, {}).commit_attempts
    assert backoff_total(attempts) >= 5.0
    assert ms.MailStore(None, None).commit_attempts == attempts  # type: ignore[arg-type]
