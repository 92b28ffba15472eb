"""IMAP acceptance: one module per command, imaplib over real sockets (see util.py)."""
