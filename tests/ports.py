"""Free TCP ports on 127.0.0.1 for servers the tests start (`kinerja up`, the demo's dev server)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
