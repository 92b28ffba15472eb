"""Threading keys computed at parse (RFC 5256 base subject, msg-ids), stored in the summary."""

from __future__ import annotations

import pytest

from services.common.mime import build_summary
from services.common.threadkeys import MAX_REFERENCES, base_subject, message_id, references


@pytest.mark.parametrize(
    ("subject", "base"),
    [
        ("Hello", "hello"),
        ("Re: Hello", "hello"),
        ("RE: re: Fwd: FW: hello", "hello"),
        ("Re[2]: hello", "hello"),
        ("[list] Re: [list] hello", "hello"),
        ("hello (fwd)", "hello"),
        ("[Fwd: Re: hello]", "hello"),
        ("  Hello   World  ", "hello world"),
        ("[just a tag]", "[just a tag]"),  # a blob is removed only when text remains
        ("Return: of the king", "return: of the king"),
        ("", ""),
    ],
)
def test_base_subject(subject: str, base: str) -> None:
    assert base_subject(subject) == base


def test_msgids_and_references() -> None:
    assert message_id("<a@b>") == "a@b" and message_id("  a@b ") == "a@b" and message_id("a b") == ""
    assert references("<1@x> <2@x>", "<2@x> <3@x>") == ["1@x", "2@x", "3@x"]
    many = " ".join(f"<{i}@x>" for i in range(MAX_REFERENCES + 10))
    refs = references(many, "")
    assert len(refs) == MAX_REFERENCES and refs[-1] == f"{MAX_REFERENCES + 9}@x"


def test_summary_carries_threading_keys() -> None:
    s = build_summary(
        b"Subject: =?utf-8?q?Re=3A_Caf=C3=A9?=\r\nMessage-ID: <m@x>\r\n"
        b"References: <a@x>\r\n <b@x>\r\nIn-Reply-To: <b@x>\r\n\r\nbody\r\n"
    )
    assert (s.message_id, list(s.references), s.base_subject) == ("m@x", ["a@x", "b@x"], "café")
    bare = build_summary(b"\r\nno header\r\n")
    assert (bare.message_id, list(bare.references), bare.base_subject) == ("", [], "")
