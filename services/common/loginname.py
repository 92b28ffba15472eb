"""The one normal form of a login name, shared by the front-ends' Authenticator (the key of
the failed-login limits) and the directory's Authenticate (the lookup), so that a name the
directory accepts is always counted under the same key: surrounding white space removed,
lower case (the directory's lookup form), trailing dots of the domain removed
("user@example.test." and "USER@example.test.." are user@example.test)."""

from __future__ import annotations


def login_name(value: str) -> str:
    name = value.strip().lower()
    local, at, domain = name.rpartition("@")
    if not at:
        return name
    return f"{local}@{domain.rstrip('.')}"
