"""MailDomain/MailUser through the real kopf runtime (kmock emulator) into the real metadata service."""

from __future__ import annotations

import base64
from typing import Any

import grpc
import pytest
import redis
from kubemail_operator import dkim

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.relay import dkimsign
from tests.operator.conftest import (
    DOMAINS,
    USERS,
    Emulator,
    create,
    create_secret,
    delete,
    events,
    eventually,
    obj,
    patch,
    ready,
    wait_event,
)

PW = "s3cret-Pa55"


async def auth(client: MetadataClient, user: str, password: str) -> bool:
    resp = await client.directory.Authenticate(
        directory_pb.AuthenticateRequest(username=user, password=password.encode(), service="imap")
    )
    return bool(resp.ok)


async def resolve(client: MetadataClient, address: str) -> directory_pb.Resolution:
    resp = await client.directory.ResolveRecipients(directory_pb.ResolveRecipientsRequest(addresses=[address]))
    return resp.results[0]


async def wait_ready(k8s: Emulator, plural: str, name: str, status: str = "True") -> dict[str, Any]:
    async def check() -> dict[str, Any]:
        cond = ready(obj(k8s, plural, name))
        assert cond["status"] == status, cond
        return cond

    return await eventually(check)


async def setup_domain_and_user(k8s: Emulator, **user: Any) -> None:
    await create(
        k8s,
        DOMAINS,
        "example",
        {
            "domain": "example.test",
            "defaultQuota": "1Gi",
            "aliases": ["example-alias.test"],
            "catchAll": "alice@example.test",
            "dkim": {"selector": "mail2026"},
            "limits": {"maxMessageSize": "25Mi"},
            "inbound": {"dmarcReject": "Junk", "localSpoof": "Deliver"},
        },
    )
    await create_secret(k8s, "alice-pw", {"password": PW})
    await create(
        k8s,
        USERS,
        "alice",
        {
            "address": "alice@example.test",
            "displayName": "Alice",
            "quota": "512Mi",
            "aliases": ["postmaster@example.test"],
            "passwordSecretRef": {"name": "alice-pw"},
            **user,
        },
    )
    await wait_ready(k8s, DOMAINS, "example")
    await wait_ready(k8s, USERS, "alice")


async def test_create_applies_domain_user_quota_aliases_catch_all_and_dkim(
    k8s: Emulator, operator: Any, client: MetadataClient
) -> None:
    await setup_domain_and_user(k8s)

    assert await auth(client, "alice@example.test", PW)
    assert not await auth(client, "alice@example.test", "wrong")
    user = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
    assert user.quota_bytes == 512 * 2**20 and user.display_name == "Alice" and user.has_password
    dom = (await client.directory.GetDomain(directory_pb.GetDomainRequest(name="example.test"))).domain
    assert dom.default_quota_bytes == 2**30 and dom.max_message_bytes == 25 * 2**20
    assert dom.dkim_selector == "mail2026" and list(dom.aliases) == ["example-alias.test"]

    for addr in ("postmaster@example.test", "alice@example-alias.test", "nobody@example.test"):
        res = await resolve(client, addr)
        assert res.status == directory_pb.Resolution.STATUS_LOCAL and list(res.user_ids) == [user.id], (addr, res)
        # spec.inbound reaches the SMTP pod with every resolution (issue 15)
        assert res.inbound == directory_pb.InboundPolicy(
            dmarc_reject=directory_pb.INBOUND_ACTION_JUNK, local_spoof=directory_pb.INBOUND_ACTION_DELIVER
        )

    # Status: Ready, observedGeneration, the user id, the DKIM record matching the Secret's key.
    u = obj(k8s, USERS, "alice")
    assert u is not None and u["status"]["userId"] == user.id and u["status"]["observedGeneration"] == 1
    d = obj(k8s, DOMAINS, "example")
    assert d is not None
    secret = obj(k8s, "secrets", "example-dkim")
    assert secret is not None
    assert secret["metadata"]["ownerReferences"][0]["kind"] == "MailDomain"
    pem = base64.b64decode(secret["data"][dkim.PRIVATE_KEY])
    assert b"PRIVATE KEY" in pem
    assert d["status"]["dkim"]["recordName"] == "mail2026._domainkey.example.test"
    assert d["status"]["dkim"]["txtValue"] == dkim.txt_value(pem)
    assert d["status"]["dkim"]["txtValue"].startswith("v=DKIM1; k=rsa; p=")
    # The plain password never reaches the CR or any Event.
    reasons = {(e["involvedObject"]["kind"], e["reason"]) for e in events(k8s)}
    assert ("MailUser", "Created") in reasons and ("MailDomain", "DkimKeyCreated") in reasons
    assert all(PW not in str(e) for e in events(k8s)) and PW not in str(u)


