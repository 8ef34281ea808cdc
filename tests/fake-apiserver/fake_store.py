"""The fake API server's storage: objects, one global resourceVersion, the event history.

It models what a client can observe of etcd behind kube-apiserver:
- one revision counter shared by every kind; every change (create, update, delete) takes the next
  one, so event i of the history has resourceVersion compacted + i + 1;
- the history of changes since the compaction point, for watches from a resourceVersion and for
  consistent paged lists (a list page at revision N is rebuilt by undoing the newer events);
- compaction drops the history: older revisions are gone (410 Expired).

Objects are kept as their JSON bytes (as a list item, i.e. without kind/apiVersion, the way the
real server writes list items) plus the few fields that selectors need, so that 100,000 events or
10,000 Services stay cheap; the full dict is decoded only when a table or a field selector needs it.
"""
import base64
import binascii
import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple


@dataclass(frozen=True)
class Resource:
    name: str  # plural, as in the URL
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    singular: str
    short_names: Tuple[str, ...] = ()
    categories: Tuple[str, ...] = ()
    # extra field selectors the real server accepts for this kind (besides metadata.*)
    fields: Tuple[str, ...] = ()
    prefix: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # the start of the full object: kind and apiVersion first, as the real server writes them
        object.__setattr__(
            self, "prefix",
            ('{"kind":"%s","apiVersion":"%s",' % (self.kind, self.api_version)).encode())

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version


RESOURCES: Dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("namespaces", "Namespace", "", "v1", False, "namespace", ("ns",),
                 fields=("status.phase",)),
        Resource("nodes", "Node", "", "v1", False, "node", ("no",),
                 fields=("spec.unschedulable",)),
        Resource("services", "Service", "", "v1", True, "service", ("svc",), ("all",),
                 fields=("spec.clusterIP", "spec.type")),
        Resource("endpointslices", "EndpointSlice", "discovery.k8s.io", "v1", True,
                 "endpointslice", (), ("addressType",)),
    )
}
KIND_TO_RESOURCE = {r.kind: r for r in RESOURCES.values()}
DEFAULT_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


class ApiError(Exception):
    """A failure the HTTP layer turns into a metav1 Status (code, reason, message)."""

    def __init__(self, code: int, reason: str, message: str, details: Optional[dict] = None,
                 metadata: Optional[dict] = None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.metadata = details, metadata or {}

    def status(self) -> dict:
        s = {"kind": "Status", "apiVersion": "v1", "metadata": self.metadata,
             "status": "Failure", "message": self.message, "reason": self.reason,
             "code": self.code}
        if self.details is not None:
            s["details"] = self.details
        return s


def expired(message: str, metadata: Optional[dict] = None) -> ApiError:
    return ApiError(410, "Expired", message, metadata=metadata)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def canonical(obj: dict) -> int:
    """A digest of the content with sorted keys and without resourceVersion: equal for the
    same object, whatever its key order and revision."""
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    text = json.dumps(dict(obj, metadata=meta), separators=(",", ":"), sort_keys=True)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


class Record:
    """One stored version of one object. Immutable once made (events and snapshots share it)."""
    __slots__ = ("res", "ns", "name", "key", "rv", "labels", "uid", "created", "item", "canon")

    def __init__(self, res: Resource, obj: dict, rv: int, item: Optional[bytes] = None,
                 canon: Optional[int] = None):
        meta = obj["metadata"]
        self.res, self.rv = res, rv
        self.ns = meta.get("namespace", "") if res.namespaced else ""
        self.name = meta["name"]
        self.key = f"{self.ns}/{self.name}" if res.namespaced else self.name
        self.labels = dict(meta.get("labels") or {})
        self.uid, self.created = meta.get("uid"), meta.get("creationTimestamp")
        self.item = dumps(obj) if item is None else item
        self.canon = canonical(obj) if canon is None else canon

    def obj(self) -> dict:
        return json.loads(self.item)

    def full(self) -> bytes:
        """The object with kind and apiVersion, as in a GET or a watch event."""
        return self.res.prefix + self.item[1:]

    def field(self, path: str) -> str:
        if path == "metadata.name":
            return self.name
        if path == "metadata.namespace":
            return self.ns
        value = self.obj()
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None and path == "spec.unschedulable":
            value = False  # the real server has defaulted it
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)


class Event:
    __slots__ = ("type", "rec", "prev")

    def __init__(self, type_: str, rec: Record, prev: Optional[Record]):
        self.type, self.rec, self.prev = type_, rec, prev

    def line(self) -> bytes:
        return b'{"type":"' + self.type.encode() + b'","object":' + self.rec.full() + b"}\n"


