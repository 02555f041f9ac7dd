"""A Unix socket that relays every connection to another one (an ssh agent, for a step).

The step gets a socket of its own, with the owner and mode its mount asks for, instead
of the caller's agent socket itself: the agent's file is never exposed or changed, and
the relay ends with the step. One thread serves all connections with `select`.
"""

from __future__ import annotations

import os
import select
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from buildah_py.errors import RunError


class SocketProxy:
    """Listen at `path` (owner `uid`:`gid`, `mode`) and relay connections to `upstream`."""

    def __init__(self, path: Path, upstream: str, uid: int = 0, gid: int = 0, mode: int = 0o600):
        self.path = path
        self.upstream = upstream
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._server.bind(str(path))
            os.chown(path, uid, gid)
            os.chmod(path, mode)
            self._server.listen(16)
        except OSError as err:
            self._server.close()
            raise RunError(f"cannot make the socket {path}: {err.strerror}") from err
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._serve, name="socket-proxy", daemon=True)

    def __enter__(self) -> SocketProxy:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join()
        for fd in (self._stop_r, self._stop_w):
            os.close(fd)
        self._server.close()
        self.path.unlink(missing_ok=True)

    def _serve(self) -> None:
        peers: dict[socket.socket, socket.socket] = {}  # each end to the other
        try:
            while True:
                waiting: list[Any] = [self._stop_r, self._server, *peers]
                ready, _, _ = select.select(waiting, [], [])
                if self._stop_r in ready:
                    return
                for sock in ready:
                    if sock is self._server:
                        self._accept(peers)
                    elif isinstance(sock, socket.socket) and sock in peers:
                        self._relay(sock, peers)
        finally:
            for sock in peers:
                sock.close()

    def _accept(self, peers: dict[socket.socket, socket.socket]) -> None:
        client, _ = self._server.accept()
        agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            agent.connect(self.upstream)
        except OSError:
            client.close()  # the agent went away: the step's ssh sees a closed connection
            agent.close()
            return
        peers[client] = agent
        peers[agent] = client

    @staticmethod
    def _relay(sock: socket.socket, peers: dict[socket.socket, socket.socket]) -> None:
        other = peers[sock]
        try:
            data = sock.recv(65536)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, other):  # EOF or an error on either side ends the pair
            peers.pop(end, None)
            end.close()
