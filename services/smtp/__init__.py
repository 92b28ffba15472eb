"""SMTP front-end: MX ingress (25) and submission (587 STARTTLS, 465 implicit TLS) on aiosmtpd."""
