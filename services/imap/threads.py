"""THREAD algorithms of RFC 5256 (ORDEREDSUBJECT, REFERENCES) over ThreadInputs, and the
thread-list rendering of the THREAD response (sans-I/O). Message numbers are given by the
caller (sequence numbers or UIDs); ties are broken by mailbox order (ascending UID)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from services.imap.sorting import ThreadInput


@dataclass(eq=False)
class Node:
    msg: ThreadInput | None = None  # None = a dummy (a referenced message that is not here)
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)

    def first_message(self) -> ThreadInput | None:
        """The message itself, or for a dummy its first child's (after sorting)."""
        n: Node | None = self
        while n is not None and n.msg is None:
            n = n.children[0] if n.children else None
        return n.msg if n is not None else None

    def is_ancestor_of(self, other: Node) -> bool:
        n: Node | None = other
        while n is not None:
            if n is self:
                return True
            n = n.parent
        return False


def _link(parent: Node, child: Node) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def _unlink(child: Node) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
        child.parent = None


def _date_key(n: Node) -> tuple[int, int]:
    m = n.first_message()
    return (m.date, m.uid) if m is not None else (0, 0)


def ordered_subject(msgs: Sequence[ThreadInput]) -> list[Node]:
    """ORDEREDSUBJECT: messages grouped by base subject, each group sorted by sent date; the
    first of a group is the parent of the others; threads sorted by their first's sent date."""
    ordered = sorted(msgs, key=lambda m: (m.subject, m.date, m.uid))
    roots: list[Node] = []
    for _, group in groupby(ordered, key=lambda m: m.subject):
        items = list(group)
        root = Node(items[0])
        for m in items[1:]:
            _link(root, Node(m))
        roots.append(root)
    roots.sort(key=_date_key)
    return roots


def references(msgs: Sequence[ThreadInput]) -> list[Node]:
    """REFERENCES (RFC 5256 section 3, steps 1 to 6)."""
    table: dict[str, Node] = {}
    nodes: list[Node] = []
    for m in sorted(msgs, key=lambda x: x.uid):
        # step 1: a missing or duplicate Message-ID gets a unique one (the message stands alone)
        node = table.get(m.message_id) if m.message_id else None
        if node is not None and node.msg is None:
            node.msg = m  # a dummy created by an earlier reference: now the message
        else:
            node = Node(m)
            if m.message_id and m.message_id not in table:
                table[m.message_id] = node
        nodes.append(node)
        # 1.A: link the references in order, never changing an existing link, never a loop
        prev: Node | None = None
        for ref in m.references:
            rnode = table.get(ref)
            if rnode is None:
                rnode = table[ref] = Node()
            if prev is not None and rnode.parent is None and rnode is not prev and not rnode.is_ancestor_of(prev):
                _link(prev, rnode)
            prev = rnode
        # 1.B: the last reference becomes the parent (replacing any parent), unless a loop
        if prev is None or prev is node or node.is_ancestor_of(prev):
            _unlink(node)
        else:
            _link(prev, node)
    # step 2: the root set
    root = Node()
    seen: set[int] = set()
    for n in list(table.values()) + nodes:
        if n.parent is None and id(n) not in seen and (n.msg is not None or n.children):
            seen.add(id(n))
            _link(root, n)
    # step 3: prune dummies
    _prune(root)
    # step 4: sort the root set by sent date (a dummy: by its first child, sorted first)
    for n in root.children:
        if n.msg is None:
            n.children.sort(key=_date_key)
    root.children.sort(key=_date_key)
    # step 5: merge threads with the same base subject
    _merge_subjects(root)
    # step 6: sort every set of siblings by sent date, children before their parents
    _sort_tree(root)
    return list(root.children)


def _prune(parent: Node) -> None:
    for n in list(parent.children):
        _prune(n)
        if n.msg is not None:
            continue
        if not n.children:
            _unlink(n)
        elif parent.parent is not None or len(n.children) == 1:
            # promote the children (never several of them to the root)
            i = parent.children.index(n)
            kids = list(n.children)
            _unlink(n)
            for k in kids:
                k.parent = parent
            n.children = []
            parent.children[i:i] = kids


def _subject(n: Node) -> tuple[str, bool]:
    m = n.msg if n.msg is not None else (n.children[0].msg if n.children else None)
    return (m.subject, m.refwd) if m is not None else ("", False)


def _merge_subjects(root: Node) -> None:
    table: dict[str, Node] = {}
    for n in root.children:
        subj, refwd = _subject(n)
        if not subj:
            continue
        old = table.get(subj)
        if old is None:
            table[subj] = n
        elif old.msg is not None and (n.msg is None or (_subject(old)[1] and not refwd)):
            table[subj] = n
    for n in list(root.children):
        subj, refwd = _subject(n)
        if not subj or n.parent is not root:  # empty subject, or merged into a dummy already
            continue
        old = table[subj]
        if old is n:
            continue
        if old.msg is None and n.msg is None:
            for k in list(n.children):
                _link(old, k)
            _unlink(n)
        elif old.msg is None:
            _link(old, n)
        elif n.msg is not None and refwd and not _subject(old)[1]:
            _link(old, n)
        else:
            dummy = Node()
            i = root.children.index(old)
            _unlink(old)
            root.children.insert(i, dummy)
            dummy.parent = root
            _link(dummy, old)
            _link(dummy, n)
            table[subj] = dummy


def _sort_tree(n: Node) -> None:
    for c in n.children:
        _sort_tree(c)
    n.children.sort(key=_date_key)


def render(roots: Sequence[Node], number: Callable[[int], int]) -> str:
    """The thread-list of a THREAD response: "(2)(3 6 (4 23)(44 7 96))" (RFC 5256 section 4)."""
    return "".join("(" + _render(r, number) + ")" for r in roots)


def _render(n: Node, number: Callable[[int], int]) -> str:
    parts: list[str] = []
    while True:
        if n.msg is not None:
            parts.append(str(number(n.msg.uid)))
        if len(n.children) == 1:
            n = n.children[0]
            continue
        if n.children:
            parts.append("".join("(" + _render(c, number) + ")" for c in n.children))
        break
    text = " ".join(parts)
    return text
