"""Syntax shared by the CRD schemas and the operator's own checks (RE2- and Python-compatible)."""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_LABEL_ANY_CASE = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"

#: A lower-case IDNA/ASCII domain with at least two labels ("example.com", "xn--bcher-kva.example").
DOMAIN = rf"^({_LABEL}\.)+{_LABEL}$"
#: dot-atom local part @ domain (any case; the operator lower-cases the domain part).
ADDRESS = rf"^{_ATOM}(\.{_ATOM})*@({_LABEL_ANY_CASE}\.)+{_LABEL_ANY_CASE}$"
#: A DKIM selector: one DNS label.
SELECTOR = rf"^{_LABEL}$"
#: Bytes as an integer or a Kubernetes-style quantity string: 1073741824, "1Gi", "500M", "1.5G".
QUANTITY = r"^[0-9]+(\.[0-9]+)?(k|K|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
#: A Kubernetes object name (DNS subdomain).
OBJECT_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
#: A Secret data key.
SECRET_KEY = r"^[-._a-zA-Z0-9]+$"

MAX_DOMAIN = 253
MAX_ADDRESS = 254

_DOMAIN_RE = re.compile(DOMAIN)
_ADDRESS_RE = re.compile(ADDRESS)


def is_domain(value: str) -> bool:
    return len(value) <= MAX_DOMAIN and _DOMAIN_RE.match(value) is not None


def is_address(value: str) -> bool:
    return len(value) <= MAX_ADDRESS and _ADDRESS_RE.match(value) is not None


def canonical_address(value: str) -> str:
    """The address with its domain part lower-cased (local parts keep their case)."""
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_selector(value: str) -> bool:
    return len(value) <= 63 and re.match(SELECTOR, value) is not None
