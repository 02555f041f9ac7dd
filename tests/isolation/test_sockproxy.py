"""The relay socket a step's ssh mount gets: bytes both ways, owner and mode, cleanup."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation.sockproxy import SocketProxy


def _echo_server(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(4096):
                    conn.sendall(b"agent:" + data)

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_relays_connections_with_owner_and_mode(tmp_path: Path) -> None:
    server = _echo_server(tmp_path / "agent")
    proxy_path = tmp_path / "relay"
    with server, SocketProxy(proxy_path, str(tmp_path / "agent"), 7, 8, 0o660):
        st = os.stat(proxy_path)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (7, 8, 0o660)
        for word in (b"one", b"two"):  # each connection gets its own agent connection
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(str(proxy_path))
                client.sendall(word)
                assert client.recv(4096) == b"agent:" + word
    assert not proxy_path.exists()


def test_agent_gone_closes_the_connection(tmp_path: Path) -> None:
    with SocketProxy(tmp_path / "relay", str(tmp_path / "missing")):
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(tmp_path / "relay"))
            assert client.recv(10) == b""


def test_unusable_path_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="cannot make the socket"):
        SocketProxy(tmp_path / "no" / "dir", "/x")
