"""The mailbox-metadata gRPC service: the only writer of Redis (DESIGN.md)."""
