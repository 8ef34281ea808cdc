#!/usr/bin/env python3
"""The fake API server speaks the real list/watch protocol: raw HTTP tests (no kubectl)."""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from common import EXAMPLE_SEEDS, FakeApiServer, RawWatch, run, service, slice_

SEEDED_NAMESPACES = ("default", "kube-system")  # other tests make objects elsewhere only
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def seeded(kind: str):
    """The seed objects of one kind, straight from the fixture files."""
    out = []
    for path in EXAMPLE_SEEDS:
        with open(path) as f:
            doc = json.load(f)
        for obj in doc.get("items", [doc]):
            if obj["kind"] == kind:
                out.append(obj)
    return out


class ProtocolTest(unittest.TestCase):
    api: FakeApiServer

    @classmethod
    def setUpClass(cls):
        cls.api = FakeApiServer(seeds=EXAMPLE_SEEDS, bookmark_interval=0.3).start()

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()

    def setUp(self):
        self.api.clear_faults()

    def get(self, path, headers=None, **kw):
        status, hdrs, body = self.api.request("GET", path, headers=headers, **kw)
        return status, hdrs, json.loads(body) if body else None

    def ok(self, path, headers=None):
        status, _, doc = self.get(path, headers)
        self.assertEqual(status, 200, doc)
        return doc

    def list_all(self, path, limit):
        names, pages, rvs = [], 0, set()
        token = ""
        while True:
            sep = "&" if "?" in path else "?"
            doc = self.ok(f"{path}{sep}limit={limit}" + (f"&continue={token}" if token else ""))
            pages += 1
            rvs.add(doc["metadata"]["resourceVersion"])
            self.assertLessEqual(len(doc["items"]), limit)
            names += [f'{i["metadata"].get("namespace", "")}/{i["metadata"]["name"]}'
                      for i in doc["items"]]
            token = doc["metadata"].get("continue", "")
            if not token:
                return names, pages, rvs

    # ---- discovery and basics ----------------------------------------------------------

    def test_version_and_legacy_discovery(self):
        self.assertEqual(self.ok("/version")["major"], "1")
        self.assertEqual(self.ok("/api")["versions"], ["v1"])
        groups = {g["name"]: g for g in self.ok("/apis")["groups"]}
        self.assertEqual(groups["discovery.k8s.io"]["preferredVersion"]["groupVersion"],
                         "discovery.k8s.io/v1")
        core = {r["name"]: r for r in self.ok("/api/v1")["resources"]}
        self.assertEqual(core["services"]["kind"], "Service")
        self.assertTrue(core["services"]["namespaced"])
        self.assertIn("svc", core["services"]["shortNames"])
        self.assertFalse(core["nodes"]["namespaced"])
        for verb in ("get", "list", "watch"):
            self.assertIn(verb, core["services"]["verbs"])
        disc = {r["name"]: r for r in self.ok("/apis/discovery.k8s.io/v1")["resources"]}
        self.assertEqual(disc["endpointslices"]["kind"], "EndpointSlice")
        self.assertEqual(self.get("/apis/nope.k8s.io/v1")[0], 404)

    def test_aggregated_discovery(self):
        accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                  "application/json")
        for path, core in (("/api", True), ("/apis", False)):
            status, hdrs, doc = self.get(path, {"Accept": accept})
            self.assertEqual(status, 200)
            self.assertEqual(hdrs["Content-Type"],
                             "application/json;g=apidiscovery.k8s.io;v=v2;"
                             "as=APIGroupDiscoveryList")
            self.assertEqual(doc["kind"], "APIGroupDiscoveryList")
            resources = {r["resource"]: r for item in doc["items"]
                         for v in item["versions"] for r in v["resources"]}
            if core:
                self.assertEqual(resources["services"]["scope"], "Namespaced")
                self.assertEqual(resources["nodes"]["scope"], "Cluster")
            else:
                self.assertEqual(doc["items"][0]["metadata"]["name"], "discovery.k8s.io")
                self.assertEqual(resources["endpointslices"]["responseKind"]["kind"],
                                 "EndpointSlice")

    def test_list_services_as_seeded(self):
        doc = self.ok("/api/v1/services")
        self.assertEqual(doc["kind"], "ServiceList")
        got = {(i["metadata"]["namespace"], i["metadata"]["name"]): i for i in doc["items"]}
        for svc in seeded("Service"):
            item = got[(svc["metadata"]["namespace"], svc["metadata"]["name"])]
            self.assertEqual(item["spec"], svc["spec"])
            self.assertEqual(item["metadata"]["uid"], svc["metadata"]["uid"])
            self.assertNotIn("kind", item)  # list items carry no kind, as on the real server
            self.assertTrue(item["metadata"]["creationTimestamp"].endswith("Z"))
            self.assertLessEqual(int(item["metadata"]["resourceVersion"]),
                                 int(doc["metadata"]["resourceVersion"]))
        self.assertGreaterEqual(int(doc["metadata"]["resourceVersion"]),
                                max(int(i["metadata"]["resourceVersion"])
                                    for i in doc["items"]))
        slices = self.ok("/apis/discovery.k8s.io/v1/endpointslices")
        self.assertEqual(slices["kind"], "EndpointSliceList")
        self.assertEqual(slices["apiVersion"], "discovery.k8s.io/v1")
        self.assertEqual(sorted(i["metadata"]["name"] for i in slices["items"]
                                if i["metadata"]["namespace"] in SEEDED_NAMESPACES),
                         sorted(s["metadata"]["name"] for s in seeded("EndpointSlice")))
        nodes = self.ok("/api/v1/nodes")
        self.assertEqual([n["metadata"]["name"] for n in nodes["items"]], ["kpx-demo-node"])
        self.assertNotIn("namespace", nodes["items"][0]["metadata"])
        namespaces = [n["metadata"]["name"] for n in self.ok("/api/v1/namespaces")["items"]]
        self.assertIn("kube-system", namespaces)

    def test_get_one_and_not_found(self):
        web = self.ok("/api/v1/namespaces/default/services/web")
        self.assertEqual((web["kind"], web["apiVersion"]), ("Service", "v1"))
        self.assertEqual(web["spec"]["clusterIP"], "10.96.0.10")
        node = self.ok("/api/v1/nodes/kpx-demo-node")
        self.assertEqual(node["status"]["addresses"][0]["address"], "172.31.100.1")
        es = self.ok("/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices/dns-4mzpl")
        self.assertEqual(es["kind"], "EndpointSlice")
        status, _, doc = self.get("/api/v1/namespaces/default/services/nope")
        self.assertEqual(status, 404)
        self.assertEqual((doc["kind"], doc["reason"], doc["code"]), ("Status", "NotFound", 404))
        self.assertEqual(doc["message"], 'services "nope" not found')
        self.assertEqual(self.get("/api/v1/services/web")[0], 404)  # namespaced, no namespace
        self.assertEqual(self.get("/api/v1/namespaces/default/nodes")[0], 404)
        status, _, _ = self.api.request("POST", "/api/v1/namespaces/default/services", b"{}")
        self.assertEqual(status, 405)

    def test_namespaced_list(self):
        doc = self.ok("/api/v1/namespaces/kube-system/services")
        self.assertEqual([i["metadata"]["name"] for i in doc["items"]], ["dns"])
        doc = self.ok("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices")
        self.assertEqual({i["metadata"]["namespace"] for i in doc["items"]}, {"default"})

    # ---- paging ------------------------------------------------------------------------

    def test_pagination_is_consistent(self):
        self.api.upsert({"kind": "List", "items": [
            service(f"page-{i:02d}", "paging", f"10.96.2.{i}") for i in range(7)]})
        first = self.ok("/api/v1/namespaces/paging/services?limit=3")
        rv = first["metadata"]["resourceVersion"]
        self.assertEqual([i["metadata"]["name"] for i in first["items"]],
                         ["page-00", "page-01", "page-02"])
        self.assertEqual(first["metadata"]["remainingItemCount"], 4)
        # changes after the first page must not show in the next pages (one snapshot)
        self.api.upsert(service("page-99", "paging", "10.96.2.99"))
        self.api.delete("services", "paging", "page-05")
        names = [i["metadata"]["name"] for i in first["items"]]
        token = first["metadata"]["continue"]
        while token:
            doc = self.ok(f"/api/v1/namespaces/paging/services?limit=3&continue={token}")
            self.assertEqual(doc["metadata"]["resourceVersion"], rv)
            names += [i["metadata"]["name"] for i in doc["items"]]
            token = doc["metadata"].get("continue", "")
        self.assertEqual(names, [f"page-{i:02d}" for i in range(7)])
        fresh = [i["metadata"]["name"]
                 for i in self.ok("/api/v1/namespaces/paging/services")["items"]]
        self.assertIn("page-99", fresh)
        self.assertNotIn("page-05", fresh)
        all_names, pages, _ = self.list_all("/api/v1/services", 2)
        self.assertEqual(len(all_names), len(set(all_names)))
        self.assertEqual(pages, (len(all_names) + 1) // 2)

    def test_continue_expired_after_compaction(self):
        first = self.ok("/api/v1/services?limit=1")
        token = first["metadata"]["continue"]
        self.api.upsert(service("compact-me", "compaction", "10.96.3.1"))
        self.api.compact()
        status, _, doc = self.get(f"/api/v1/services?limit=1&continue={token}")
        self.assertEqual(status, 410, doc)
        self.assertEqual((doc["reason"], doc["code"]), ("Expired", 410))
        self.assertIn("continue parameter is too old", doc["message"])
        self.assertTrue(doc["metadata"]["continue"])
        status, _, doc = self.get("/api/v1/services?limit=1&continue=garbage!")
        self.assertEqual(status, 400)
        status, _, doc = self.get(f"/api/v1/services?limit=1&continue={token}"
                                  "&resourceVersion=5")
        self.assertEqual(status, 400)

    def test_identical_update_is_a_noop(self):
        first = self.api.upsert(service("same", "noop", "10.96.11.1", {"a": "1"}))["results"][0]
        reordered = service("same", "noop", "10.96.11.1", {"a": "1"})
        reordered = {k: reordered[k] for k in reversed(list(reordered))}
        reordered["spec"] = {k: reordered["spec"][k] for k in reversed(list(reordered["spec"]))}
        again = self.api.upsert(reordered)["results"][0]
        self.assertEqual((again["type"], again["resourceVersion"]),
                         ("UNCHANGED", first["resourceVersion"]))
        changed = self.api.upsert(service("same", "noop", "10.96.11.2", {"a": "1"}))
        self.assertEqual(changed["results"][0]["type"], "MODIFIED")
        self.assertGreater(int(changed["results"][0]["resourceVersion"]),
                           int(first["resourceVersion"]))
        obj = self.ok("/api/v1/namespaces/noop/services/same")["metadata"]
        self.assertEqual(obj["resourceVersion"], changed["results"][0]["resourceVersion"])

    def test_exact_resource_version(self):
        rv = self.api.resource_version()
        self.api.upsert(service("exact", "exact", "10.96.4.1"))
        now = self.ok("/api/v1/namespaces/exact/services")
        self.assertEqual(len(now["items"]), 1)
        then = self.ok(f"/api/v1/namespaces/exact/services?resourceVersion={rv}"
                       "&resourceVersionMatch=Exact")
        self.assertEqual((then["items"], then["metadata"]["resourceVersion"]), ([], str(rv)))

    # ---- selectors ---------------------------------------------------------------------

    def test_label_selectors(self):
        labels = {"sel-a": {"tier": "front", "env": "prod"}, "sel-b": {"tier": "back"},
                  "sel-c": {"env": "dev"}, "sel-d": {}}
        self.api.upsert([service(n, "sel", f"10.96.5.{i}", l)
                         for i, (n, l) in enumerate(labels.items())])

        def names(selector):
            from urllib.parse import quote
            doc = self.ok(f"/api/v1/namespaces/sel/services?labelSelector={quote(selector)}")
            return sorted(i["metadata"]["name"] for i in doc["items"])

        def expect(pred):
            return sorted(n for n, l in labels.items() if pred(l))
        cases = {
            "tier=front": lambda l: l.get("tier") == "front",
            "tier==back": lambda l: l.get("tier") == "back",
            "tier!=front": lambda l: l.get("tier") != "front",
            "env": lambda l: "env" in l,
            "!env": lambda l: "env" not in l,
            "tier in (front,back)": lambda l: l.get("tier") in ("front", "back"),
            "env notin (prod)": lambda l: l.get("env") != "prod",
            "tier,env=prod": lambda l: "tier" in l and l.get("env") == "prod",
            "tier=front,env=dev": lambda l: False,
        }
        for selector, pred in cases.items():
            self.assertEqual(names(selector), expect(pred), selector)
        status, _, doc = self.get("/api/v1/services?labelSelector=a%20b%20c")
        self.assertEqual(status, 400, doc)

    def test_field_selectors(self):
        def names(selector, path="/api/v1/services"):
            doc = self.ok(f"{path}?fieldSelector={selector}")
            return sorted(i["metadata"]["name"] for i in doc["items"])
        self.assertEqual(names("metadata.name=web"), ["web"])
        self.assertEqual(names("metadata.namespace=kube-system"), ["dns"])
        self.assertEqual(names("metadata.namespace=default,metadata.name!=web",
                               "/api/v1/namespaces/default/services"),
                         sorted(s["metadata"]["name"] for s in seeded("Service")
                                if s["metadata"]["namespace"] == "default"
                                and s["metadata"]["name"] != "web"))
        self.assertEqual(names("spec.clusterIP=10.96.0.53"), ["dns"])
        status, _, doc = self.get("/api/v1/services?fieldSelector=spec.bogus=1")
        self.assertEqual(status, 400)
        self.assertIn("field label not supported", doc["message"])

    # ---- watch ---------------------------------------------------------------------------

    def test_watch_from_resource_version(self):
        rv = self.api.resource_version()
        self.api.upsert(service("w1", "watch1", "10.96.6.1"))
        mod = service("w1", "watch1", "10.96.6.1", {"changed": "yes"})
        self.api.upsert(mod)
        self.api.upsert(mod)  # no change: no event
        self.api.delete("services", "watch1", "w1")
        with RawWatch(self.api, f"/api/v1/namespaces/watch1/services?watch=true"
                                f"&resourceVersion={rv}") as w:
            self.assertEqual(w.status, 200)
            self.assertTrue(w.chunked)
            self.assertEqual(w.headers["content-type"], "application/json")
            events = w.events(3)
            self.assertEqual([e["type"] for e in events], ["ADDED", "MODIFIED", "DELETED"])
            rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
            self.assertEqual(rvs, sorted(set(rvs)))
            self.assertGreater(rvs[0], rv)
            self.assertEqual(events[0]["object"]["kind"], "Service")
            self.assertEqual(events[2]["object"]["metadata"]["labels"], {"changed": "yes"})
            self.assertEqual(events[2]["object"]["metadata"]["uid"],
                             events[0]["object"]["metadata"]["uid"])
            self.assertEqual(len(w.chunks), 3)  # one event per chunk
            # live events keep coming on the open stream
            self.api.upsert(service("w2", "watch1", "10.96.6.2"))
            live = w.events(1)[0]
            self.assertEqual((live["type"], live["object"]["metadata"]["name"]), ("ADDED", "w2"))

    def test_watch_without_resource_version_starts_with_state(self):
        with RawWatch(self.api, "/api/v1/namespaces/default/services?watch=1") as w:
            first = w.events(len([s for s in seeded("Service")
                                  if s["metadata"]["namespace"] == "default"]))
            self.assertEqual({e["type"] for e in first}, {"ADDED"})
            self.assertEqual(sorted(e["object"]["metadata"]["name"] for e in first),
                             sorted(s["metadata"]["name"] for s in seeded("Service")
                                    if s["metadata"]["namespace"] == "default"))
            self.api.upsert(service("after", "default", "10.96.7.1"))
            self.assertEqual(w.events(1)[0]["object"]["metadata"]["name"], "after")
        self.api.delete("services", "default", "after")

    def test_watch_selector_transitions(self):
        rv = self.api.resource_version()
        self.api.upsert(service("t1", "trans", "10.96.8.1"))
        self.api.upsert(service("t1", "trans", "10.96.8.1", {"pick": "me"}))
        self.api.upsert(service("t1", "trans", "10.96.8.1", {"pick": "me", "x": "y"}))
        self.api.upsert(service("t1", "trans", "10.96.8.1"))
        with RawWatch(self.api, f"/api/v1/services?watch=true&resourceVersion={rv}"
                                "&labelSelector=pick%3Dme") as w:
            events = w.events(3)
        self.assertEqual([e["type"] for e in events], ["ADDED", "MODIFIED", "DELETED"])
        self.assertEqual(events[2]["object"]["metadata"]["labels"], {"pick": "me", "x": "y"})

    def test_bookmarks(self):
        with RawWatch(self.api, "/api/v1/services?watch=true&allowWatchBookmarks=true"
                                f"&resourceVersion={self.api.resource_version()}") as w:
            ev = w.next_event(3)
            self.assertEqual(ev["type"], "BOOKMARK")
            self.assertEqual(ev["object"]["kind"], "Service")
            self.assertEqual(int(ev["object"]["metadata"]["resourceVersion"]),
                             self.api.resource_version())
            self.api.upsert(slice_("bm-1", "bm", "bookmarks"))  # another kind moves the rv
            ev = w.next_event(3)
            while ev["type"] == "BOOKMARK" and int(
                    ev["object"]["metadata"]["resourceVersion"]) < self.api.resource_version():
                ev = w.next_event(3)
            self.assertEqual(ev["type"], "BOOKMARK")
        with RawWatch(self.api, "/api/v1/services?watch=true"
                                f"&resourceVersion={self.api.resource_version()}") as w:
            with self.assertRaises(TimeoutError):
                w.next_event(1.0)  # no bookmarks unless asked for

    def test_timeout_seconds_ends_cleanly(self):
        start = time.monotonic()
        with RawWatch(self.api, "/api/v1/services?watch=true&timeoutSeconds=1"
                                f"&resourceVersion={self.api.resource_version()}") as w:
            self.assertTrue(w.wait_end(5))
            elapsed = time.monotonic() - start
            self.assertGreaterEqual(elapsed, 0.9)
            self.assertLess(elapsed, 5)
            # HTTP/1.1 keep-alive: the same connection serves the next request
            w.sock.sendall(f"GET /version HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                           f"{self.api.token}\r\n\r\n".encode())
            self.assertIn(b"200 OK", w.file.readline())

    def test_watch_after_compaction_gets_410_event(self):
        rv = self.api.resource_version()
        self.api.upsert(service("gone", "compaction", "10.96.9.1"))
        self.api.compact()
        with RawWatch(self.api, f"/api/v1/services?watch=true&resourceVersion={rv}") as w:
            self.assertEqual(w.status, 200)
            ev = w.next_event()
            self.assertEqual(ev["type"], "ERROR")
            self.assertEqual((ev["object"]["kind"], ev["object"]["code"],
                              ev["object"]["reason"]), ("Status", 410, "Expired"))
            self.assertIn("too old resource version", ev["object"]["message"])
            self.assertTrue(w.wait_end())
        now = self.api.resource_version()
        with RawWatch(self.api, f"/api/v1/services?watch=true&resourceVersion={now}") as w:
            self.api.upsert(service("fresh", "compaction", "10.96.9.2"))
            self.assertEqual(w.events(1)[0]["type"], "ADDED")

    def test_watch_410_as_status(self):
        with FakeApiServer(expired_mode="status") as api:
            rv = api.resource_version()
            api.upsert(service("x", "default"))
            api.compact()
            status, _, body = api.request("GET", f"/api/v1/services?watch=true"
                                                 f"&resourceVersion={rv}")
            doc = json.loads(body)
            self.assertEqual((status, doc["code"], doc["reason"]), (410, 410, "Expired"))

    def test_send_initial_events(self):
        with RawWatch(self.api, "/api/v1/namespaces/kube-system/services?watch=true"
                                "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                                "&allowWatchBookmarks=true") as w:
            ev = w.next_event()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "dns"))
            ev = w.next_event()
            self.assertEqual(ev["type"], "BOOKMARK")
            self.assertEqual(ev["object"]["metadata"]["annotations"],
                             {"k8s.io/initial-events-end": "true"})

    def test_future_resource_version_is_504(self):
        status, _, doc = self.get(f"/api/v1/services?resourceVersion="
                                  f"{self.api.resource_version() + 1000}")
        self.assertEqual((status, doc["reason"]), (504, "Timeout"))
        self.assertIn("Too large resource version", doc["message"])

    # ---- auth ----------------------------------------------------------------------------

    def test_unauthorized(self):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            status, _, doc = self.get("/api/v1/services", headers, auth=False)
            self.assertEqual(status, 401)
            self.assertEqual((doc["kind"], doc["reason"], doc["code"]),
                             ("Status", "Unauthorized", 401))
        with RawWatch(self.api, "/api/v1/services?watch=true", token="wrong") as w:
            self.assertEqual(w.status, 401)

    def test_forbidden(self):
        self.api.fault("forbid", resource="services")
        try:
            status, _, doc = self.get("/api/v1/services")
            self.assertEqual(status, 403)
            self.assertEqual(doc["message"], 'services is forbidden: User "kpx-test" cannot '
                             'list resource "services" in API group "" at the cluster scope')
            self.assertEqual((doc["reason"], doc["details"]["kind"]), ("Forbidden", "services"))
            status, _, doc = self.get("/api/v1/namespaces/default/services?watch=true")
            self.assertEqual(status, 403)
            self.assertIn('cannot watch resource "services" in API group "" in the namespace '
                          '"default"', doc["message"])
            self.ok("/apis/discovery.k8s.io/v1/endpointslices")
            self.api.fault("forbid", resource="endpointslices", verbs=["watch"])
            self.ok("/apis/discovery.k8s.io/v1/endpointslices")
            status, _, doc = self.get("/apis/discovery.k8s.io/v1/endpointslices?watch=true")
            self.assertEqual(status, 403)
            self.assertIn('in API group "discovery.k8s.io"', doc["message"])
        finally:
            self.api.fault("allow")
        self.ok("/api/v1/services")

    def test_client_certificate(self):
        status, _, body = self.api.request("GET", "/api/v1/services", client_cert=True)
        self.assertEqual(status, 200)
        self.api.fault("forbid", resource="nodes")
        try:
            status, _, body = self.api.request("GET", "/api/v1/nodes", client_cert=True)
            self.assertEqual(status, 403)
            self.assertIn('User "kpx-test"', json.loads(body)["message"])
        finally:
            self.api.fault("allow", resource="nodes")
        with RawWatch(self.api, "/api/v1/nodes?watch=true", client_cert=True) as w:
            self.assertEqual(w.next_event()["object"]["metadata"]["name"], "kpx-demo-node")
        for name in ("ca.crt", "client.crt", "client.key", "token", "kubeconfig"):
            self.assertTrue(os.path.exists(self.api.path(name)), name)

    def test_control_socket(self):
        # plain HTTP on DIR/control.sock: no token needed, same API
        status, _, body = self.api.request("GET", "/api/v1/nodes", auth=False, control=True)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["items"][0]["metadata"]["name"], "kpx-demo-node")

    # ---- server-side printing ----------------------------------------------------------

    def test_table(self):
        doc = self.ok("/api/v1/services", {"Accept": TABLE})
        self.assertEqual((doc["kind"], doc["apiVersion"]), ("Table", "meta.k8s.io/v1"))
        columns = [c["name"] for c in doc["columnDefinitions"]]
        self.assertEqual(columns, ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)",
                                   "Age", "Selector"])
        rows = {r["cells"][0]: r for r in doc["rows"]}
        self.assertEqual(rows["web"]["cells"][1:5],
                         ["NodePort", "10.96.0.10", "<none>", "80:30080/TCP"])
        self.assertEqual(rows["web"]["cells"][6], "app=web")
        self.assertEqual(rows["dns"]["cells"][4], "53/UDP,53/TCP")
        self.assertEqual(rows["db"]["cells"][2], "None")
        self.assertEqual(rows["web"]["object"]["kind"], "PartialObjectMetadata")
        self.assertEqual(rows["web"]["object"]["metadata"]["namespace"], "default")
        slices = self.ok("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                         {"Accept": TABLE})
        rows = {r["cells"][0]: r["cells"] for r in slices["rows"]}
        self.assertEqual(rows["web-7x2kq"][1:4],
                         ["IPv4", "8080", "10.244.0.11,10.244.0.12,10.244.0.13"])

    def test_watch_table(self):
        rv = self.api.resource_version()
        self.api.upsert(service("tbl", "tables", "10.96.10.1"))
        self.api.upsert(service("tbl", "tables", "10.96.10.1", {"v": "2"}))
        with RawWatch(self.api, f"/api/v1/namespaces/tables/services?watch=true"
                                f"&resourceVersion={rv}", {"Accept": TABLE}) as w:
            first, second = w.events(2)
        self.assertEqual(first["object"]["kind"], "Table")
        self.assertIn("columnDefinitions", first["object"])
        self.assertNotIn("columnDefinitions", second["object"])  # headers once, as upstream
        self.assertEqual(second["object"]["rows"][0]["cells"][:3],
                         ["tbl", "ClusterIP", "10.96.10.1"])

    def test_not_acceptable(self):
        status, _, _ = self.get("/api/v1/services",
                                {"Accept": "application/vnd.kubernetes.protobuf"})
        self.assertEqual(status, 406)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("ip"), "needs root and ip(8)")
class ProtocolNetnsTest(unittest.TestCase):
    """The fake serving inside a network namespace (what the e2e tests use). Run on its own
    (ctest fake_apiserver_protocol_netns): it needs root and ip(8), ProtocolTest does not."""

    def test_netns(self):
        netns = f"kpxfa-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", netns], check=True)
        try:
            with FakeApiServer(netns=netns) as api:
                self.api_in_netns_answers(api, netns)
                api.upsert(service("in-netns", "default"))  # through the control socket
                self.assertIn("in-netns",
                              [s["metadata"]["name"] for s in api.objects("services")])
        finally:
            subprocess.run(["ip", "netns", "del", netns], check=False)

    def api_in_netns_answers(self, api, netns):
        probe = ("import ssl,sys,urllib.request as u;"
                 "r=u.Request(sys.argv[1]+'/version',headers={'Authorization':'Bearer '+"
                 "sys.argv[2]});print(u.urlopen(r,context=ssl.create_default_context("
                 "cafile=sys.argv[3])).status)")
        out = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", probe,
                              api.address, api.token, api.path("ca.crt")],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.stdout.strip(), "200", out.stderr)


if __name__ == "__main__":
    raise SystemExit(run())
