"""A small TCP round-robin proxy on loopback, standing in for a load balancer in front of
replicas.

Each new client connection goes to the next target port in turn; when that one refuses (a
replica that is down), the connection goes on to the one after, so clients only fail when every
target is down. Bytes are relayed both ways unchanged (HTTP, PROXY protocol headers and all)
until either side closes. The upstream connection leaves from the client's own loopback
address, so a replica sees the client address it would see without the proxy (tests pose as a
load balancer or a stranger from 127.0.0.2 and 127.0.0.3). One thread accepts; each relayed connection gets two pump threads.
`stop()` closes the listener and every relayed connection and waits for the acceptor.

Spreading is per connection, as with a layer-4 load balancer: a client that keeps one
connection alive (an SDK client's session) stays on one replica, while every new connection
(a new client, a new Terraform provider process) lands on the next."""

from __future__ import annotations

import socket
import threading

CONNECT_TIMEOUT = 2.0


class RoundRobinProxy:
    """Listens on 127.0.0.1:`port` (0: any free port) and relays to 127.0.0.1:<target ports>."""

    def __init__(self, targets: list[int] | None = None, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._targets: list[int] = list(targets or [])
        self._next = 0
        self._sockets: set[socket.socket] = set()
        # connections relayed to each target port (for tests that check the spread)
        self.relayed: dict[int, int] = {}
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(512)
        # accept() wakes up now and then to notice stop() (closing a socket does not wake it)
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, name=f"rr-proxy-{self.port}", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_targets(self, targets: list[int]) -> None:
        """Replaces the targets (connections already relayed keep going)."""
        with self._lock:
            self._targets = list(targets)
            self._next = 0

    def _order(self) -> list[int]:
        """The targets to try for one new connection: the next in turn first, then the rest."""
        with self._lock:
            if not self._targets:
                return []
            i = self._next % len(self._targets)
            self._next = i + 1
            return self._targets[i:] + self._targets[:i]

    def _track(self, s: socket.socket) -> bool:
        with self._lock:
            if self._stopped.is_set():
                return False
            self._sockets.add(s)
            return True

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            for s in socks:
                self._sockets.discard(s)
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            if not self._track(client):
                client.close()
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = None
        try:
            # Keep the client's loopback address (127.0.0.x are all this host's): the replicas
            # see the address a direct connection would show (IP access lists, trusted proxies).
            source = (client.getpeername()[0], 0)
        except OSError:
            source = None
        for port in self._order():
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT,
                                                    source_address=source)
            except OSError:
                continue
            with self._lock:
                self.relayed[port] = self.relayed.get(port, 0) + 1
            break
        if upstream is None or not self._track(upstream):
            if upstream is not None:
                upstream.close()
            self._forget(client)
            return
        upstream.settimeout(None)
        for s in (client, upstream):
            try:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
        back.start()
        self._pump(client, upstream)
        back.join()
        self._forget(client, upstream)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        """Copies src to dst until src ends (closed or reset) or dst refuses more, then
        half-closes dst. The other direction carries on until its own end: a server that
        answers early and closes while the client still sends (a refused large body) gets its
        answer delivered, as over a direct connection."""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def stop(self) -> None:
        """Stops accepting and closes every relayed connection."""
        with self._lock:
            self._stopped.set()
            socks = list(self._sockets)
            self._sockets.clear()
        try:
            self._listener.close()
        except OSError:
            pass
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        self._acceptor.join(timeout=5)
