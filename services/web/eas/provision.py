"""Provision ([MS-ASPROV]): the two-phase policy handshake, pure. Phase 1 (no policy key) hands
out a temporary key with the policy document; phase 2 (the device acknowledges that key) turns
it into the final key the device sends with every later request. A remote wipe asked by an
administrator is sent instead of the policy until the device acknowledges it."""

from __future__ import annotations

import dataclasses
import secrets

from services.web.eas.state import DeviceState
from services.web.wbxml.codec import Element, el

POLICY_TYPE = "MS-EAS-Provisioning-WBXML"
P, S = "Provision", "Settings"

# Provision status values ([MS-ASPROV] 2.2.2.54.2)
OK, PROTOCOL_ERROR, GENERAL_ERROR = 1, 2, 3
POLICY_UNKNOWN_TYPE, POLICY_KEY_MISMATCH = 3, 5


@dataclasses.dataclass(frozen=True)
class Policy:
    require_password: bool = False
    min_password_length: int = 4
    max_inactivity_seconds: int = 900
    max_failed_attempts: int = 10
    allow_attachments: bool = True
    max_attachment_bytes: int = 25 * 1024 * 1024

    def document(self) -> Element:
        def b(v: bool) -> str:
            return "1" if v else "0"

        items = [
            ("DevicePasswordEnabled", b(self.require_password)),
            ("AlphanumericDevicePasswordRequired", "0"),
            ("PasswordRecoveryEnabled", "0"),
            ("RequireDeviceEncryption", "0"),
            ("AttachmentsEnabled", b(self.allow_attachments)),
            ("MinDevicePasswordLength", str(self.min_password_length) if self.require_password else "1"),
            ("MaxInactivityTimeDeviceLock", str(self.max_inactivity_seconds)),
            ("MaxDevicePasswordFailedAttempts", str(self.max_failed_attempts)),
            ("MaxAttachmentSize", str(self.max_attachment_bytes)),
            ("AllowSimpleDevicePassword", "1"),
            ("DevicePasswordExpiration", "0"),
            ("DevicePasswordHistory", "0"),
            ("AllowStorageCard", "1"),
            ("AllowCamera", "1"),
            ("RequireStorageCardEncryption", "0"),
            ("AllowUnsignedApplications", "1"),
            ("AllowUnsignedInstallationPackages", "1"),
            ("MinDevicePasswordComplexCharacters", "1"),
            ("AllowWiFi", "1"),
            ("AllowTextMessaging", "1"),
            ("AllowPOPIMAPEmail", "1"),
            ("AllowBluetooth", "2"),
            ("AllowIrDA", "1"),
            ("RequireManualSyncWhenRoaming", "0"),
            ("AllowDesktopSync", "1"),
            ("MaxCalendarAgeFilter", "0"),
            ("AllowHTMLEmail", "1"),
            ("MaxEmailAgeFilter", "0"),
            ("MaxEmailBodyTruncationSize", "-1"),
            ("MaxEmailHTMLBodyTruncationSize", "-1"),
            ("RequireSignedSMIMEMessages", "0"),
            ("RequireEncryptedSMIMEMessages", "0"),
            ("AllowSMIMEEncryptionAlgorithmNegotiation", "2"),
            ("AllowSMIMESoftCerts", "1"),
            ("AllowBrowser", "1"),
            ("AllowConsumerEmail", "1"),
            ("AllowRemoteDesktop", "1"),
            ("AllowInternetSharing", "1"),
        ]
        return el(P, "EASProvisionDoc", *(el(P, name, value) for name, value in items))


