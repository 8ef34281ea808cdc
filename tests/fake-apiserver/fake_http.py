"""The HTTP side: TLS, authentication, routing, list/get/watch of the read API, /fake/ control."""
import hmac
import json
import socketserver
import ssl
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import fake_render as render
from fake_faults import HTTP_REASONS, Faults
from fake_select import field_matcher, has_selector, label_matcher
from fake_store import (RESOURCES, ApiError, Resource, Store, bad_request, decode_continue,
                        dumps, encode_continue, expired, flatten_objects, too_large)
from fake_watch import IDLE_TIMEOUT, WatchStream

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-kpx-fake",
           "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
           "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
           "platform": "linux/amd64"}
CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter, or use the "
                    "continue token in this response to retrieve the remainder of the results. "
                    "Continuing with the provided token results in an inconsistent list - objects "
                    "that were created, modified, or deleted between the time the first chunk "
                    "was returned and now may show up in the list.")
TOO_LARGE_WAIT = 3.0  # seconds the real server waits for a future resourceVersion


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: Counter = Counter()
        self.watches_open = 0
        self.watches_total = 0
        self.events = 0

    def request(self, path: str):
        with self.lock:
            self.requests[path] += 1

    def watch_started(self):
        with self.lock:
            self.watches_open += 1
            self.watches_total += 1

    def watch_ended(self):
        with self.lock:
            self.watches_open -= 1

    def events_written(self, n: int):
        with self.lock:
            self.events += n

    def snapshot(self) -> dict:
        with self.lock:
            return {"requests": dict(self.requests), "watchesOpen": self.watches_open,
                    "watchesTotal": self.watches_total, "eventsWritten": self.events}


class App:
    """Everything the handlers share."""

    def __init__(self, token: str, bookmark_interval: float, expired_mode: str,
                 legacy_discovery: bool, verbose: bool):
        self.store = Store()
        self.faults = Faults(self.store.cond)
        self.stats = Stats()
        self.token = token
        self.bookmark_interval = bookmark_interval
        self.expired_mode = expired_mode
        self.legacy_discovery = legacy_discovery
        self.verbose = verbose
        self.server_address = ""  # host:port, for /api's serverAddressByClientCIDRs

    def upsert_document(self, doc, with_results: bool = True) -> dict:
        # one batch under the lock: watchers see it whole, and at full speed
        with self.store.cond:
            results = [self.store.upsert(obj, hint, owned=True)
                       for obj, hint in flatten_objects(doc)]
            out = {"resourceVersion": str(self.store.rv), "count": len(results)}
            if with_results:
                out["results"] = results
            return out


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, family, ctx: ssl.SSLContext, app: App):
        self.address_family = family
        self.ctx, self.app = ctx, app
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # the handshake runs in the request's own thread (Handler.handle), not in accept
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        if self.app.verbose:
            super().handle_error(request, client_address)


class ControlServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The same API over plain HTTP on a Unix socket in the state directory. A filesystem path
    is reachable from every network namespace, so a test outside the server's netns can still
    drive it; the directory's permissions stand in for authentication."""
    daemon_threads = True
    request_queue_size = 128
    trusted = True

    def __init__(self, path: str, app: App):
        self.app = app
        super().__init__(path, Handler)

    def handle_error(self, request, client_address):
        if self.app.verbose:
            super().handle_error(request, client_address)


def negotiate(accept: str) -> Tuple[str, Optional[str]]:
    """("json", None) or ("table", "v1"|"v1beta1") from an Accept header, or 406."""
    if not accept.strip():
        return "json", None
    for media_range in accept.split(","):
        parts = [p.strip() for p in media_range.split(";")]
        mtype = parts[0].lower()
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if mtype not in ("application/json", "application/*", "*/*"):
            continue
        if params.get("as") == "Table":
            if params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
                return "table", params["v"]
            continue
        if "as" in params:
            continue  # PartialObjectMetadata and friends: not served, try the next one
        return "json", None
    raise ApiError(406, "NotAcceptable", "only the following media types are accepted: "
                   "application/json, application/json;as=Table;g=meta.k8s.io;v=v1")


