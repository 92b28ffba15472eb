"""POP3 front-end (RFC 1939, 2449, 2595, 5034) over the metadata service and the blob store."""
