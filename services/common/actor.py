"""Who a front-end acts for: the authenticated user of the connection being served, sent with
every metadata call as the "kubemail-actor" request header (services.common.grpcclient). The
metadata service checks a call whose user_id is another user's against that user's ACL for the
actor (services.metadata.acl); a call without the header is the owner's own (POP3, SMTP)."""

from __future__ import annotations

from contextvars import ContextVar

HEADER = "kubemail-actor"

#: set by a session once its user is authenticated; each connection runs in its own task, so
#: the value never leaks to another connection
ACTOR: ContextVar[str] = ContextVar("kubemail_actor", default="")
