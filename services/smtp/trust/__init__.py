"""Inbound trust at the MX (issue 15): SPF, DKIM, DMARC and ARC verification, the
Authentication-Results header, the policy that turns results into reject / Junk / deliver,
and the Rspamd scanner. Decision record: docs/decisions/0012-inbound-trust.md."""
