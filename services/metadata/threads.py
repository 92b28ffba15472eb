"""Threading at ingest (docs/decisions/0008-object-ids.md): the deliver script's threading
arguments from the summary's threading keys (services.common.threadkeys, computed at parse).

Message-IDs and base subjects are hashed, so the script's arguments and the per-user thread map
(services.metadata.keys ``P tm``) stay small whatever the headers hold.
"""

from __future__ import annotations

import hashlib

from services.common.threadkeys import MAX_REFERENCES
from services.gen.kubemail.v1 import mime_pb2 as mime_pb


def msgid_hash(message_id: str) -> str:
    return hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:24]


def subject_hash(base_subject: str) -> str:
    return hashlib.sha256(base_subject.encode("utf-8", "replace")).hexdigest()[:16]


def thread_args(summary: mime_pb.MessageSummary) -> list[str]:
    """own_msgid_hash subject_hash nrefs ref_hash* (oldest reference first)."""
    own = msgid_hash(summary.message_id) if summary.message_id else ""
    refs = [msgid_hash(r) for r in summary.references[-MAX_REFERENCES:] if r and r != summary.message_id]
    return [own, subject_hash(summary.base_subject), str(len(refs)), *refs]