def aggregated_version(accept: str) -> Optional[str]:
    for media_range in accept.split(","):
        parts = [p.strip() for p in media_range.split(";")]
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == \
                "apidiscovery.k8s.io" and params.get("v") in ("v2", "v2beta1"):
            return params["v"]
        if parts[0] in ("application/json", "*/*") and "as" not in params:
            return None
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kpx-fake-apiserver"
    sys_version = ""

    def handle(self):
        try:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.settimeout(10)
                self.request.do_handshake()
            self.request.settimeout(IDLE_TIMEOUT)
        except (OSError, ssl.SSLError) as e:
            if self.server.app.verbose:
                print(f"fake-apiserver: TLS handshake failed: {e}", file=sys.stderr)
            self.close_connection = True
            return
        try:
            super().handle()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def address_string(self) -> str:
        return self.client_address[0] if self.client_address else "control.sock"

    def log_message(self, format, *args):
        if self.server.app.verbose:
            sys.stderr.write("fake-apiserver: %s %s\n" % (self.address_string(), format % args))

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # ---- responses ------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str = "application/json"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj, code: int = 200, content_type: str = "application/json"):
        self._send(code, dumps(obj), content_type)

    def _status(self, err: ApiError):
        if self.server.app.verbose:
            print(f"fake-apiserver: {self.command} {self.path} -> {err.code} {err.message}",
                  file=sys.stderr)
        self._json(err.status(), err.code)

    # ---- dispatch ---------------------------------------------------------------------------

    def _user(self) -> Optional[str]:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and hmac.compare_digest(
                auth[len("Bearer "):].strip().encode(), self.server.app.token.encode()):
            return "kpx-test"
        if getattr(self.server, "trusted", False):
            return "kpx-test"
        cert = self.request.getpeercert()  # only set when verified against our CA
        if cert:
            for rdn in cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        return value
        return None

    def _dispatch(self, method: str):
        app = self.server.app
        url = urlsplit(self.path)
        app.stats.request(url.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            user = self._user()
            if user is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if url.path.startswith("/fake/"):
                return self._control(method, url.path, query, body)
            code = app.faults.take_http_error()
            if code is not None:
                raise ApiError(code, HTTP_REASONS.get(code, "InternalError"),
                               f"fake-apiserver: injected HTTP {code} (fault http_500)")
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method "
                               "on the requested resource (the fake serves reads only)")
            self._get(url.path, query, user)
        except ApiError as e:
            self._status(e)

    def _control(self, method: str, path: str, query: dict, body: bytes):
        app = self.server.app
        try:
            doc = json.loads(body) if body.strip() else None
        except ValueError as e:
            raise bad_request(f"invalid JSON body: {e}") from None
        parts = [p for p in path.split("/") if p][1:]
        if parts == ["objects"] and method in ("POST", "PUT"):
            return self._json(app.upsert_document(
                doc, query.get("results", "true") in ("true", "1")))
        if len(parts) == 4 and parts[0] == "objects" and method == "DELETE":
            ns = "" if parts[2] == "-" else parts[2]
            return self._json(app.store.delete(parts[1], ns, parts[3]))
        if parts == ["compact"] and method == "POST":
            upto = (doc or {}).get("resourceVersion") if isinstance(doc, dict) else None
            return self._json(app.store.compact(upto))
        if parts == ["faults"] and method == "POST":
            return self._json(app.faults.arm(doc, app.store.upsert))
        if parts == ["faults"] and method == "DELETE":
            return self._json(app.faults.clear())
        if parts == ["faults"] and method == "GET":
            return self._json(app.faults.pending())
        if parts == ["state"] and method == "GET":
            return self._json(app.store.state(query.get("objects", "true") in ("true", "1")))
        if parts == ["stats"] and method == "GET":
            return self._json(app.stats.snapshot())
        raise ApiError(404, "NotFound", f"no control endpoint {method} {path}")

    # ---- the read API -------------------------------------------------------------------------

    def _get(self, path: str, query: dict, user: str):
        app = self.server.app
        accept = self.headers.get("Accept", "")
        if path in ("/version", "/version/"):
            return self._json(VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return self._send(200, b"ok", "text/plain; charset=utf-8")
        if path in ("/api", "/api/", "/apis", "/apis/"):
            core = path.startswith("/api/") or path == "/api"
            version = None if app.legacy_discovery else aggregated_version(accept)
            if version:
                ctype = render.AGGREGATED_V2 if version == "v2" else render.AGGREGATED_V2BETA1
                return self._json(render.aggregated_discovery(core, version), 200, ctype)
            if core:
                return self._json(render.api_versions(app.server_address))
            return self._json(render.api_group_list())
        parts = [p for p in path.split("/") if p]
        not_found = ApiError(404, "NotFound", "the server could not find the requested resource")
        if len(parts) < 2 or parts[0] not in ("api", "apis"):
            raise not_found
        if parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        else:
            if len(parts) == 2:
                doc = render.api_group(parts[1])
                if doc is None:
                    raise not_found
                return self._json(doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        if not rest:
            doc = render.api_resource_list(group, version)
            if doc is None:
                raise not_found
            return self._json(doc)
        ns, name = None, None
        if rest[0] == "namespaces" and len(rest) >= 3:
            if len(rest) > 4:
                raise not_found  # subresources are not served
            ns, resname, name = rest[1], rest[2], (rest[3] if len(rest) == 4 else None)
        elif len(rest) <= 2:
            resname, name = rest[0], (rest[1] if len(rest) == 2 else None)
        else:
            raise not_found
        res = RESOURCES.get(resname)
        if res is None or res.group != group or res.version != version:
            raise not_found
        if (ns is not None and not res.namespaced) or (ns is None and name and res.namespaced):
            raise not_found
        watch = query.get("watch", "") in ("true", "1")
        verb = "watch" if watch else ("get" if name else "list")
        if app.faults.is_forbidden(res.name, verb):
            scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
            raise ApiError(403, "Forbidden",
                           f'{res.name}{(" " + chr(34) + name + chr(34)) if name else ""} is '
                           f'forbidden: User "{user}" cannot {verb} resource "{res.name}" in API '
                           f'group "{res.group}" {scope}',
                           details={"name": name, "kind": res.name} if name else
                           {"kind": res.name})
        mode, table_version = negotiate(accept)
        include_object = query.get("includeObject", "Metadata") or "Metadata"
        if include_object not in ("None", "Metadata", "Object"):
            raise bad_request(f'unrecognized includeObject value: "{include_object}"')
        if name and not watch:
            rec = app.store.get(res, ns or "", name)
            if mode == "table":
                meta = {"resourceVersion": str(rec.rv)}
                return self._json(render.table(res, [rec], meta, include_object, table_version))
            return self._send(200, rec.full())
        if name:  # the deprecated watch of one object: a field selector on its name
            query["fieldSelector"] = ",".join(
                f for f in (query.get("fieldSelector", ""), f"metadata.name={name}") if f)
        label_text, field_text = query.get("labelSelector", ""), query.get("fieldSelector", "")
        lmatch, fmatch = label_matcher(label_text), field_matcher(field_text, res)

        def match(rec) -> bool:
            return (ns is None or rec.ns == ns) and lmatch(rec) and fmatch(rec)
        selective = has_selector(label_text, field_text) or ns is not None
        if watch:
            return self._watch(res, ns, query, match, selective, table_version, include_object)
        return self._list(res, ns, query, match, has_selector(label_text, field_text),
                          mode, table_version, include_object)

    @staticmethod
    def _int(query: dict, key: str) -> Optional[int]:
        text = query.get(key, "")
        if text == "":
            return None
        try:
            return int(text)
        except ValueError:
            raise bad_request(f"invalid {key}: {text!r}: not an integer") from None

    def _list(self, res: Resource, ns, query: dict, match, selective: bool, mode: str,
              table_version, include_object: str):
        store = self.server.app.store
        limit = self._int(query, "limit") or 0
        token = query.get("continue", "")
        rv_text = query.get("resourceVersion", "")
        rv_match = query.get("resourceVersionMatch", "")
        if rv_match not in ("", "Exact", "NotOlderThan"):
            raise bad_request(f"resourceVersionMatch: unsupported value {rv_match!r}")
        if rv_match and not rv_text:
            raise bad_request("resourceVersionMatch is forbidden unless resourceVersion is "
                              "provided")
        rv = self._int(query, "resourceVersion")
        start = ""
        with store.cond:
            if token:
                if rv_text not in ("", "0"):
                    raise bad_request("specifying resource version is not allowed when using "
                                      "continue")
                list_rv, start = decode_continue(token)
                if list_rv < store.compacted:
                    fresh = encode_continue(store.rv, start)
                    raise expired(CONTINUE_EXPIRED, metadata={"continue": fresh})
                if list_rv > store.rv:
                    raise bad_request("continue key is not valid: resourceVersion in the future")
            elif rv_match == "Exact":
                if rv < store.compacted:
                    raise expired(f"too old resource version: {rv} ({store.compacted})")
                if rv > store.rv and not store.wait_for_rv(rv, TOO_LARGE_WAIT):
                    raise too_large(rv, store.rv)
                list_rv = rv
            else:
                if rv and rv > store.rv and not store.wait_for_rv(rv, TOO_LARGE_WAIT):
                    raise too_large(rv, store.rv)
                list_rv = store.rv
            snap = store.snapshot(res, list_rv)
            if limit > 0 and list_rv == store.rv:
                store.remember(res, list_rv, snap)
        # the snapshot is immutable: page and encode it without the lock
        # a namespace is a key prefix ("ns/"), as in etcd: page within it
        lo, n = (0, len(snap)) if ns is None else (self._bisect(snap, ns + "/"),
                                                    self._bisect(snap, ns + "0"))
        i = max(lo, self._bisect(snap, start)) if start else lo
        items, last = [], None
        while i < n and (limit <= 0 or len(items) < limit):
            rec = snap[i]
            i += 1
            if match(rec):
                items.append(rec)
                last = rec
        meta = {"resourceVersion": str(list_rv)}
        if limit > 0 and len(items) == limit and i < n:
            meta["continue"] = encode_continue(list_rv, last.key + "\x00")
            if not selective:
                meta["remainingItemCount"] = n - i
        if mode == "table":
            return self._json(render.table(res, items, meta, include_object, table_version))
        head = dumps({"kind": res.kind + "List", "apiVersion": res.api_version,
                      "metadata": meta})[:-1]
        self._send(200, head + b',"items":[' + b",".join(r.item for r in items) + b"]}")

    @staticmethod
    def _bisect(snap, key: str) -> int:
        lo, hi = 0, len(snap)
        while lo < hi:
            mid = (lo + hi) // 2
            if snap[mid].key < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _watch(self, res: Resource, ns, query: dict, match, selective: bool, table_version,
               include_object: str):
        app = self.server.app
        store = app.store
        rv_text = query.get("resourceVersion", "")
        rv = self._int(query, "resourceVersion")
        timeout = self._int(query, "timeoutSeconds")
        bookmarks = query.get("allowWatchBookmarks", "") in ("true", "1")
        send_initial = query.get("sendInitialEvents", "") in ("true", "1")
        if send_initial and (query.get("resourceVersionMatch") != "NotOlderThan" or
                             not bookmarks):
            raise bad_request("sendInitialEvents requires resourceVersionMatch=NotOlderThan "
                              "and allowWatchBookmarks=true")
        with store.cond:
            if rv is not None and rv > store.rv and not store.wait_for_rv(rv, TOO_LARGE_WAIT):
                raise too_large(rv, store.rv)
            if send_initial or rv_text in ("", "0"):
                # "get state and start at most recent": the current objects as ADDED events
                pos = store.rv
                initial = [r for r in store.sorted_current(res) if match(r)]
            else:
                pos, initial = rv, []
                if rv < store.compacted:
                    err = expired(f"too old resource version: {rv} ({store.compacted})")
                    if app.expired_mode == "status":
                        raise err
                    initial = None
        if initial is None:
            return self._expired_stream(err)
        WatchStream(self, store, app.faults, app.stats, res, match, selective, pos, initial,
                    table_version, include_object,
                    app.bookmark_interval if bookmarks else None,
                    timeout if timeout and timeout > 0 else None,
                    send_initial).run()

    def _expired_stream(self, err: ApiError):
        """A 200 watch response whose only event is the 410 ERROR, then the end of the stream."""
        line = dumps({"type": "ERROR", "object": err.status()}) + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"%x\r\n" % len(line) + line + b"\r\n0\r\n\r\n")
