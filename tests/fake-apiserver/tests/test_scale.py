#!/usr/bin/env python3
"""The fake is fast enough for scale tests: 10,000 Services listed in pages of 500, each page in
well under a second, and 100,000 watch events streamed in order."""
import json
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from common import FakeApiServer, RawWatch, run

SERVICES = 10_000
PAGE = 500
EVENTS = 100_000
PAGE_BUDGET = 0.5  # seconds; "well under a second"


def svc(i: int, ns: str, gen: int = 0) -> dict:
    return {"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": f"svc-{i:05d}", "namespace": ns,
                         "labels": {"app": f"app-{i % 50}"},
                         "annotations": {"gen": str(gen)}},
            "spec": {"type": "ClusterIP", "clusterIP": f"10.{96 + i // 65536}.{i // 256 % 256}."
                                                       f"{i % 256}",
                     "selector": {"app": f"app-{i % 50}"},
                     "ports": [{"name": "http", "protocol": "TCP", "port": 80,
                                "targetPort": 8080}]}}


class ScaleTest(unittest.TestCase):
    def test_list_10000_services_in_pages(self):
        with FakeApiServer() as api:
            api.timeout = 300  # the shared 2-core machine may be busy
            namespaces = [f"ns-{n}" for n in range(10)]
            api.upsert({"kind": "ServiceList", "items": [
                svc(i, namespaces[i % 10]) for i in range(SERVICES)]})
            names, times, token, rvs = [], [], "", set()
            conn = api.connection()  # one keep-alive connection, as a real client pages
            try:
                while True:
                    path = f"/api/v1/services?limit={PAGE}" + (f"&continue={token}"
                                                               if token else "")
                    start = time.monotonic()
                    conn.request("GET", path, headers={"Authorization": f"Bearer {api.token}"})
                    resp = conn.getresponse()
                    doc = json.loads(resp.read())
                    times.append(time.monotonic() - start)
                    self.assertEqual(resp.status, 200, doc)
                    self.assertLessEqual(len(doc["items"]), PAGE)
                    rvs.add(doc["metadata"]["resourceVersion"])
                    names += [f'{i["metadata"]["namespace"]}/{i["metadata"]["name"]}'
                              for i in doc["items"]]
                    token = doc["metadata"].get("continue")
                    if not token:
                        break
            finally:
                conn.close()
            print(f"\n  {len(times)} pages: slowest {max(times) * 1000:.0f} ms, "
                  f"total {sum(times) * 1000:.0f} ms", flush=True)
            self.assertEqual(len(times), SERVICES // PAGE)
            self.assertEqual(len(names), SERVICES)
            self.assertEqual(len(set(names)), SERVICES)
            self.assertEqual(len(rvs), 1)  # one consistent snapshot
            self.assertLess(max(times), PAGE_BUDGET)

    def test_100000_watch_events(self):
        objects = 100
        with FakeApiServer() as api:
            api.timeout = 300
            rv = api.resource_version()
            with RawWatch(api, f"/api/v1/namespaces/churn/services?watch=true"
                               f"&resourceVersion={rv}", timeout=60) as w:
                start = time.monotonic()
                # the body as text from a template: json.dumps of 100,000 dicts would be the
                # slowest part of the test
                template = json.dumps(svc(0, "churn", gen=12345)).replace("%", "%%")
                template = template.replace('"svc-00000"', '"svc-%05d"').replace('"12345"',
                                                                               '"%d"')
                body = ",".join(template % (i % objects, i) for i in range(EVENTS))
                answer = api.upsert(f'{{"kind":"List","items":[{body}]}}'.encode(),
                                    results=False)
                self.assertEqual(answer["count"], EVENTS)
                made = time.monotonic() - start
                last, counts = rv, {"ADDED": 0, "MODIFIED": 0}
                for n in range(EVENTS):
                    ev = json.loads(w.next_line(60))
                    counts[ev["type"]] += 1
                    meta = ev["object"]["metadata"]
                    this = int(meta["resourceVersion"])
                    self.assertGreater(this, last)
                    last = this
                    self.assertEqual(meta["annotations"]["gen"], str(n))
                total = time.monotonic() - start
            print(f"\n  {EVENTS} events: made in {made:.1f} s, all received after "
                  f"{total:.1f} s", flush=True)
            self.assertEqual(counts, {"ADDED": objects, "MODIFIED": EVENTS - objects})
            self.assertEqual(api.stats()["eventsWritten"] >= EVENTS, True)


if __name__ == "__main__":
    raise SystemExit(run())
