"""Whether `ntrack serve` can listen where it is told, asked before anything starts.

uvicorn reports a port in use as `[Errno 98]` inside a log line, after the store has been
opened; binding once here first turns it into a sentence that names the setting to change.
"""

from __future__ import annotations

import errno
import socket

HOST_SETTING = "--host ADDRESS or NTRACK_HOST (127.0.0.1: this machine only; 0.0.0.0: all)"
PORT_SETTING = "--port PORT or NTRACK_PORT"


def cannot_listen(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, as what to change; None if it can. The socket
    is closed at once (with SO_REUSEADDR, as uvicorn binds it, so a port just left is free)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        return f"cannot listen on {host!r}: no such address ({e.strerror}); use {HOST_SETTING}"
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            return (
                f"port {port} on {host} is in use (another ntrack serve?): stop what uses it, "
                f"or choose another port with {PORT_SETTING}"
            )
        if e.errno == errno.EACCES:
            return f"port {port} needs privileges this user lacks: use {PORT_SETTING} above 1023"
        if e.errno == errno.EADDRNOTAVAIL:
            return f"{host} is not an address of this machine: use {HOST_SETTING}"
        return f"cannot listen on {host}:{port} ({e.strerror}): use {HOST_SETTING}, {PORT_SETTING}"
    return None
