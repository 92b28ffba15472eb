"""The Global Address List ([MS-ASCMD] Search Store=GAL, ResolveRecipients 2.2.1.15) over the
directory: the users of the searching user's own domain only, so no device can list another
domain's accounts. A query matches the start of an address's local part, of the address, or of
any word of the display name, case-insensitively; disabled users are left out."""

from __future__ import annotations

import collections
import dataclasses
import time

import grpc

from services.common.grpcclient import MetadataClient
from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.web.wbxml.codec import Element, el

G, RR = "GAL", "ResolveRecipients"
PAGE = 1000
MAX_QUERY = 256
MAX_TO = 100  # [MS-ASCMD] 2.2.3.178: at most 100 To elements
DEFAULT_AMBIGUOUS = 19
CACHE_SECONDS = 60.0  # a domain's listing is reused this long (clients resolve as the user types)
CACHE_DOMAINS = 64


@dataclasses.dataclass(frozen=True)
class Entry:
    address: str
    display_name: str
    aliases: tuple[str, ...]

    def properties(self) -> list[Element]:
        """The GAL properties of a Search Result."""
        first, _, last = self.display_name.partition(" ")
        out = [el(G, "DisplayName", self.display_name or self.address), el(G, "EmailAddress", self.address)]
        out.append(el(G, "Alias", self.address.partition("@")[0]))
        if first:
            out.append(el(G, "FirstName", first))
        if last:
            out.append(el(G, "LastName", last))
        return out


def matches(entry: Entry, query: str) -> bool:
    q = query.casefold()
    words = [w.casefold() for w in entry.display_name.split()]
    return any(a.casefold().startswith(q) for a in (entry.address, *entry.aliases)) or any(
        w.startswith(q) for w in words
    )


@dataclasses.dataclass
class Found:
    entries: list[Entry]
    complete: bool  # False: the scan limit stopped the search (more may match)


class Directory:
    """The directory of a domain as the GAL sees it: its enabled users, listed at most every
    CACHE_SECONDS per web pod (a user added meanwhile shows up at the next listing)."""

    def __init__(self, client: MetadataClient, scan_limit: int) -> None:
        self.client = client
        self.scan_limit = scan_limit
        self._cache: collections.OrderedDict[str, tuple[float, Found]] = collections.OrderedDict()

    async def listing(self, domain: str) -> Found:
        now = time.monotonic()
        hit = self._cache.get(domain)
        if hit is not None and hit[0] > now:
            self._cache.move_to_end(domain)
            return hit[1]
        out: list[Entry] = []
        token, seen = "", 0
        while True:
            resp = await self.client.directory.ListUsers(
                directory_pb.ListUsersRequest(domain=domain, page_size=PAGE, page_token=token)
            )
            for u in resp.users:
                aliases = tuple(a for a in u.aliases if a.endswith("@" + domain))
                if u.enabled:
                    out.append(Entry(u.address, u.display_name, aliases))
            seen += len(resp.users)
            token = resp.next_page_token
            if not token or seen >= self.scan_limit:
                break
        out.sort(key=lambda e: e.address)
        found = Found(out, not token)
        self._cache[domain] = (now + CACHE_SECONDS, found)
        while len(self._cache) > CACHE_DOMAINS:
            self._cache.popitem(last=False)
        return found

    async def search(self, user: directory_pb.User, query: str, limit: int) -> Found:
        """Up to `limit` entries of `user`'s domain matching `query`, ordered by address."""
        listing = await self.listing(user.address.rpartition("@")[2])
        hits = [e for e in listing.entries if matches(e, query)]
        return Found(hits[: max(limit, 0)], listing.complete)

    async def exact(self, user: directory_pb.User, address: str) -> Entry | None:
        """The entry of `address` (a primary address or alias) when it is a user of `user`'s domain."""
        domain = user.address.rpartition("@")[2].lower()
        if address.rpartition("@")[2].lower() != domain:
            return None
        try:  # a primary address or an alias; never recipient resolution (a catch-all would answer for any name)
            got = await self.client.directory.GetUser(directory_pb.GetUserRequest(address=address))
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) in (er.ERROR_REASON_NO_SUCH_USER, er.ERROR_REASON_INVALID_ARGUMENT):
                return None
            raise
        u = got.user
        if not u.enabled or u.address.rpartition("@")[2].lower() != domain:
            return None
        return Entry(u.address, u.display_name, tuple(u.aliases))


def _recipient(e: Entry) -> Element:
    return el(RR, "Recipient", el(RR, "Type", 1), el(RR, "DisplayName", e.display_name or e.address),
              el(RR, "EmailAddress", e.address))  # fmt: skip


def _int(e: Element | None, default: int, top: int) -> int:
    v = e.value() if e is not None else ""
    return min(int(v), top) if v.isdigit() and len(v) < 6 else default


async def resolve(directory: Directory, user: directory_pb.User, body: Element | None, cap: int) -> Element:
    """ResolveRecipients: per To, Status 1 (one match), 2 (several, suggested), 3 (more than
    MaxAmbiguousRecipients), 4 (none); the top Status 5 for a request that is not one."""
    if body is None or (body.ns, body.tag) != (RR, "ResolveRecipients"):
        return el(RR, "ResolveRecipients", el(RR, "Status", 5))
    tos = body.findall(RR, "To")
    if not tos or len(tos) > MAX_TO or any(not t.value().strip() or len(t.value()) > MAX_QUERY for t in tos):
        return el(RR, "ResolveRecipients", el(RR, "Status", 5))
    options = body.find(RR, "Options")
    ambiguous = _int(options.find(RR, "MaxAmbiguousRecipients") if options else None, DEFAULT_AMBIGUOUS, cap)
    certs = options.find(RR, "CertificateRetrieval") if options is not None else None
    want_certs = certs is not None and certs.value() in ("2", "3")
    out: list[Element] = []
    for to in tos:
        name = to.value().strip()
        one = await directory.exact(user, name) if "@" in name else None
        entries = [one] if one is not None else (await directory.search(user, name, ambiguous + 1)).entries
        if not entries:
            status = 4
        elif len(entries) == 1:
            status = 1
        else:
            status = 2 if len(entries) <= ambiguous else 3
        shown = entries[:ambiguous] if status != 1 else entries
        recipients = []
        for e in shown:
            r = _recipient(e)
            if want_certs:  # no S/MIME certificates are kept: Status 7 (none valid)
                r.children.append(el(RR, "Certificates", el(RR, "Status", 7), el(RR, "CertificateCount", 0)))
            recipients.append(r)
        parts = [el(RR, "To", name), el(RR, "Status", status), el(RR, "RecipientCount", len(recipients))]
        out.append(el(RR, "Response", *parts, *recipients))
    return el(RR, "ResolveRecipients", el(RR, "Status", 1), *out)