def encode_continue(rv: int, start: str) -> str:
    raw = dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> Tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if data.get("v") != "meta.k8s.io/v1":
            raise ValueError("unknown continue token version")
        rv, start = int(data["rv"]), str(data["start"])
        if rv <= 0:
            raise ValueError("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        return rv, start
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as e:
        raise bad_request(f"continue key is not valid: {e}") from None


class Store:
    """All state, behind one lock. Watchers wait on `cond` for new events and faults."""

    SNAPSHOTS = 16  # consistent list snapshots kept for continue tokens (rebuilt when evicted)

    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 0
        self.compacted = 0  # history holds the events with resourceVersion > compacted
        self.history: List[Event] = []
        self.objects: Dict[str, Dict[str, Record]] = {r: {} for r in RESOURCES}
        self._sorted: Dict[str, Optional[List[str]]] = {r: None for r in RESOURCES}
        self._snapshots: "OrderedDict[Tuple[str, int], List[Record]]" = OrderedDict()
        for ns in DEFAULT_NAMESPACES:
            self.upsert({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    # ---- writes -------------------------------------------------------------------------

    def _append(self, res: Resource, type_: str, rec: Record, prev: Optional[Record]):
        self.history.append(Event(type_, rec, prev))
        self._sorted[res.name] = None if type_ != "MODIFIED" else self._sorted[res.name]
        self.cond.notify_all()

    def upsert(self, obj: dict, kind_hint: Optional[str] = None, owned: bool = False) -> dict:
        """Creates or replaces one object; returns what happened. An update that changes
        nothing is a no-op without an event, as on the real server. With owned=True the
        caller hands obj over (no copy is made; it is changed)."""
        if not isinstance(obj, dict):
            raise bad_request("object must be a JSON object")
        kind = obj.get("kind") or kind_hint
        res = KIND_TO_RESOURCE.get(kind or "")
        if res is None:
            raise bad_request(f"unsupported kind {kind!r} (want one of "
                              f"{', '.join(sorted(KIND_TO_RESOURCE))})")
        if not owned:
            obj = json.loads(json.dumps(obj))  # a private deep copy
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict) or not meta.get("name"):
            raise bad_request(f"{kind}: metadata.name is required")
        if res.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        obj.pop("kind", None)
        obj.pop("apiVersion", None)
        with self.cond:
            if res.namespaced and meta["namespace"] not in self.objects["namespaces"]:
                # the real server would refuse (namespace not found); a fake is kinder to tests
                self.upsert({"kind": "Namespace", "metadata": {"name": meta["namespace"]}})
            key = f"{meta['namespace']}/{meta['name']}" if res.namespaced else meta["name"]
            current = self.objects[res.name].get(key)
            if current is not None:
                meta["uid"] = meta.get("uid") or current.uid
                meta["creationTimestamp"] = current.created
                canon = canonical(obj)
                if canon == current.canon:
                    return {"type": "UNCHANGED", "resource": res.name, "namespace": current.ns,
                            "name": current.name, "resourceVersion": str(current.rv)}
                self.rv += 1
                meta["resourceVersion"] = str(self.rv)
                rec = Record(res, self._ordered(obj), self.rv, None, canon)
            else:
                meta["uid"] = meta.get("uid") or str(uuid.uuid4())
                meta["creationTimestamp"] = meta.get("creationTimestamp") or now_rfc3339()
                self.rv += 1
                meta["resourceVersion"] = str(self.rv)
                rec = Record(res, self._ordered(obj), self.rv)
            self.objects[res.name][key] = rec
            type_ = "ADDED" if current is None else "MODIFIED"
            self._append(res, type_, rec, current)
            return {"type": type_, "resource": res.name, "namespace": rec.ns, "name": rec.name,
                    "resourceVersion": str(self.rv)}

    @staticmethod
    def _ordered(obj: dict) -> dict:
        # metadata first, then spec, then the rest (as Go's struct order prints them)
        out = {"metadata": obj["metadata"]}
        for k in ("spec",):
            if k in obj:
                out[k] = obj[k]
        for k, v in obj.items():
            if k not in out:
                out[k] = v
        meta = out["metadata"]
        head = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                     "creationTimestamp") if k in meta}
        head.update((k, v) for k, v in meta.items() if k not in head)
        out["metadata"] = head
        return out

    def delete(self, resource: str, ns: str, name: str) -> dict:
        res = RESOURCES.get(resource)
        if res is None:
            raise ApiError(404, "NotFound", f"unknown resource {resource!r}")
        key = f"{ns}/{name}" if res.namespaced else name
        with self.cond:
            current = self.objects[res.name].get(key)
            if current is None:
                raise ApiError(404, "NotFound", f'{res.name} "{name}" not found',
                               details={"name": name, "kind": res.name})
            self.rv += 1
            # the DELETED event carries the last state, stamped with the deletion's revision
            obj = current.obj()
            obj["metadata"]["resourceVersion"] = str(self.rv)
            gone = Record(res, obj, self.rv)
            del self.objects[res.name][key]
            self._append(res, "DELETED", gone, current)
            return {"type": "DELETED", "resource": res.name, "namespace": current.ns,
                    "name": name, "resourceVersion": str(self.rv)}

    def compact(self, upto: Optional[int] = None) -> dict:
        with self.cond:
            upto = self.rv if upto is None else max(self.compacted, min(int(upto), self.rv))
            del self.history[:upto - self.compacted]
            self.compacted = upto
            self._snapshots.clear()
            self.cond.notify_all()
            return {"compacted": str(self.compacted), "resourceVersion": str(self.rv)}

    # ---- reads (call with the lock held unless said otherwise) --------------------------

    def get(self, res: Resource, ns: str, name: str) -> Record:
        key = f"{ns}/{name}" if res.namespaced else name
        with self.cond:
            rec = self.objects[res.name].get(key)
        if rec is None:
            raise ApiError(404, "NotFound", f'{res.name} "{name}" not found',
                           details={"name": name, "kind": res.name})
        return rec

    def sorted_current(self, res: Resource) -> List[Record]:
        keys = self._sorted[res.name]
        objs = self.objects[res.name]
        if keys is None:
            keys = self._sorted[res.name] = sorted(objs)
        return [objs[k] for k in keys]

    def snapshot(self, res: Resource, rv: int) -> List[Record]:
        """The objects of one resource as they were at revision rv (>= compacted), by key."""
        if rv == self.rv:
            return self.sorted_current(res)
        cached = self._snapshots.get((res.name, rv))
        if cached is not None:
            self._snapshots.move_to_end((res.name, rv))
            return cached
        state = dict(self.objects[res.name])
        for ev in reversed(self.history[rv - self.compacted:]):
            if ev.rec.res is res:
                if ev.prev is None:
                    state.pop(ev.rec.key, None)
                else:
                    state[ev.rec.key] = ev.prev
        snap = [state[k] for k in sorted(state)]
        self._snapshots[(res.name, rv)] = snap
        while len(self._snapshots) > self.SNAPSHOTS:
            self._snapshots.popitem(last=False)
        return snap

    def remember(self, res: Resource, rv: int, snap: List[Record]):
        """Keeps a list's snapshot for its continue token (current state changes under it)."""
        self._snapshots[(res.name, rv)] = snap
        while len(self._snapshots) > self.SNAPSHOTS:
            self._snapshots.popitem(last=False)

    def events_after(self, pos: int) -> List[Event]:
        """Events with resourceVersion > pos; pos must be >= compacted."""
        return self.history[pos - self.compacted:]

    def wait_for_rv(self, rv: int, timeout: float) -> bool:
        """Waits (lock held) until the store reaches revision rv; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.rv < rv:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.cond.wait(left)
        return True

    def state(self, with_objects: bool = True) -> dict:
        with self.cond:
            out = {"resourceVersion": str(self.rv), "compacted": str(self.compacted),
                   "historyLength": len(self.history),
                   "counts": {name: len(objs) for name, objs in self.objects.items()}}
            if with_objects:
                out["objects"] = {name: [json.loads(r.full()) for r in self.sorted_current(res)]
                                  for name, res in RESOURCES.items()}
            return out


def too_large(rv: int, current: int) -> ApiError:
    return ApiError(504, "Timeout", f"Too large resource version: {rv}, current: {current}",
                    details={"causes": [{"reason": "ResourceVersionTooLarge",
                                         "message": "Too large resource version"}],
                             "retryAfterSeconds": 1})


def flatten_objects(doc, kind_hint: Optional[str] = None) -> Iterable[Tuple[dict, Optional[str]]]:
    """Objects in a JSON document: one object, a List / FooList with items, or a JSON array."""
    if isinstance(doc, list):
        for d in doc:
            yield from flatten_objects(d, kind_hint)
        return
    if not isinstance(doc, dict):
        raise bad_request("expected a JSON object, a List or an array")
    kind = doc.get("kind") or ""
    if "items" in doc and (kind == "List" or kind.endswith("List") or not kind):
        hint = kind[:-4] if kind.endswith("List") and kind != "List" else None
        for item in doc.get("items") or []:
            yield from flatten_objects(item, hint)
        return
    yield doc, kind_hint