# the root element of each command's response ([MS-ASCMD]), for the common Status 140
_ROOTS = {
    "Sync": ("AirSync", "Sync"), "Ping": ("Ping", "Ping"), "GetItemEstimate": ("GetItemEstimate", "GetItemEstimate"),
    "ItemOperations": ("ItemOperations", "ItemOperations"), "MoveItems": ("Move", "MoveItems"),
    "SendMail": ("ComposeMail", "SendMail"), "SmartReply": ("ComposeMail", "SmartReply"),
    "SmartForward": ("ComposeMail", "SmartForward"), "Search": ("Search", "Search"),
    "Settings": ("Settings", "Settings"), "ResolveRecipients": ("ResolveRecipients", "ResolveRecipients"),
    "Find": ("Find", "Find"),
    "FolderSync": ("FolderHierarchy", "FolderSync"), "FolderCreate": ("FolderHierarchy", "FolderCreate"),
    "FolderUpdate": ("FolderHierarchy", "FolderUpdate"), "FolderDelete": ("FolderHierarchy", "FolderDelete"),
}  # fmt: skip
REMOTE_WIPE_REQUESTED = 140  # [MS-ASCMD] 2.2.2: the device must Provision and wipe itself


def wipe_status(command: str) -> Element:
    """The answer to any command but Provision of a device an administrator asked to wipe."""
    ns, tag = _ROOTS.get(command, ("FolderHierarchy", "FolderSync"))
    return el(ns, tag, el(ns, "Status", REMOTE_WIPE_REQUESTED))


def _new_key() -> int:
    return secrets.randbelow(2**31 - 2) + 1


def handle(req: Element, state: DeviceState, policy: Policy, wipe_requested: bool) -> tuple[Element, bool]:
    """(the response, whether a wipe was acknowledged); `state` is updated in place."""
    if (req.ns, req.tag) != (P, "Provision"):
        return el(P, "Provision", el(P, "Status", PROTOCOL_ERROR)), False
    extra: list[Element] = []
    if req.find(S, "DeviceInformation") is not None:
        extra.append(el(S, "DeviceInformation", el(S, "Status", 1)))
    wipe = req.find(P, "RemoteWipe")
    if wipe is not None:  # the device confirms it wiped itself
        return el(P, "Provision", *extra, el(P, "Status", OK)), True
    if wipe_requested:
        state.wipe_sent = True
        return el(P, "Provision", *extra, el(P, "Status", OK), el(P, "RemoteWipe")), False
    pol = req.find(P, "Policies")
    policy_el = pol.find(P, "Policy") if pol is not None else None
    if policy_el is None:
        return el(P, "Provision", el(P, "Status", PROTOCOL_ERROR)), False
    ptype = policy_el.find(P, "PolicyType")
    if ptype is None or ptype.value() != POLICY_TYPE:
        answer = el(
            P, "Policy", el(P, "PolicyType", ptype.value() if ptype else ""), el(P, "Status", POLICY_UNKNOWN_TYPE)
        )
        return el(P, "Provision", *extra, el(P, "Status", OK), el(P, "Policies", answer)), False
    key_el = policy_el.find(P, "PolicyKey")
    if key_el is None:  # phase 1
        state.pending_key = _new_key()
        answer = el(
            P, "Policy", el(P, "PolicyType", POLICY_TYPE), el(P, "Status", OK),
            el(P, "PolicyKey", state.pending_key), el(P, "Data", policy.document()),
        )  # fmt: skip
        return el(P, "Provision", *extra, el(P, "Status", OK), el(P, "Policies", answer)), False
    # phase 2: the device acknowledges the temporary key
    given = key_el.value()
    if not given.isdigit() or int(given) != state.pending_key or not state.pending_key:
        answer = el(P, "Policy", el(P, "PolicyType", POLICY_TYPE), el(P, "Status", POLICY_KEY_MISMATCH))
        return el(P, "Provision", *extra, el(P, "Status", OK), el(P, "Policies", answer)), False
    state.policy_key, state.pending_key = _new_key(), 0
    answer = el(
        P, "Policy", el(P, "PolicyType", POLICY_TYPE), el(P, "Status", OK), el(P, "PolicyKey", state.policy_key)
    )
    return el(P, "Provision", *extra, el(P, "Status", OK), el(P, "Policies", answer)), False
