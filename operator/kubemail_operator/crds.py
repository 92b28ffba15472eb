"""The CustomResourceDefinitions, built from one source of truth.

`python -m kubemail_operator.crds [dir]` writes operator/crds/maildomains.yaml and mailusers.yaml;
a test keeps the committed files equal to this output.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from kubemail_operator import DOMAINS, GROUP, USERS, VERSION
from kubemail_operator import patterns as p

Schema = dict[str, Any]

_QUANTITY_DOC = (
    "Bytes: an integer or a Kubernetes-style quantity string (binary Ki/Mi/Gi/Ti/Pi/Ei or decimal k/M/G/T/P/E), "
    'e.g. 1073741824, "1Gi", "500M". 0 = unlimited / server default.'
)


def _quantity(doc: str) -> Schema:
    return {
        "description": f"{doc} {_QUANTITY_DOC}",
        "x-kubernetes-int-or-string": True,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": p.QUANTITY,
        "minimum": 0,
    }


def _address(doc: str) -> Schema:
    return {"type": "string", "description": doc, "pattern": p.ADDRESS, "maxLength": p.MAX_ADDRESS}


def _domain(doc: str) -> Schema:
    return {"type": "string", "description": doc, "pattern": p.DOMAIN, "maxLength": p.MAX_DOMAIN}


_CONDITION: Schema = {
    "type": "object",
    "required": ["type", "status"],
    "properties": {
        "type": {"type": "string", "maxLength": 316},
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "reason": {"type": "string", "maxLength": 1024},
        "message": {"type": "string", "maxLength": 32768},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
        "observedGeneration": {"type": "integer", "minimum": 0},
    },
}


def _status(extra: dict[str, Schema]) -> Schema:
    return {
        "type": "object",
        "description": "Observed state, written by the operator.",
        "properties": {
            "observedGeneration": {"type": "integer", "minimum": 0},
            "conditions": {
                "type": "array",
                "items": _CONDITION,
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"],
            },
            **extra,
        },
    }


def _immutable(schema: Schema, what: str) -> Schema:
    return {**schema, "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": f"{what} is immutable"}]}


def _ready_columns() -> list[Schema]:
    return [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {
            "name": "Reason",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Ready")].reason',
            "priority": 1,
        },
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]


def _crd(kind: str, plural: str, short: list[str], spec: Schema, status: Schema, columns: list[Schema]) -> Schema:
    singular = kind.lower()
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": singular,
                "shortNames": short,
                "categories": ["kubemail"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


INBOUND_ACTIONS = ("Reject", "Junk", "Deliver")


def _inbound_action(description: str) -> Schema:
    return {
        "type": "string",
        "enum": list(INBOUND_ACTIONS),
        "description": f"{description} Reject = 550 5.7.1; Junk = the user's Junk mailbox; Deliver = the inbox.",
    }


def maildomain_crd() -> Schema:
    spec: Schema = {
        "type": "object",
        "description": "A mail domain served by kubemail.",
        "required": ["domain"],
        "properties": {
            "domain": _immutable(_domain("The domain name, lower-case IDNA/ASCII (A-labels)."), "domain"),
            "enabled": {"type": "boolean", "default": True, "description": "false rejects mail for the domain."},
            "catchAll": _address("Address receiving mail for unknown local parts; empty = none."),
            "aliases": {
                "type": "array",
                "description": "Alias domains: user@alias delivers to user@domain.",
                "maxItems": 100,
                "x-kubernetes-list-type": "set",
                "items": _domain("An alias domain."),
            },
            "defaultQuota": _quantity("Quota of users that set none."),
            "limits": {
                "type": "object",
                "properties": {
                    "maxUsers": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": 4294967295,
                        "description": "Most users in the domain; 0 = unlimited.",
                    },
                    "maxMessageSize": _quantity("Largest accepted message."),
                },
            },
            "dkim": {
                "type": "object",
                "description": "When present, the operator creates an RSA-2048 key in Secret <name>-dkim "
                "(key private.pem; an existing Secret's key is kept) and publishes the TXT record in status.dkim.",
                "properties": {
                    "selector": {"type": "string", "pattern": p.SELECTOR, "maxLength": 63, "default": "kubemail"},
                },
            },
            "inbound": {
                "type": "object",
                "description": "What the MX does with mail to this domain that fails sender authentication; "
                "an action left out follows the server default (KUBEMAIL_SMTP_*_ACTION).",
                "properties": {
                    "dmarcReject": _inbound_action("DMARC fails and the sender's policy is p=reject."),
                    "dmarcQuarantine": _inbound_action("DMARC fails and the sender's policy is p=quarantine."),
                    "localSpoof": _inbound_action(
                        "From: a local domain, SPF and DKIM both fail, client outside the trusted networks."
                    ),
                },
            },
        },
    }
    status = _status(
        {
            "domain": {"type": "string"},
            "dkim": {
                "type": "object",
                "properties": {
                    "selector": {"type": "string"},
                    "secretName": {"type": "string"},
                    "recordName": {"type": "string", "description": "<selector>._domainkey.<domain>"},
                    "txtValue": {"type": "string", "description": "The DNS TXT record value to publish."},
                },
            },
            "dnsRecords": {
                "type": "array",
                "description": "Records to publish for the domain: MX, SPF, DMARC, SRV (RFC 6186/8314), "
                "Autodiscover/autoconfig, MTA-STS and DKIM.",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "type": {"type": "string"},
                        "value": {"type": "string"},
                    },
                },
            },
        }
    )
    columns: list[Schema] = [
        {"name": "Domain", "type": "string", "jsonPath": ".spec.domain"},
        {"name": "Enabled", "type": "boolean", "jsonPath": ".spec.enabled"},
        *_ready_columns(),
    ]
    return _crd("MailDomain", DOMAINS, ["mdom"], spec, status, columns)


def mailuser_crd() -> Schema:
    spec: Schema = {
        "type": "object",
        "description": "A mailbox user. Its domain must be a MailDomain in the same namespace.",
        "required": ["address"],
        "properties": {
            "address": _immutable(_address("Primary address; the login name."), "address"),
            "displayName": {"type": "string", "maxLength": 256},
            "passwordSecretRef": {
                "type": "object",
                "description": "Secret (same namespace) holding the plain password; only its argon2id hash "
                "leaves the operator. Editing the Secret changes the password.",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": p.OBJECT_NAME, "maxLength": 253},
                    "key": {"type": "string", "pattern": p.SECRET_KEY, "maxLength": 253, "default": "password"},
                },
            },
            "quota": _quantity("Mailbox quota; 0 or absent = the domain's defaultQuota."),
            "aliases": {
                "type": "array",
                "maxItems": 100,
                "x-kubernetes-list-type": "set",
                "items": _address("An extra address delivering to this user."),
            },
            "forwardTo": {
                "type": "array",
                "maxItems": 20,
                "x-kubernetes-list-type": "set",
                "items": _address("A copy of every message is forwarded here."),
            },
            "enabled": {"type": "boolean", "default": True},
            "deletionPolicy": {
                "type": "string",
                "enum": ["Retain", "Delete"],
                "default": "Retain",
                "description": "On delete: Retain keeps the mail data, Delete purges every mailbox and message.",
            },
            "remoteWipe": {
                "type": "array",
                "maxItems": 100,
                "x-kubernetes-list-type": "set",
                "description": "ActiveSync device ids (status.devices lists them) to wipe: the device is answered "
                "with a remote wipe until it confirms; remove the id to let a device sync again. Only this field "
                "requests a wipe, never the device's user.",
                "items": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[ -~]+$"},
            },
        },
    }
    status = _status(
        {
            "userId": {"type": "string"},
            "address": {"type": "string"},
            "passwordSource": {
                "type": "string",
                "description": "<uid>/<resourceVersion>/<key> of the Secret the stored password hash came from.",
            },
            "devices": {
                "type": "array",
                "description": "The user's ActiveSync devices (at most 100), by id.",
                "items": {
                    "type": "object",
                    "properties": {
                        "deviceId": {"type": "string"},
                        "deviceType": {"type": "string"},
                        "model": {"type": "string"},
                        "wipe": {
                            "type": "string",
                            "enum": ["Pending", "Acknowledged"],
                            "description": "Pending: requested in spec.remoteWipe, not confirmed yet.",
                        },
                        "wipeAcknowledged": {"type": "string", "format": "date-time"},
                    },
                },
            },
        }
    )
    columns: list[Schema] = [
        {"name": "Address", "type": "string", "jsonPath": ".spec.address"},
        {"name": "Enabled", "type": "boolean", "jsonPath": ".spec.enabled"},
        {"name": "Policy", "type": "string", "jsonPath": ".spec.deletionPolicy", "priority": 1},
        *_ready_columns(),
    ]
    return _crd("MailUser", USERS, ["muser"], spec, status, columns)


def render(crd: Schema) -> str:
    return "# Generated by `python -m kubemail_operator.crds`; do not edit.\n" + yaml.safe_dump(
        crd, sort_keys=False, width=120
    )


FILES = {"maildomains.yaml": maildomain_crd, "mailusers.yaml": mailuser_crd}


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "crds"
    out.mkdir(parents=True, exist_ok=True)
    for name, fn in FILES.items():
        (out / name).write_text(render(fn()))


if __name__ == "__main__":
    main(sys.argv[1:])
