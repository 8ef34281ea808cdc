#!/usr/bin/env python3
"""kubectl itself against the fake: if kubectl can get, page, select and watch, the fake is
faithful enough. KUBECTL=/path/to/kubectl picks another binary (e.g. Debian's 1.20)."""
import json
import math
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from common import EXAMPLE_SEEDS, FakeApiServer, run, service, slice_

KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")


def seeded(kind):
    out = []
    for path in EXAMPLE_SEEDS:
        with open(path) as f:
            doc = json.load(f)
        out += [o for o in doc.get("items", [doc]) if o["kind"] == kind]
    return out


def parse_table(text: str):
    """Rows of kubectl's column output as dicts, cut at the header's column starts (a cell may
    be empty, so splitting on blanks would shift the columns)."""
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return []
    header = lines[0]
    starts, names = [], []
    i = 0
    for name in header.split():
        i = header.index(name, i)
        starts.append(i)
        names.append(name)
        i += len(name)
    rows = []
    for line in lines[1:]:
        cells = [line[s:e].strip() for s, e in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(names, cells)))
    return rows


def ports_string(svc) -> str:
    out = []
    for p in svc["spec"].get("ports", []):
        node = f":{p['nodePort']}" if p.get("nodePort") else ""
        out.append(f"{p['port']}{node}/{p.get('protocol', 'TCP')}")
    return ",".join(out)


class Kubectl:
    def __init__(self, api: FakeApiServer, home: str):
        self.api, self.home = api, home
        self.env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        self.env["HOME"] = home

    def cmd(self, *args, kubeconfig=None):
        return [KUBECTL, "--kubeconfig", kubeconfig or self.api.kubeconfig_path,
                "--cache-dir", os.path.join(self.home, "cache"), *args]

    def run(self, *args, kubeconfig=None, check=True, timeout=60):
        proc = subprocess.run(self.cmd(*args, kubeconfig=kubeconfig), env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stderr}\nserver log:\n{self.api.log()[-3000:]}")
        return proc

    def start(self, *args):
        return Streamer(subprocess.Popen(self.cmd(*args), env=self.env, text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE))


