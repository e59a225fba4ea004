"""A TCP forwarder on loopback that a test can cut and restore, to stage a dependency's outage.

``stop()`` closes the listening socket (new connections are refused) and every forwarded
connection (clients see them drop, as when a database restarts); ``start()`` listens again on the
same port, so a client configured with ``proxy.port`` reconnects without being told.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType

ACCEPT_POLL_S = 0.05
CONNECT_TIMEOUT_S = 5.0
CHUNK = 65536


class TcpProxy:
    """Forwards ``listen_host:port`` to ``target_host:target_port``, one thread pair per connection."""

    def __init__(self, target_host: str, target_port: int, *, listen_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listen_host = listen_host
        self._port = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()

    @property
    def port(self) -> int:
        """The listening port (chosen at the first start, then kept across restarts)."""
        if not self._port:
            raise RuntimeError("the proxy has not been started")
        return self._port

    @property
    def running(self) -> bool:
        return self._listener is not None

    @property
    def open_connections(self) -> int:
        """Forwarded connections currently open (each counts once, not per socket)."""
        with self._lock:
            return len(self._sockets) // 2

    def start(self) -> None:
        """Listen (again) and forward; a no-op when already listening."""
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The port is reused right after stop(), while old connections sit in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.listen_host, self._port))
        listener.listen(64)
        self._port = listener.getsockname()[1]
        self._stopping.clear()
        self._listener = listener
        self._accepting = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"tcp-proxy-{self._port}", daemon=True
        )
        self._accepting.start()

    def stop(self) -> None:
        """Refuse new connections and drop every open one; returns once all threads have ended."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stopping.set()
        if self._accepting is not None:
            self._accepting.join()
        listener.close()
        with self._lock:
            sockets, self._sockets = set(self._sockets), set()
            threads = set(self._threads)
        for sock in sockets:
            _close(sock)
        for thread in threads:
            thread.join(timeout=5)

    def __enter__(self) -> TcpProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self, listener: socket.socket) -> None:
        # Polling with a short timeout: closing a socket does not reliably wake a blocked accept().
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(ACCEPT_POLL_S):
                    continue
                try:
                    client, _ = listener.accept()
                except OSError:
                    continue
                self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT_S)
        except OSError:
            _close(client)  # the target is down: the client sees its connection closed
            return
        upstream.settimeout(None)
        with self._lock:
            if self._stopping.is_set():
                _close(client)
                _close(upstream)
                return
            self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                self._threads.add(thread)
                thread.start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # Either side closing ends the pair: the other pump sees its socket shut and stops.
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
                self._threads.discard(threading.current_thread())
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    # shutdown() first: it wakes a thread blocked in recv() on this socket, close() alone may not.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