async def test_dkim_keys_reach_the_relay_secret_and_follow_selector_and_deletion(
    k8s: Emulator, operator: Any, client: MetadataClient
) -> None:
    await setup_domain_and_user(k8s)
    domain_key = obj(k8s, "secrets", "example-dkim")["data"][dkim.PRIVATE_KEY]  # type: ignore[index]

    async def keys() -> dict[str, str]:
        secret = obj(k8s, "secrets", "kubemail-dkim-keys")
        assert secret is not None
        return {k: v for k, v in (secret.get("data") or {}).items() if v is not None}

    async def published(expected: dict[str, str], timeout: float = 20.0) -> None:
        async def check() -> None:
            assert await keys() == expected

        await eventually(check, timeout)

    # the relay's Secret holds the domain's key under the name services.relay.dkimsign reads
    await published({"mail2026._domainkey.example.test.pem": domain_key})
    assert dkimsign.parse_name("mail2026._domainkey.example.test.pem") == ("mail2026", "example.test")
    await patch(k8s, DOMAINS, "example", {"spec": {"dkim": {"selector": "mail2027"}}})
    await published({"mail2027._domainkey.example.test.pem": domain_key})
    await delete(k8s, USERS, "alice")
    await delete(k8s, DOMAINS, "example")
    # the domain's deletion waits (3 s retries) until the user's finalizer has removed it from metadata
    await published({}, timeout=40.0)


async def test_update_and_password_change_via_secret(k8s: Emulator, operator: Any, client: MetadataClient) -> None:
    await setup_domain_and_user(k8s)
    await patch(k8s, USERS, "alice", {"spec": {"quota": "2Gi", "forwardTo": ["alice@elsewhere.test"]}})

    async def updated() -> None:
        user = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
        assert user.quota_bytes == 2 * 2**30 and list(user.forward_to) == ["alice@elsewhere.test"]
        u = obj(k8s, USERS, "alice")
        assert u is not None and u["status"]["observedGeneration"] == 2

    await eventually(updated)

    # Edit only the Secret: the MailUser stays untouched, the new password works, the old one not.
    new = base64.b64encode(b"n3w-password").decode()
    await patch(k8s, "secrets", "alice-pw", {"data": {"password": new}}, group=False)

    async def changed() -> None:
        assert await auth(client, "alice@example.test", "n3w-password")
        assert not await auth(client, "alice@example.test", PW)

    await eventually(changed)
    u = obj(k8s, USERS, "alice")
    assert u is not None and u["metadata"]["generation"] == 2
    await wait_event(k8s, "PasswordChanged")


async def test_user_of_unknown_domain_fails_permanently_then_heals(
    k8s: Emulator, operator: Any, client: MetadataClient
) -> None:
    await create(k8s, USERS, "bob", {"address": "bob@nowhere.test"})
    cond = await wait_ready(k8s, USERS, "bob", status="False")
    assert cond["reason"] == "DomainNotFound" and "nowhere.test" in cond["message"]
    await wait_event(k8s, "DomainNotFound", "Warning")
    with pytest.raises(grpc.aio.AioRpcError):
        await client.directory.GetUser(directory_pb.GetUserRequest(address="bob@nowhere.test"))
    # Once the domain exists, the periodic re-apply makes the user.
    await create(k8s, DOMAINS, "nowhere", {"domain": "nowhere.test"})
    await wait_ready(k8s, USERS, "bob")
    assert (await client.directory.GetUser(directory_pb.GetUserRequest(address="bob@nowhere.test"))).user.enabled


async def _deliver(client: MetadataClient, blobs: Any, user_id: str) -> None:
    raw = b"Subject: hi\r\n\r\nhello\r\n"
    blob_id = await blobs.put(raw)
    summary = mime_pb.MessageSummary(size=len(raw), header_size=15, raw_header=raw[:15])
    await client.messages.Deliver(
        messages_pb.DeliverRequest(
            blob_id=blob_id,
            size=len(raw),
            summary=summary,
            deliveries=[messages_pb.Delivery(user_id=user_id)],
            idempotency_key=f"t-{user_id}",
        )
    )


