"""Fault injection: what POST /fake/faults arms, consumed by the requests and streams that follow.

Counted faults are used up one per request or per watch stream; `forbid` stays until `allow`.
All state sits under the store's condition variable, so arming a fault wakes idle watch streams
(they act on it at once instead of at their next event).
"""
import threading
from collections import deque
from typing import Deque, Dict, Optional, Set

from fake_store import RESOURCES, bad_request

HTTP_REASONS = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                504: "Timeout"}
DEFAULT_GARBAGE = b'{"type":"MODIFIED","object":{"kind":"Serv  <- not JSON: a malformed line\n'


class Faults:
    def __init__(self, cond: threading.Condition):
        self.cond = cond
        self.drop_mid_event = 0
        self.stall: Deque[dict] = deque()
        self.malformed: Deque[bytes] = deque()
        self.http_errors: Deque[int] = deque()
        self.forbidden: Dict[str, Optional[Set[str]]] = {}  # resource -> verbs (None: all)

    def arm(self, spec: dict, upsert) -> dict:
        """Arms one fault from its JSON description; returns the pending faults."""
        if not isinstance(spec, dict):
            raise bad_request("fault must be a JSON object")
        kind = spec.get("kind")
        try:
            count = int(spec.get("count", 1))
        except (TypeError, ValueError):
            raise bad_request("count must be an integer") from None
        result = {}
        with self.cond:
            if kind == "drop_mid_event":
                self.drop_mid_event += count
            elif kind == "stall":
                entry = {"seconds": float(spec.get("seconds", 5)),
                         "resume": bool(spec.get("resume", False))}
                self.stall.extend(dict(entry) for _ in range(count))
            elif kind == "malformed_line":
                line = spec.get("line")
                data = DEFAULT_GARBAGE if line is None else (line.rstrip("\n") + "\n").encode()
                self.malformed.extend(data for _ in range(count))
            elif kind == "http_500":
                code = int(spec.get("code", 500))
                if code < 400 or code > 599:
                    raise bad_request("code must be an HTTP error code (4xx or 5xx)")
                self.http_errors.extend(code for _ in range(count))
            elif kind == "huge_object":
                size = int(spec.get("bytes", 4 * 1024 * 1024))
                obj = {"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": spec.get("name", "huge"),
                                    "namespace": spec.get("namespace", "default"),
                                    "annotations": {"kpx.test/huge": "x" * size}},
                       "spec": {"type": "ClusterIP", "clusterIP": spec.get("clusterIP",
                                                                           "10.96.255.254"),
                                "ports": [{"name": "http", "protocol": "TCP", "port": 80,
                                           "targetPort": 8080}]}}
                result = upsert(obj)
            elif kind == "forbid":
                resource = spec.get("resource")
                if resource not in RESOURCES:
                    raise bad_request(f"forbid: unknown resource {resource!r}")
                verbs = spec.get("verbs")
                self.forbidden[resource] = set(verbs) if verbs else None
            elif kind == "allow":
                resource = spec.get("resource")
                if resource:
                    self.forbidden.pop(resource, None)
                else:
                    self.forbidden.clear()
            else:
                raise bad_request(f"unknown fault kind {kind!r} (want drop_mid_event, stall, "
                                  "http_500, malformed_line, huge_object, forbid, allow)")
            self.cond.notify_all()
            return dict(self.pending(), **({"result": result} if result else {}))

    def clear(self) -> dict:
        with self.cond:
            self.drop_mid_event = 0
            self.stall.clear()
            self.malformed.clear()
            self.http_errors.clear()
            self.forbidden.clear()
            return self.pending()

    def pending(self) -> dict:
        with self.cond:
            return {"drop_mid_event": self.drop_mid_event, "stall": list(self.stall),
                    "malformed_line": len(self.malformed), "http_500": list(self.http_errors),
                    "forbidden": {r: sorted(v) if v else None
                                  for r, v in self.forbidden.items()}}

    # ---- consumers ----------------------------------------------------------------------

    def take_http_error(self) -> Optional[int]:
        with self.cond:
            return self.http_errors.popleft() if self.http_errors else None

    def is_forbidden(self, resource: str, verb: str) -> bool:
        with self.cond:
            if resource not in self.forbidden:
                return False
            verbs = self.forbidden[resource]
            return verbs is None or verb in verbs

    def stream_fault_pending(self) -> bool:
        """Called with the lock held, by an idle watch stream deciding whether to wake up."""
        return bool(self.stall or self.malformed)

    def take_stream_fault(self):
        """Called with the lock held: ("stall", spec) or ("malformed", line) or None."""
        if self.malformed:
            return "malformed", self.malformed.popleft()
        if self.stall:
            return "stall", self.stall.popleft()
        return None

    def take_drop(self) -> bool:
        if not self.drop_mid_event:  # racy peek: this runs once per event written
            return False
        with self.cond:
            if self.drop_mid_event:
                self.drop_mid_event -= 1
                return True
            return False
