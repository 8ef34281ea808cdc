"""One watch stream: HTTP/1.1 chunked transfer encoding, one JSON event per line and per chunk.

The stream stays open until timeoutSeconds (then it ends cleanly with the last chunk and the
connection is kept alive, like the real server), until the client closes, or until a fault.
Events come from the store's history, so a stream never misses one: it reads every event after its
position under the lock and writes them outside it.
"""
import json
import select
import socket
import ssl
import time
from typing import Callable, List, Optional

from fake_render import table
from fake_store import Event, Record, Resource, Store, dumps, expired

POLL = 0.25  # how often an idle stream looks for a closed client
# socket timeout of every connection: an idle keep-alive connection is closed after it, and a
# watch client that reads nothing for that long is dropped
IDLE_TIMEOUT = 300.0
FLUSH_BYTES = 256 * 1024


class ClientGone(Exception):
    pass


def chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


class WatchStream:
    def __init__(self, handler, store: Store, faults, stats, res: Resource,
                 match: Callable[[Record], bool], has_selector: bool, pos: int,
                 initial: List[Record], table_version: Optional[str], include_object: str,
                 bookmark_interval: Optional[float], timeout: Optional[float],
                 initial_events_end: bool):
        self.h, self.store, self.faults, self.stats = handler, store, faults, stats
        self.res, self.match, self.has_selector = res, match, has_selector
        self.pos, self.initial = pos, initial
        self.table_version, self.include_object = table_version, include_object
        self.bookmark_interval, self.timeout = bookmark_interval, timeout
        self.initial_events_end = initial_events_end
        self.headers_sent = False  # Table watches carry column definitions on the first event
        self.out: List[bytes] = []
        self.out_size = 0

    # ---- encoding -------------------------------------------------------------------------

    def encode(self, type_: str, rec: Record) -> bytes:
        if self.table_version is None:
            return b'{"type":"' + type_.encode() + b'","object":' + rec.full() + b"}\n"
        t = table(self.res, [rec], {"resourceVersion": str(rec.rv)}, self.include_object,
                  self.table_version, headers=not self.headers_sent)
        self.headers_sent = True
        return dumps({"type": type_, "object": t}) + b"\n"

    def bookmark(self, rv: int, annotations: Optional[dict] = None) -> bytes:
        meta = {"resourceVersion": str(rv), "creationTimestamp": None}
        if annotations:
            meta["annotations"] = annotations
        obj = {"kind": self.res.kind, "apiVersion": self.res.api_version, "metadata": meta}
        return dumps({"type": "BOOKMARK", "object": obj}) + b"\n"

    def translate(self, ev: Event) -> Optional[bytes]:
        """The event as this watcher sees it. With a selector, an update that moves an object
        into (out of) the selection is an ADDED (DELETED) event, as the watch cache does."""
        if ev.rec.res is not self.res:
            return None
        if ev.type != "MODIFIED" or not self.has_selector:
            return self.encode(ev.type, ev.rec) if self.match(ev.rec) else None
        now, before = self.match(ev.rec), self.match(ev.prev)
        if now:
            return self.encode("MODIFIED" if before else "ADDED", ev.rec)
        if before:
            obj = ev.prev.obj()
            obj["metadata"]["resourceVersion"] = str(ev.rec.rv)
            return self.encode("DELETED", Record(self.res, obj, ev.rec.rv))
        return None

    # ---- output ---------------------------------------------------------------------------

    def add(self, line: bytes):
        c = chunk(line)
        self.out.append(c)
        self.out_size += len(c)
        if self.out_size >= FLUSH_BYTES:
            self.flush()

    def flush(self):
        if not self.out:
            return
        data = b"".join(self.out)
        self.out, self.out_size = [], 0
        try:
            self.h.wfile.write(data)
        except (OSError, ValueError) as e:
            raise ClientGone(str(e)) from None
        self.stats.events_written(data.count(b"\r\n") // 2)

    def end_cleanly(self):
        self.flush()
        try:
            self.h.wfile.write(b"0\r\n\r\n")
        except (OSError, ValueError):
            self.h.close_connection = True

    def abort(self):
        """Drops the connection without the last chunk (and without a TLS close_notify)."""
        self.h.close_connection = True
        try:
            self.h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def client_closed(self) -> bool:
        sock = self.h.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            sock.settimeout(0.05)
            return not sock.recv(4096)  # bytes from a client mid-stream are ignored
        except (socket.timeout, ssl.SSLWantReadError, BlockingIOError):
            return False
        except (OSError, ValueError):
            return True
        finally:
            try:
                sock.settimeout(IDLE_TIMEOUT)
            except OSError:
                pass

    # ---- the loop ---------------------------------------------------------------------------

    def run(self):
        h = self.h
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Cache-Control", "no-cache, private")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        self.stats.watch_started()
        try:
            self._loop()
        except ClientGone:
            h.close_connection = True
        finally:
            self.stats.watch_ended()

    def _loop(self):
        for rec in self.initial:
            self.add(self.encode("ADDED", rec))
        self.initial = []
        if self.initial_events_end:
            self.add(self.bookmark(self.pos, {"k8s.io/initial-events-end": "true"}))
        self.flush()
        now = time.monotonic()
        deadline = now + self.timeout if self.timeout else None
        next_bookmark = now + self.bookmark_interval if self.bookmark_interval else None
        store = self.store
        while True:
            gone = False
            fault = None
            wake = min(t for t in (deadline, next_bookmark, time.monotonic() + POLL)
                       if t is not None)
            with store.cond:
                while True:
                    if self.pos < store.compacted:
                        gone = True
                        break
                    if store.rv > self.pos or self.faults.stream_fault_pending():
                        break
                    now = time.monotonic()
                    if wake <= now:
                        break
                    store.cond.wait(wake - now)
                events = [] if gone else store.events_after(self.pos)
                if not gone:
                    self.pos = store.rv
                compacted = store.compacted
                fault_pending = self.faults.stream_fault_pending()
            if fault_pending:
                # a stream whose client has gone must not use up a fault meant for a live one
                if self.client_closed():
                    self.h.close_connection = True
                    return
                with store.cond:
                    fault = self.faults.take_stream_fault()
            if gone:
                # compacted while this stream lagged behind: the real server ends such a watch
                # with a 410 ERROR event
                status = expired(f"too old resource version: {self.pos} ({compacted})").status()
                self.add(dumps({"type": "ERROR", "object": status}) + b"\n")
                self.end_cleanly()
                return
            if fault and fault[0] == "malformed":
                self.add(fault[1])
                self.flush()
            elif fault and fault[0] == "stall":
                if not self._stall(fault[1]["seconds"]):
                    return
                if not fault[1]["resume"]:
                    self.end_cleanly()
                    return
                # resumed: the events read before the stall go out now, the later ones next
            for ev in events:
                line = self.translate(ev)
                if line is None:
                    continue
                if self.faults.drop_mid_event and not self.client_closed() and \
                        self.faults.take_drop():
                    self.flush()
                    self.add(line[:len(line) // 2])
                    self.flush()
                    self.abort()
                    return
                self.add(line)
            self.flush()
            now = time.monotonic()
            if next_bookmark is not None and now >= next_bookmark:
                self.add(self.bookmark(self.pos))
                self.flush()
                next_bookmark = now + self.bookmark_interval
            if deadline is not None and now >= deadline:
                self.end_cleanly()
                return
            if not events and self.client_closed():
                self.h.close_connection = True
                return

    def _stall(self, seconds: float) -> bool:
        """Writes nothing for `seconds`; False when the client went away meanwhile."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(min(POLL, max(0.0, end - time.monotonic())))
            if self.client_closed():
                self.h.close_connection = True
                return False
        return True
