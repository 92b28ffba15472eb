"""Per-process HTTP endpoint: /metrics (Prometheus), /healthz (alive), /readyz (ready)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services.common.sockets import bind_socket


class _Handler(BaseHTTPRequestHandler):
    ready: Callable[[], bool] = staticmethod(lambda: True)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            body, ctype, code = generate_latest(REGISTRY), CONTENT_TYPE_LATEST, 200
        elif path == "/healthz":
            body, ctype, code = b"ok\n", "text/plain", 200
        elif path == "/readyz":
            ok = False
            try:
                ok = bool(type(self).ready())
            except Exception:
                ok = False
            body, ctype, code = (b"ready\n", "text/plain", 200) if ok else (b"not ready\n", "text/plain", 503)
        else:
            body, ctype, code = b"not found\n", "text/plain", 404
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class HttpEndpoint:
    def __init__(self, server: ThreadingHTTPServer, thread: threading.Thread) -> None:
        self.server = server
        self.thread = thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(host: str, port: int, ready: Callable[[], bool] | None = None) -> HttpEndpoint:
    """Serves metrics and health in a daemon thread; port 0 picks a free port."""
    handler = type("Handler", (_Handler,), {"ready": staticmethod(ready or (lambda: True))})
    server = ThreadingHTTPServer((host, port), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = bind_socket(host, port, 16, blocking=True)  # `::`: dual stack
    server.server_address = server.socket.getsockname()[:2]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="http-metrics", daemon=True)
    thread.start()
    return HttpEndpoint(server, thread)
