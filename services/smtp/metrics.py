"""SMTP metrics (kubemail_smtp_*); every label takes a bounded set of values."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge("kubemail_smtp_connections", "Open SMTP sessions", ["listener"])
CONNECTIONS_TOTAL = Counter(
    "kubemail_smtp_connection_attempts_total",
    "SMTP connections by listener and admission result",
    ["listener", "result"],
)
COMMANDS = Counter("kubemail_smtp_commands_total", "SMTP commands by command and reply class", ["command", "result"])
MESSAGES = Counter(
    "kubemail_smtp_messages_total", "Messages at end of DATA, by result and reason", ["result", "reason"]
)
BYTES_RECEIVED = Counter("kubemail_smtp_bytes_received_total", "Message octets received in DATA")
DELIVERY_DURATION = Histogram(
    "kubemail_smtp_delivery_duration_seconds",
    "End of DATA to reply: parse, blob put, metadata commit",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
AUTH_RESULTS = Counter(
    "kubemail_smtp_auth_results_total",
    "Sender authentication results at the MX, by method (spf, dkim, dmarc, arc) and result",
    ["method", "result"],
)
TRUST_ACTIONS = Counter(
    "kubemail_smtp_trust_actions_total",
    "What sender authentication did with MX messages, by rule and action",
    ["rule", "action"],
)
TRUST_DURATION = Histogram(
    "kubemail_smtp_trust_duration_seconds",
    "Time spent verifying SPF, DKIM, DMARC and ARC of one message",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SPAM_VERDICTS = Counter(
    "kubemail_smtp_spam_verdicts_total",
    "Rspamd verdicts on messages at end of DATA, by action (unscanned: scanner failed, fail-open or closed)",
    ["action"],
)
SPAM_ACTIONS = ("no action", "greylist", "add header", "rewrite subject", "soft reject", "reject", "unscanned")
AUTH_METHOD_RESULTS = {
    "spf": ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"),
    "dkim": ("pass", "fail", "neutral", "none", "temperror", "permerror"),
    "dmarc": ("pass", "fail", "none", "temperror", "permerror"),
    "arc": ("pass", "fail", "none"),
}

LISTENERS = ("mx", "submission", "submissions")
KNOWN_COMMANDS = frozenset("HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP STARTTLS AUTH".split())
RESULTS = ("ok", "tempfail", "permfail")

# Label sets that alerts and dashboards read with rate()/increase(), present at 0 from the
# start so the first failure after a restart is an increase, not a new series.
# (charts/kubemail/rules/kubemail.rules.yaml, charts/kubemail/dashboards/smtp.json)
PRECREATED_COMMANDS: tuple[tuple[str, str], ...] = (
    *((cmd, res) for cmd in ("AUTH", "MAIL", "RCPT", "DATA", "BDAT") for res in RESULTS),
    ("timeout", "tempfail"),
)
PRECREATED_MESSAGES: tuple[tuple[str, str], ...] = (
    ("accepted", "ok"),
    ("tempfail", "unavailable"),
    ("tempfail", "blob"),
    ("tempfail", "storage_full"),
    ("tempfail", "parse"),
    ("tempfail", "quota"),
    ("rejected", "size"),
    ("rejected", "quota"),
    ("rejected", "line_length"),
    ("rejected", "spam"),
    ("tempfail", "scanner"),
)
PRECREATED_ATTEMPTS = ("accepted", "busy", "rate_limited", "bad_proxy")


def command_label(command: str) -> str:
    return command if command in KNOWN_COMMANDS else "other"


def result_label(code: int | None) -> str:
    if code is None:
        return "none"
    if code < 400:
        return "ok"
    return "tempfail" if code < 500 else "permfail"


def precreate() -> None:
    for listener in LISTENERS:
        CONNECTIONS.labels(listener)
        for result in PRECREATED_ATTEMPTS:
            CONNECTIONS_TOTAL.labels(listener, result)
    for command, result in PRECREATED_COMMANDS:
        COMMANDS.labels(command, result)
    for result, reason in PRECREATED_MESSAGES:
        MESSAGES.labels(result, reason)
    for action in SPAM_ACTIONS:
        SPAM_VERDICTS.labels(action)
    for rule in ("dmarc_reject", "dmarc_quarantine", "local_spoof"):
        for act in ("reject", "junk", "deliver"):
            TRUST_ACTIONS.labels(rule, act)
    for method, results in AUTH_METHOD_RESULTS.items():
        for res in results:
            AUTH_RESULTS.labels(method, res)


precreate()
