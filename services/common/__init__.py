"""Code every kubemail service shares: config, logging, TLS, metrics, gRPC client, blobs."""
