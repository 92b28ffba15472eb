"""Exchange ActiveSync WBXML code pages ([MS-ASWBXML] 2.1.2.1): page number -> namespace and
its tag tokens. Tokens start at 0x05; None marks a token the specification leaves unassigned.
Only the pages mail needs are here (contacts and calendar are left out; Tasks is here for the
due dates inside an email's follow-up Flag; Find is EAS 16.1's search)."""

from __future__ import annotations


def _page(*names: str | None) -> dict[int, str]:
    return {0x05 + i: n for i, n in enumerate(names) if n is not None}


PAGES: dict[int, tuple[str, dict[int, str]]] = {
    0x00: ("AirSync", _page(
        "Sync", "Responses", "Add", "Change", "Delete", "Fetch", "SyncKey", "ClientId", "ServerId", "Status",
        "Collection", "Class", "Version", "CollectionId", "GetChanges", "MoreAvailable", "WindowSize", "Commands",
        "Options", "FilterType", "Truncation", "RTFTruncation", "Conflict", "Collections", "ApplicationData",
        "DeletesAsMoves", "NotifyGUID", "Supported", "SoftDelete", "MIMESupport", "MIMETruncation", "Wait",
        "Limit", "Partial", "ConversationMode", "MaxItems", "HeartbeatInterval",
    )),
    0x02: ("Email", _page(
        "Attachment", "Attachments", "AttName", "AttSize", "Att0Id", "AttMethod", "AttRemoved", "Body",
        "BodySize", "BodyTruncated", "DateReceived", "DisplayName", "DisplayTo", "Importance", "MessageClass",
        "Subject", "Read", "To", "Cc", "From", "ReplyTo", "AllDayEvent", "Categories", "Category", "DTStamp",
        "EndTime", "InstanceType", "BusyStatus", "Location", "MeetingRequest", "Organizer", "RecurrenceId",
        "Reminder", "ResponseRequested", "Recurrences", "Recurrence", "Recurrence_Type", "Recurrence_Until",
        "Recurrence_Occurrences", "Recurrence_Interval", "Recurrence_DayOfWeek", "Recurrence_DayOfMonth",
        "Recurrence_WeekOfMonth", "Recurrence_MonthOfYear", "StartTime", "Sensitivity", "TimeZone",
        "GlobalObjId", "ThreadTopic", "MIMEData", "MIMETruncated", "MIMESize", "InternetCPID", "Flag",
        "FlagStatus", "ContentClass", "FlagType", "CompleteTime", "DisallowNewTimeProposal",
    )),
    0x05: ("Move", _page("MoveItems", "Move", "SrcMsgId", "SrcFldId", "DstFldId", "Response", "Status", "DstMsgId")),
    0x06: ("GetItemEstimate", _page(
        "GetItemEstimate", "Version", "Collections", "Collection", "Class", "CollectionId", "DateTime",
        "Estimate", "Response", "Status",
    )),
    0x07: ("FolderHierarchy", _page(
        "Folders", "Folder", "DisplayName", "ServerId", "ParentId", "Type", "Response", "Status", "ContentClass",
        "Changes", "Add", "Delete", "Update", "SyncKey", "FolderCreate", "FolderDelete", "FolderUpdate",
        "FolderSync", "Count",
    )),
    0x09: ("Tasks", _page(
        "Body", "BodySize", "BodyTruncated", "Categories", "Category", "Complete", "DateCompleted", "DueDate",
        "UtcDueDate", "Importance", "Recurrence", "Type", "Start", "Until", "Occurrences", "Interval",
        "DayOfMonth", "DayOfWeek", "WeekOfMonth", "MonthOfYear", "Regenerate", "DeadOccur", "ReminderSet",
        "ReminderTime", "Sensitivity", "StartDate", "UtcStartDate", "Subject", None, "OrdinalDate",
        "SubOrdinalDate", "CalendarType", "IsLeapMonth", "FirstDayOfWeek",
    )),
    0x0A: ("ResolveRecipients", _page(
        "ResolveRecipients", "Response", "Status", "Type", "Recipient", "DisplayName", "EmailAddress",
        "Certificates", "Certificate", "MiniCertificate", "Options", "To", "CertificateRetrieval",
        "RecipientCount", "MaxCertificates", "MaxAmbiguousRecipients", "CertificateCount", "Availability",
        "StartTime", "EndTime", "MergedFreeBusy", "Picture", "MaxSize", "Data", "MaxPictures",
    )),
    0x0D: ("Ping", _page(
        "Ping", "AutdState", "Status", "HeartbeatInterval", "Folders", "Folder", "Id", "Class", "MaxFolders",
    )),
    0x0E: ("Provision", _page(
        "Provision", "Policies", "Policy", "PolicyType", "PolicyKey", "Data", "Status", "RemoteWipe",
        "EASProvisionDoc", "DevicePasswordEnabled", "AlphanumericDevicePasswordRequired",
        "RequireStorageCardEncryption", "PasswordRecoveryEnabled", None, "AttachmentsEnabled",
        "MinDevicePasswordLength", "MaxInactivityTimeDeviceLock", "MaxDevicePasswordFailedAttempts",
        "MaxAttachmentSize", "AllowSimpleDevicePassword", "DevicePasswordExpiration", "DevicePasswordHistory",
        "AllowStorageCard", "AllowCamera", "RequireDeviceEncryption", "AllowUnsignedApplications",
        "AllowUnsignedInstallationPackages", "MinDevicePasswordComplexCharacters", "AllowWiFi",
        "AllowTextMessaging", "AllowPOPIMAPEmail", "AllowBluetooth", "AllowIrDA", "RequireManualSyncWhenRoaming",
        "AllowDesktopSync", "MaxCalendarAgeFilter", "AllowHTMLEmail", "MaxEmailAgeFilter",
        "MaxEmailBodyTruncationSize", "MaxEmailHTMLBodyTruncationSize", "RequireSignedSMIMEMessages",
        "RequireEncryptedSMIMEMessages", "RequireSignedSMIMEAlgorithm", "RequireEncryptionSMIMEAlgorithm",
        "AllowSMIMEEncryptionAlgorithmNegotiation", "AllowSMIMESoftCerts", "AllowBrowser", "AllowConsumerEmail",
        "AllowRemoteDesktop", "AllowInternetSharing", "UnapprovedInROMApplicationList", "ApplicationName",
        "ApprovedApplicationList", "Hash",
    )),
    0x0F: ("Search", _page(
        "Search", None, "Store", "Name", "Query", "Options", "Range", "Status", "Response", "Result",
        "Properties", "Total", "EqualTo", "Value", "And", "Or", "FreeText", None, "DeepTraversal", "LongId",
        "RebuildResults", "LessThan", "GreaterThan", None, None, "UserName", "Password", "ConversationId",
        "Picture", "MaxSize", "MaxPictures",
    )),
    0x10: ("GAL", _page(
        "DisplayName", "Phone", "Office", "Title", "Company", "Alias", "FirstName", "LastName", "HomePhone",
        "MobilePhone", "EmailAddress", "Picture", "Status", "Data",
    )),
    0x11: ("AirSyncBase", _page(
        "BodyPreference", "Type", "TruncationSize", "AllOrNone", None, "Body", "Data", "EstimatedDataSize",
        "Truncated", "Attachments", "Attachment", "DisplayName", "FileReference", "Method", "ContentId",
        "ContentLocation", "IsInline", "NativeBodyType", "ContentType", "Preview", "BodyPartPreference",
        "BodyPart", "Status",
    )),
    0x12: ("Settings", _page(
        "Settings", "Status", "Get", "Set", "Oof", "OofState", "StartTime", "EndTime", "OofMessage",
        "AppliesToInternal", "AppliesToExternalKnown", "AppliesToExternalUnknown", "Enabled", "ReplyMessage",
        "BodyType", "DevicePassword", "Password", "DeviceInformation", "Model", "IMEI", "FriendlyName", "OS",
        "OSLanguage", "PhoneNumber", "UserInformation", "EmailAddresses", "SMTPAddress", "UserAgent",
        "EnableOutboundSMS", "MobileOperator", "PrimarySmtpAddress", "Accounts", "Account", "AccountId",
        "AccountName", "UserDisplayName", "SendDisabled", None, "RightsManagementInformation",
    )),
    0x14: ("ItemOperations", _page(
        "ItemOperations", "Fetch", "Store", "Options", "Range", "Total", "Properties", "Data", "Status",
        "Response", "Version", "Schema", "Part", "EmptyFolderContents", "DeleteSubFolders", "UserName",
        "Password", "Move", "DstFldId", "ConversationId", "MoveAlways",
    )),
    0x15: ("ComposeMail", _page(
        "SendMail", "SmartForward", "SmartReply", "SaveInSentItems", "ReplaceMime", None, "Source", "FolderId",
        "ItemId", "LongId", "InstanceId", "Mime", "ClientId", "Status", "AccountId",
    )),
    0x16: ("Email2", _page(
        "UmCallerID", "UmUserNotes", "UmAttDuration", "UmAttOrder", "ConversationId", "ConversationIndex",
        "LastVerbExecuted", "LastVerbExecutionTime", "ReceivedAsBcc", "Sender", "CalendarType", "IsLeapMonth",
        "AccountId", "FirstDayOfWeek", "MeetingMessageType",
    )),
    0x19: ("Find", _page(
        "Find", "SearchId", "ExecuteSearch", "MailBoxSearchCriterion", "Query", "Status", "FreeText", "Options",
        "Range", "DeepTraversal", None, None, "Response", "Result", "Properties", "Preview", "HasAttachments",
        "Total", "DisplayCc", "DisplayBcc", "GalSearchCriterion", None, None, None, None, None, None, "MaxPictures",
        "MaxSize", "Picture",
    )),
}  # fmt: skip

#: namespace -> page number, and (namespace, tag) -> token
PAGE_OF: dict[str, int] = {ns: page for page, (ns, _) in PAGES.items()}
TOKEN_OF: dict[tuple[str, str], int] = {
    (ns, name): token for _page_no, (ns, tags) in PAGES.items() for token, name in tags.items()
}
