"""Serving a peer's WSGI app on 127.0.0.1: in a daemon thread (tests) or in the foreground (the CLIs)."""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from werkzeug.serving import make_server


def serve_in_thread(app, port: int = 0, name: str = "peer") -> tuple[str, Callable[[], None]]:
    """Serve ``app`` in a daemon thread; returns ``(base_url, stop)``."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_port}", stop


def serve_forever(app, port: int) -> int:
    """Serve ``app`` until SIGTERM or SIGINT, after printing its base URL (how the test harness finds it)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, app, threaded=True)

    def shutdown(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever to return, so it must run off the serving thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0
