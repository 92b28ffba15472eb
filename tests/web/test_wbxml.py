"""The WBXML codec: the documented FolderSync request byte for byte, round trips of random
trees, bounds, and a fuzzer that finds no exception other than WbxmlError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.web.wbxml.codec import Element, Limits, WbxmlError, decode, el, encode
from services.web.wbxml.codepages import PAGES

# FolderSync with SyncKey 0, as every device sends it first ([MS-ASWBXML] example shape)
FOLDER_SYNC = bytes.fromhex("03016a00 0007 56 52 03 3000 01 01".replace(" ", ""))


def test_folder_sync_request_both_ways() -> None:
    root = decode(FOLDER_SYNC)
    assert (root.ns, root.tag) == ("FolderHierarchy", "FolderSync")
    key = root.find("FolderHierarchy", "SyncKey")
    assert key is not None and key.value() == "0"
    assert encode(el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0"))) == FOLDER_SYNC


def test_pages_switch_and_opaque_data_round_trip() -> None:
    doc = el(
        "AirSync", "Sync",
        el("AirSync", "Collections", el("AirSync", "Collection",
            el("AirSync", "SyncKey", "1"), el("AirSync", "CollectionId", "inbox"),
            el("AirSync", "Options", el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 4),
                                        el("AirSyncBase", "TruncationSize", 512))),
            el("AirSync", "Commands", el("AirSync", "Add", el("AirSync", "ServerId", "1:1"),
                el("AirSync", "ApplicationData", el("Email", "Subject", "grüße"),
                   el("AirSyncBase", "Body", el("AirSyncBase", "Data", b"\x00\x01MIME\xff")),
                   el("Email", "Read", 1)))),
            el("AirSync", "MoreAvailable"))),
    )  # fmt: skip
    data = encode(doc)
    assert data.count(b"\x00\x11") >= 1  # switched to AirSyncBase
    assert decode(data) == doc


def test_bounds_and_malformed_input() -> None:
    deep = el("AirSync", "Sync")
    node = deep
    for _ in range(40):
        child = el("AirSync", "Collection")
        node.children.append(child)
        node = child
    node.text = "x"
    with pytest.raises(WbxmlError, match="deeply"):
        decode(encode(deep))
    assert decode(encode(deep), Limits(max_depth=64)) == deep
    for bad in (
        b"",
        b"\x02\x01\x6a\x00\x45\x01",  # WBXML 1.2
        b"\x03\x01\x04\x00\x45\x01",  # not UTF-8
        b"\x03\x01\x6a\x00\x00\x63\x45\x01",  # unknown page
        b"\x03\x01\x6a\x00\x7f\x01",  # unknown token in page 0
        b"\x03\x01\x6a\x00\x45\x03abc",  # unterminated string
        b"\x03\x01\x6a\x00\x45\xc3\x8f\xff\xff\xff\x7f",  # opaque longer than the data
        b"\x03\x01\x6a\x00\x45",  # element left open
        b"\x03\x01\x6a\x00\x45\x01\x45\x01",  # two roots
        b"\x03\x01\x6a\x00\xc5\x01",  # attributes
        b"\x03\x01\x6a\x00\x45\x03\xff\xfe\x00\x01",  # not UTF-8 text
    ):
        with pytest.raises(WbxmlError):
            decode(bad)
    with pytest.raises(WbxmlError, match="too large"):
        decode(FOLDER_SYNC, Limits(max_bytes=4))


_NAMES = [(ns, tag) for _, (ns, tags) in sorted(PAGES.items()) for tag in tags.values()]


def _trees() -> st.SearchStrategy[Element]:
    leaf = st.builds(
        lambda nt, text, opaque: Element(nt[0], nt[1], text=text, opaque=opaque),
        st.sampled_from(_NAMES),
        st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=20)),
        st.none() | st.binary(max_size=20),
    ).map(lambda e: Element(e.ns, e.tag, text=None if e.opaque is not None else e.text, opaque=e.opaque))
    return st.recursive(
        leaf,
        lambda kids: st.builds(
            lambda nt, cs: Element(nt[0], nt[1], children=cs),
            st.sampled_from(_NAMES),
            st.lists(kids, min_size=1, max_size=4),
        ),
        max_leaves=30,
    )


@settings(max_examples=300, deadline=None)
@given(_trees())
def test_random_trees_round_trip(tree: Element) -> None:
    assert decode(encode(tree)) == tree


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_random_bytes_only_raise_wbxml_errors(data: bytes) -> None:
    try:
        decode(data)
    except WbxmlError:
        pass


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=60))
def test_fuzz_after_a_valid_header(data: bytes) -> None:
    try:
        decode(b"\x03\x01\x6a\x00" + data)
    except WbxmlError:
        pass