async def test_delete_retain_keeps_mail_and_delete_purges(
    k8s: Emulator, operator: Any, client: MetadataClient, metadata: Any
) -> None:
    from services.common import config as cfg
    from services.common.blobstore import make_blobstore
    from services.common.config import CommonConfig

    blobs = make_blobstore(cfg.load(CommonConfig, metadata.env))
    await create(k8s, DOMAINS, "example", {"domain": "example.test"})
    for name, policy in (("keep", "Retain"), ("drop", "Delete")):
        await create(k8s, USERS, name, {"address": f"{name}@example.test", "deletionPolicy": policy})
        await wait_ready(k8s, USERS, name)
    ids = {}
    for name in ("keep", "drop"):
        got = await client.directory.GetUser(directory_pb.GetUserRequest(address=f"{name}@example.test"))
        ids[name] = got.user.id
        await _deliver(client, blobs, ids[name])
        box = (
            await client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=ids[name], name="INBOX"))
        ).mailbox
        assert box.messages == 1

    for name in ("keep", "drop"):
        await delete(k8s, USERS, name)

    async def gone() -> None:
        for name in ("keep", "drop"):
            assert obj(k8s, USERS, name) is None  # the finalizer was released
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                await client.directory.GetUser(directory_pb.GetUserRequest(address=f"{name}@example.test"))
            assert exc.value.code() == grpc.StatusCode.NOT_FOUND

    await eventually(gone)
    messages = [e["message"] for e in events(k8s) if e["reason"] == "Deleted"]
    assert any("keep@example.test" in m and "retained" in m for m in messages), messages
    assert any("drop@example.test" in m and "purged (1 messages)" in m for m in messages), messages
    # Retain: the mail stays under the user id; Delete: every mailbox and message is gone.
    kept = (
        await client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=ids["keep"], name="INBOX"))
    ).mailbox
    assert kept.messages == 1
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=ids["drop"], name="INBOX"))
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND

    # The domain goes last; deleting it removes it from the metadata service.
    await delete(k8s, DOMAINS, "example")

    async def domain_gone() -> None:
        assert obj(k8s, DOMAINS, "example") is None
        with pytest.raises(grpc.aio.AioRpcError):
            await client.directory.GetDomain(directory_pb.GetDomainRequest(name="example.test"))

    await eventually(domain_gone)


async def test_drift_repair_after_flushall(k8s: Emulator, operator: Any, client: MetadataClient, metadata: Any) -> None:
    await setup_domain_and_user(k8s)
    await create(k8s, USERS, "carol", {"address": "carol@example.test", "quota": 1000})
    await wait_ready(k8s, USERS, "carol")

    redis.Redis.from_url(metadata.redis_url).flushall()
    assert not await auth(client, "alice@example.test", PW)

    async def restored() -> None:
        assert await auth(client, "alice@example.test", PW)
        try:
            carol = (await client.directory.GetUser(directory_pb.GetUserRequest(address="carol@example.test"))).user
        except grpc.aio.AioRpcError as exc:  # not restored yet: each MailUser has its own timer
            assert exc.code() != grpc.StatusCode.NOT_FOUND, "carol not restored yet"
            raise
        assert carol.quota_bytes == 1000
        dom = (await client.directory.GetDomain(directory_pb.GetDomainRequest(name="example.test"))).domain
        assert dom.catch_all == "alice@example.test"
        assert (await resolve(client, "postmaster@example.test")).status == directory_pb.Resolution.STATUS_LOCAL

    await eventually(restored, timeout=30)
    await wait_event(k8s, "DriftRepaired")


async def test_status_lists_the_dns_records_to_publish(k8s: Emulator, operator: Any, client: MetadataClient) -> None:
    await setup_domain_and_user(k8s)
    d = obj(k8s, DOMAINS, "example")
    assert d is not None
    records = {(r["name"], r["type"]): r["value"] for r in d["status"]["dnsRecords"]}
    host = "mail.kubemail.test."
    assert records[("example.test.", "MX")] == f"10 {host}"
    assert records[("_imaps._tcp.example.test.", "SRV")] == f"0 1 993 {host}"
    assert records[("_submissions._tcp.example.test.", "SRV")] == f"0 1 465 {host}"
    assert records[("_pop3._tcp.example.test.", "SRV")] == "0 0 0 ."  # not offered (RFC 6186 4)
    assert records[("autodiscover.example.test.", "CNAME")] == host
    assert records[("_mta-sts.example.test.", "TXT")].startswith("v=STSv1; id=")
    assert records[("mail2026._domainkey.example.test.", "TXT")] == d["status"]["dkim"]["txtValue"]
    assert records[("_dmarc.example.test.", "TXT")].startswith("v=DMARC1;")
