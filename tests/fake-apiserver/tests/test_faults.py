#!/usr/bin/env python3
"""Each fault of POST /fake/faults does what the README says, and only that."""
import json
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from common import FakeApiServer, RawWatch, StreamEnd, run, service


class FaultTest(unittest.TestCase):
    api: FakeApiServer

    @classmethod
    def setUpClass(cls):
        cls.api = FakeApiServer(bookmark_interval=0.2).start()

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()

    def setUp(self):
        self.api.clear_faults()
        self.ns = self.id().rsplit(".", 1)[-1].replace("_", "-")

    def watch(self, extra=""):
        return RawWatch(self.api, f"/api/v1/namespaces/{self.ns}/services?watch=true"
                                  f"&resourceVersion={self.api.resource_version()}{extra}")

    def test_drop_mid_event(self):
        with self.watch() as w:
            self.api.fault("drop_mid_event")
            self.api.upsert(service("cut", self.ns))
            with self.assertRaises(StreamEnd) as end:
                w.next_line(5)
            self.assertFalse(end.exception.clean)
            self.assertTrue(w.chunks, "the half event should have come as a chunk")
            half = w.chunks[-1]
            self.assertNotIn(b"\n", half)
            self.assertTrue(half.startswith(b'{"type":"ADDED"'))
            with self.assertRaises(ValueError):
                json.loads(half)
        # count=1: the next stream is whole again
        with self.watch() as w:
            self.api.upsert(service("whole", self.ns))
            self.assertEqual(w.next_event(5)["object"]["metadata"]["name"], "whole")
        self.assertEqual(self.api.call("GET", "/fake/faults")["drop_mid_event"], 0)

    def wait_taken(self, kind: str, timeout: float = 5):
        """Waits until a stream has taken the armed fault (an open idle stream does at once)."""
        deadline = time.monotonic() + timeout
        while self.api.call("GET", "/fake/faults")[kind]:
            self.assertLess(time.monotonic(), deadline, f"no stream took the {kind} fault")
            time.sleep(0.02)

    def test_stall_then_end(self):
        with self.watch("&allowWatchBookmarks=true") as w:
            self.assertEqual(w.next_event(3)["type"], "BOOKMARK")
            start = time.monotonic()
            self.api.fault("stall", seconds=3)
            self.wait_taken("stall")
            self.api.upsert(service("late", self.ns))
            with self.assertRaises(TimeoutError):
                w.next_line(1.0)  # neither the event nor bookmarks while stalled
            self.assertTrue(w.wait_end(10))  # then a clean end, not a dropped connection
            self.assertGreater(time.monotonic() - start, 2.5)

    def test_stall_then_resume(self):
        with self.watch() as w:
            start = time.monotonic()
            self.api.fault("stall", seconds=2, resume=True)
            self.wait_taken("stall")
            self.api.upsert(service("delayed", self.ns))
            ev = w.next_event(10)
            self.assertEqual(ev["object"]["metadata"]["name"], "delayed")
            self.assertGreater(time.monotonic() - start, 1.5)

    def test_http_500(self):
        self.api.fault("http_500", count=2)
        for _ in range(2):
            status, _, body = self.api.request("GET", "/api/v1/services")
            doc = json.loads(body)
            self.assertEqual((status, doc["kind"], doc["code"], doc["reason"]),
                             (500, "Status", 500, "InternalError"))
        self.assertEqual(self.api.request("GET", "/api/v1/services")[0], 200)
        self.api.fault("http_500", code=503)
        self.assertEqual(self.api.request("GET", "/api/v1/nodes")[0], 503)
        self.assertEqual(self.api.request("GET", "/api/v1/nodes")[0], 200)
        self.api.fault("http_500")
        self.assertEqual(self.api.state(objects=False)["counts"]["namespaces"] > 0, True)
        with RawWatch(self.api, "/api/v1/services?watch=true") as w:  # watches too
            self.assertEqual(w.status, 500)

    def test_malformed_line(self):
        with self.watch() as w:
            self.api.fault("malformed_line")
            line = w.next_line(5)
            with self.assertRaises(ValueError):
                json.loads(line)
            self.api.upsert(service("after-garbage", self.ns))
            self.assertEqual(w.next_event(5)["object"]["metadata"]["name"], "after-garbage")
        with self.watch() as w:
            self.api.fault("malformed_line", line="custom garbage")
            self.assertEqual(w.next_line(5), b"custom garbage")

    def test_huge_object(self):
        size = 4 * 1024 * 1024
        with self.watch() as w:
            result = self.api.fault("huge_object", namespace=self.ns)
            self.assertEqual(result["result"]["type"], "ADDED")
            ev = w.next_event(10)
            self.assertEqual(len(ev["object"]["metadata"]["annotations"]["kpx.test/huge"]), size)
        status, _, body = self.api.request("GET", f"/api/v1/namespaces/{self.ns}/services/huge")
        self.assertEqual(status, 200)
        self.assertGreater(len(body), size)
        self.api.fault("huge_object", namespace=self.ns, name="small", bytes=10)
        obj = self.api.call("GET", f"/api/v1/namespaces/{self.ns}/services/small")
        self.assertEqual(obj["metadata"]["annotations"]["kpx.test/huge"], "x" * 10)

    def test_forbid_and_allow(self):
        self.api.fault("forbid", resource="endpointslices")
        status, _, body = self.api.request("GET", "/apis/discovery.k8s.io/v1/endpointslices")
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body)["message"],
                         'endpointslices is forbidden: User "kpx-test" cannot list resource '
                         '"endpointslices" in API group "discovery.k8s.io" at the cluster scope')
        self.assertEqual(self.api.request("GET", "/api/v1/services")[0], 200)
        self.api.fault("allow", resource="endpointslices")
        self.assertEqual(
            self.api.request("GET", "/apis/discovery.k8s.io/v1/endpointslices")[0], 200)

    def test_unknown_fault_is_rejected(self):
        status, _, body = self.api.request("POST", "/fake/faults", {"kind": "meteor"})
        self.assertEqual(status, 400)
        self.assertIn("unknown fault kind", json.loads(body)["message"])

    def wait_open_watches(self, n: int, timeout: float = 5):
        deadline = time.monotonic() + timeout
        while self.api.stats()["watchesOpen"] != n:
            self.assertLess(time.monotonic(), deadline,
                            f"watchesOpen is {self.api.stats()['watchesOpen']}, not {n}")
            time.sleep(0.05)

    def test_stats_and_state(self):
        self.wait_open_watches(0)  # the streams of earlier tests are seen closed
        before = self.api.stats()
        with self.watch():
            self.wait_open_watches(1)
        self.wait_open_watches(0)  # a closed client is noticed while the stream is idle
        for _ in range(3):
            self.api.request("GET", "/api/v1/nodes")
        after = self.api.stats()
        self.assertEqual(after["requests"]["/api/v1/nodes"],
                         before["requests"].get("/api/v1/nodes", 0) + 3)
        self.api.upsert(service("in-state", self.ns))
        state = self.api.state()
        names = [o["metadata"]["name"] for o in state["objects"]["services"]]
        self.assertIn("in-state", names)
        self.assertIn(self.ns, [o["metadata"]["name"] for o in state["objects"]["namespaces"]])
        self.assertEqual(int(state["resourceVersion"]), self.api.resource_version())


if __name__ == "__main__":
    raise SystemExit(run())
