"""Web front-end metrics (kubemail_web_*); labels take bounded values."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ENDPOINTS = ("activesync", "autoconfig", "autodiscover_xml", "autodiscover_json", "mobileconfig", "mta_sts", "other")

REQUESTS = Counter("kubemail_web_requests_total", "HTTP requests by endpoint and status class", ["endpoint", "status"])
DURATION = Histogram(
    "kubemail_web_request_duration_seconds",
    "Request handling time by endpoint",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
for _e in ENDPOINTS:
    for _s in ("2xx", "4xx", "5xx"):
        REQUESTS.labels(_e, _s)
