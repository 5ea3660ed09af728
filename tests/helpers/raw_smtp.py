"""An SMTP server on a plain socket (127.0.0.1) that misbehaves on purpose, for the outbox's fault tests.

    with RawSmtp("drop_mid_data") as server:     # greets and takes the envelope, then hangs up inside the message
        use_smtp(server)
        ...
        server.mode = "ok"                      # from the next connection on, a well-behaved server
        assert len(server.messages) == 1        # messages it answered 250 to

Modes: "ok"; "refuse" (greets with 554 and hangs up); "stall" (accepts the connection and never says a word);
"stall_mid_data" (after 354, reads the message's first line and then nothing more);
"drop_mid_data" (after 354, reads part of the message and closes the connection); "drop_after_dot" (reads the
whole message, then closes without an answer); "reject_data" (answers 554 to the message). `connections` counts
the connections accepted; `cut` the messages hung up on mid-way.
"""

from __future__ import annotations

import socket
import threading


class RawSmtp:
    """A threaded socket server speaking just enough SMTP for the client in `xsc_desktop.mail`."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.messages: list[bytes] = []
        self.connections = 0
        self.cut = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = "127.0.0.1", self._sock.getsockname()[1]
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> RawSmtp:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not)
        except OSError:
            pass
        self._sock.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for thread in self._threads:
            thread.join(10)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn, self.mode), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, mode: str) -> None:
        with conn:
            try:
                self._talk(conn, conn.makefile("rb"), mode)
            except OSError:
                pass

    def _talk(self, conn: socket.socket, reader, mode: str) -> None:
        if mode == "stall":
            self._closing.wait()  # never a word, until the test ends
            return
        if mode == "refuse":
            conn.sendall(b"554 127.0.0.1 No SMTP service here\r\n")
            return
        conn.sendall(b"220 127.0.0.1 ESMTP ready\r\n")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-127.0.0.1\r\n250 8BITMIME\r\n")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                conn.sendall(b"250 OK\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 Bye\r\n")
                return
            elif verb == b"DATA":
                conn.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                if mode == "stall_mid_data":
                    reader.readline()  # the first line of the message, then nothing more is read
                    self._closing.wait()
                    return
                if mode == "drop_mid_data":
                    reader.readline()  # the first line of the message, then the line goes dead
                    with self._lock:
                        self.cut += 1
                    conn.shutdown(socket.SHUT_RDWR)
                    return
                lines = []
                while (part := reader.readline()) and part != b".\r\n":
                    lines.append(part)
                body = b"".join(lines)
                if mode == "drop_after_dot":
                    with self._lock:
                        self.cut += 1
                    conn.shutdown(socket.SHUT_RDWR)
                    return
                if mode == "reject_data":
                    conn.sendall(b"554 5.7.1 Message refused as spam\r\n")
                    continue
                with self._lock:
                    self.messages.append(body)
                conn.sendall(b"250 Queued\r\n")
            else:
                conn.sendall(b"502 Command not implemented\r\n")


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