class Streamer:
    """A running `kubectl get -w`: its output, line by line, through a reader thread."""

    def __init__(self, proc):
        self.proc, self.lines = proc, queue.Queue()
        self.text = ""
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pred, timeout=15):
        """Reads lines until pred(all output so far) holds; returns the output."""
        deadline = time.monotonic() + timeout
        while not pred(self.text):
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"timed out; kubectl printed:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"kubectl exited ({self.proc.wait()}): "
                                     f"{self.proc.stderr.read()}\noutput:\n{self.text}")
            self.text += line
        return self.text

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class KubectlTest(unittest.TestCase):
    api: FakeApiServer

    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="fake-apiserver-kubectl-")
        cls.api = FakeApiServer(seeds=EXAMPLE_SEEDS).start()
        cls.k = Kubectl(cls.api, cls.home)

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        shutil.rmtree(cls.home, ignore_errors=True)

    def setUp(self):
        self.api.clear_faults()

    def all_services(self):
        return self.api.call("GET", "/api/v1/services")["items"]

    def test_get_services(self):
        rows = parse_table(self.k.run("get", "svc", "-A").stdout)
        got = {(r["NAMESPACE"], r["NAME"]): r for r in rows}
        for svc in seeded("Service"):
            row = got[(svc["metadata"]["namespace"], svc["metadata"]["name"])]
            self.assertEqual(row["CLUSTER-IP"], svc["spec"]["clusterIP"])
            self.assertEqual(row["TYPE"], svc["spec"].get("type", "ClusterIP"))
            self.assertEqual(row["PORT(S)"], ports_string(svc))
            self.assertEqual(row["EXTERNAL-IP"], "<none>")
        self.assertEqual(self.k.run("get", "svc", "web", "-n", "default", "-o",
                                    "jsonpath={.spec.clusterIP}").stdout, "10.96.0.10")

    def test_get_services_json(self):
        doc = json.loads(self.k.run("get", "svc", "-A", "-o", "json").stdout)
        self.assertEqual(doc["kind"], "List")
        got = {(i["metadata"]["namespace"], i["metadata"]["name"]): i for i in doc["items"]}
        for svc in seeded("Service"):
            item = got[(svc["metadata"]["namespace"], svc["metadata"]["name"])]
            self.assertEqual((item["kind"], item["apiVersion"]), ("Service", "v1"))
            self.assertEqual(item["spec"], svc["spec"])
            self.assertEqual(item["metadata"]["uid"], svc["metadata"]["uid"])

    def test_get_endpointslices(self):
        rows = {(r["NAMESPACE"], r["NAME"]): r
                for r in parse_table(self.k.run("get", "endpointslices", "-A").stdout)}
        for es in seeded("EndpointSlice"):
            row = rows[(es["metadata"]["namespace"], es["metadata"]["name"])]
            addresses = [a for ep in es["endpoints"] for a in ep["addresses"]]
            self.assertEqual(row["ENDPOINTS"], ",".join(addresses[:3]))
            self.assertEqual(row["ADDRESSTYPE"], es["addressType"])
            self.assertEqual(row["PORTS"], ",".join(str(p["port"]) for p in es["ports"]))

    def test_get_nodes(self):
        rows = parse_table(self.k.run("get", "nodes", "-o", "wide").stdout)
        node = seeded("Node")[0]
        self.assertEqual([r["NAME"] for r in rows], [node["metadata"]["name"]])
        internal = [a["address"] for a in node["status"]["addresses"]
                    if a["type"] == "InternalIP"][0]
        self.assertEqual(rows[0]["INTERNAL-IP"], internal)
        self.assertEqual(rows[0]["STATUS"], "Unknown")  # the seed has no Ready condition

    def test_watch_endpointslices(self):
        w = self.k.start("get", "endpointslices", "-A", "--watch", "--output-watch-events")
        try:
            names = [es["metadata"]["name"] for es in seeded("EndpointSlice")]
            w.wait_for(lambda t: all(n in t for n in names))
            web = [es for es in seeded("EndpointSlice") if es["metadata"]["name"] ==
                   "web-7x2kq"][0]
            web = json.loads(json.dumps(web))
            web["endpoints"].append({"addresses": ["10.244.0.14"],
                                     "conditions": {"ready": True}})
            self.api.upsert(web)
            out = w.wait_for(lambda t: "+ 1 more..." in t)
            self.assertRegex(out, r"MODIFIED\s+default\s+web-7x2kq\s+IPv4\s+8080\s+"
                                  r"10\.244\.0\.11,10\.244\.0\.12,10\.244\.0\.13 \+ 1 more")
            self.api.upsert(slice_("watched-abcde", "watched", "default", ["10.244.1.1"]))
            w.wait_for(lambda t: "watched-abcde" in t)
            self.api.delete("endpointslices", "default", "watched-abcde")
            out = w.wait_for(lambda t: "DELETED" in t)
            self.assertRegex(out, r"ADDED\s+default\s+watched-abcde\s+IPv4\s+8080\s+10\.244\.1\.1")
            self.assertRegex(out, r"DELETED\s+default\s+watched-abcde")
        finally:
            w.stop()
            self.api.upsert(seeded("EndpointSlice")[0])

    def test_watch_json(self):
        w = self.k.start("get", "endpointslices", "-A", "-w", "-o", "json")
        try:
            decoder = json.JSONDecoder()

            def objects(text):
                out, i = [], 0
                while True:
                    while i < len(text) and text[i].isspace():
                        i += 1
                    if i >= len(text):
                        return out
                    try:
                        obj, i = decoder.raw_decode(text, i)
                    except ValueError:
                        return out  # an object still being printed
                    out.append(obj)
            n = len(seeded("EndpointSlice"))
            w.wait_for(lambda t: len(objects(t)) >= n)
            self.api.upsert(slice_("json-watched", "jw", "default", ["10.244.2.1"]))
            w.wait_for(lambda t: any(o["metadata"]["name"] == "json-watched"
                                     for o in objects(t)))
            self.api.delete("endpointslices", "default", "json-watched")
            text = w.wait_for(lambda t: sum(o["metadata"]["name"] == "json-watched"
                                            for o in objects(t)) == 2)
            added, deleted = [o for o in objects(text)
                              if o["metadata"]["name"] == "json-watched"]
            self.assertEqual(added["kind"], "EndpointSlice")
            self.assertEqual(added["endpoints"][0]["addresses"], ["10.244.2.1"])
            self.assertGreater(int(deleted["metadata"]["resourceVersion"]),
                               int(added["metadata"]["resourceVersion"]))
        finally:
            w.stop()

    def test_chunk_size_pages(self):
        self.api.upsert([service(f"chunk-{i}", "chunks", f"10.96.20.{i}") for i in range(9)])
        total = len(self.all_services())
        before = self.api.stats()["requests"].get("/api/v1/services", 0)
        rows = parse_table(self.k.run("get", "svc", "-A", "--chunk-size=2").stdout)
        after = self.api.stats()["requests"]["/api/v1/services"]
        self.assertEqual(len(rows), total)
        self.assertEqual(len({(r["NAMESPACE"], r["NAME"]) for r in rows}), total)
        self.assertEqual(after - before, math.ceil(total / 2))

    def test_label_selectors(self):
        self.api.upsert([service("lbl-a", "labels", "10.96.21.1", {"tier": "front"}),
                         service("lbl-b", "labels", "10.96.21.2", {"tier": "back"}),
                         service("lbl-c", "labels", "10.96.21.3")])
        everything = self.all_services()

        def expect(pred):
            return sorted(s["metadata"]["name"] for s in everything
                          if pred(s["metadata"].get("labels") or {}))

        def names(selector):
            return sorted(r["NAME"] for r in parse_table(
                self.k.run("get", "svc", "-A", "-l", selector).stdout))
        self.assertEqual(names("k8s-app=kube-dns"), ["dns"])
        self.assertEqual(names("tier"), expect(lambda l: "tier" in l))
        self.assertEqual(names("tier!=front"), expect(lambda l: l.get("tier") != "front"))
        self.assertEqual(names("!tier"), expect(lambda l: "tier" not in l))
        self.assertEqual(names("tier in (front,back),tier!=back"), ["lbl-a"])

    def test_field_selectors(self):
        def names(*args):
            return sorted(r["NAME"] for r in parse_table(self.k.run("get", *args).stdout))
        self.assertEqual(names("svc", "-A", "--field-selector", "metadata.namespace=kube-system"),
                         ["dns"])
        self.assertEqual(names("svc", "-A", "--field-selector", "metadata.name=web"), ["web"])
        self.assertEqual(names("endpointslices", "-A", "--field-selector",
                               "metadata.name=dns-4mzpl"), ["dns-4mzpl"])

    def test_client_certificate_kubeconfig(self):
        rows = parse_table(self.k.run("get", "nodes",
                                      kubeconfig=self.api.kubeconfig_cert_path).stdout)
        self.assertEqual([r["NAME"] for r in rows], ["kpx-demo-node"])

    def test_forbidden_and_unauthorized(self):
        self.api.fault("forbid", resource="services")
        try:
            proc = self.k.run("get", "svc", "-A", check=False)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn('services is forbidden: User "kpx-test" cannot list resource '
                          '"services" in API group "" at the cluster scope', proc.stderr)
        finally:
            self.api.fault("allow")
        bad = os.path.join(self.home, "bad-kubeconfig")
        with open(self.api.kubeconfig_path) as f, open(bad, "w") as out:
            out.write(f.read().replace(self.api.token, "not-the-token"))
        proc = self.k.run("get", "svc", "-A", kubeconfig=bad, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("Unauthorized", proc.stderr + proc.stdout)

    def test_legacy_discovery_fallback(self):
        with FakeApiServer(seeds=EXAMPLE_SEEDS, legacy_discovery=True) as api:
            k = Kubectl(api, tempfile.mkdtemp(dir=self.home))
            rows = parse_table(k.run("get", "svc", "-A").stdout)
            self.assertIn("web", [r["NAME"] for r in rows])
            requests = api.stats()["requests"]
            self.assertGreaterEqual(requests.get("/api/v1", 0), 1)  # legacy documents read


if __name__ == "__main__":
    raise SystemExit(run(None if KUBECTL else "kubectl is not installed"))
