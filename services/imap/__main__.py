"""`python -m services.imap`: the IMAP front-end."""

from services.imap.server import main

main()
