"""A small threaded TCP proxy on the loopback interface that plays a bad venue network.

    with Proxy(server.port, delay=0.05) as proxy:   # clients connect to proxy.url
        proxy.cut()        # reset every connection mid-stream
        proxy.refuse()     # new connections are reset at once, until proxy.restore()
        proxy.stall()      # stop forwarding without closing anything, until restore() or cut()

Every thread is a daemon and `close()` joins them with a timeout, so a test cannot hang on it.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

CHUNK = 65536


def _reset(sock: socket.socket) -> None:
    """Close a socket with a TCP reset, as a dropped Wi-Fi link or a middlebox would.

    A zero linger makes close() send RST; shutting down the reading side first wakes a thread
    blocked in recv() on it (a bare close() from another thread would not, and nothing would be sent).
    """
    for action in (lambda: sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)),
                   lambda: sock.shutdown(socket.SHUT_RD), sock.close):
        try:
            action()
        except OSError:
            pass


class _Link:
    """One client connection and its upstream connection to the server."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client, self.upstream = client, upstream
        self.closed = threading.Event()

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            _reset(self.client)
            _reset(self.upstream)


class Proxy:
    """Forward 127.0.0.1:<port> to 127.0.0.1:<target_port>, with faults on demand."""

    def __init__(self, target_port: int, delay: float = 0.0):
        self.target_port = target_port
        self.delay = delay
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.links: set[_Link] = set()
        self.lock = threading.Lock()
        self.flowing = threading.Event()
        self.flowing.set()
        self.refusing = False
        self.running = True
        self.threads: list[threading.Thread] = []
        self.accepted = 0
        self.reset_count = 0
        self._start(self._accept)

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    # -- faults ----------------------------------------------------------------

    def cut(self) -> int:
        """Reset every open connection at once; return how many there were."""
        with self.lock:
            links, self.links = list(self.links), set()
        for link in links:
            link.close()
        self.reset_count += len(links)
        return len(links)

    def refuse(self) -> None:
        """Cut every connection and reset new ones as they arrive: a network that is down."""
        self.refusing = True
        self.cut()

    def stall(self) -> None:
        """Stop forwarding in both directions without closing anything: a silent network."""
        self.flowing.clear()

    def restore(self) -> None:
        """Let connections in and data flow again."""
        self.refusing = False
        self.flowing.set()

    @property
    def open_links(self) -> int:
        with self.lock:
            return len(self.links)

    def close(self) -> None:
        """Stop listening, reset everything, and wait for the threads."""
        self.running = False
        self.flowing.set()
        self.cut()
        self.listener.close()
        for thread in self.threads:
            thread.join(timeout=2)

    # -- forwarding --------------------------------------------------------------

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.refusing:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _reset(client)
                continue
            for sock in (client, upstream):
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(client, upstream)
            with self.lock:
                self.links.add(link)
                self.accepted += 1
            self._start(self._pump, link, client, upstream)
            self._start(self._pump, link, upstream, client)
            self.threads = [t for t in self.threads if t.is_alive()]

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket) -> None:
        try:
            while not link.closed.is_set():
                data = source.recv(CHUNK)
                if not data:
                    break
                if self.delay:
                    time.sleep(self.delay)
                while not self.flowing.wait(0.05):  # stalled: hold the data, close nothing
                    if link.closed.is_set():
                        return
                if link.closed.is_set():
                    return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.links.discard(link)
            link.close()
