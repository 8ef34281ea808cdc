"""Writes the Services, EndpointSlices and the Node of one test case, as kubectl would print them.

The objects go into one `kind: List` JSON file (docs/cli.md: kpx reads YAML or JSON, List objects
included), so what kpx reads here is the same shape as `kubectl get svc,endpointslices -o json`.

    m = Manifests(tmpdir, V4)
    m.service("web", ports=standard_ports(node_port=30080), type="NodePort")
    m.endpoints("web", [Endpoint("pod1"), Endpoint("pod2", node=OTHER_NODE)])
    m.write()
"""
import itertools
import json
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence

from topology import TCP_PORT, UDP_PORT, V4, V6, FamilyAddrs

NAMESPACE = "e2e"
NODE_NAME = "e2e-node"        # the node kpx runs as (--node-name)
OTHER_NODE = "e2e-other-node"  # endpoints "elsewhere" (they are real pods, so a wrong pick shows)

_uids = itertools.count(1)


def _uid() -> str:
    return f"0e2e0000-0000-4000-8000-{next(_uids):012d}"


@dataclass(frozen=True)
class Port:
    name: str
    protocol: str            # TCP | UDP | SCTP
    port: int                # the service port
    target: int              # the pod port (podserver: TCP/SCTP 8080, UDP 5353)
    node_port: Optional[int] = None


def standard_ports(node_port: Optional[int] = None, sctp: bool = False) -> List[Port]:
    """tcp 80 -> 8080 and udp 53 -> 5353 (NodePorts node_port and node_port+1 when given)."""
    np = (lambda k: node_port + k) if node_port else (lambda k: None)
    ports = [Port("tcp", "TCP", 80, TCP_PORT, np(0)), Port("udp", "UDP", 53, UDP_PORT, np(1))]
    if sctp:
        ports.append(Port("sctp", "SCTP", 80, TCP_PORT, np(2)))
    return ports


@dataclass(frozen=True)
class Endpoint:
    pod: str                          # "pod1".. (its address comes from the topology)
    node: str = NODE_NAME
    ready: Optional[bool] = True      # None: field left out (means ready)
    serving: Optional[bool] = None
    terminating: Optional[bool] = None


class Manifests:
    def __init__(self, directory: str, fam: FamilyAddrs, node_name: str = NODE_NAME):
        self.directory = directory
        self.fam = fam
        self.objects: List[dict] = [self._node(node_name)]
        self._ports = {}

    def _node(self, name: str) -> dict:
        return {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": _uid(),
                         "labels": {"kubernetes.io/hostname": name}},
            "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24", "fd00:10:244::/64"]},
            "status": {"addresses": [{"type": "InternalIP", "address": V4.node},
                                     {"type": "InternalIP", "address": V6.node},
                                     {"type": "Hostname", "address": name}]},
        }

    def service(self, name: str, ports: Sequence[Port], type: str = "ClusterIP",
                cluster_ip: Optional[str] = None, external_ips: Sequence[str] = (),
                lb_ips: Sequence[str] = (), source_ranges: Sequence[str] = (),
                external_policy: Optional[str] = None, internal_policy: Optional[str] = None,
                affinity_seconds: Optional[int] = None, health_check_node_port: Optional[int] = None
                ) -> dict:
        family = "IPv4" if self.fam.family == 4 else "IPv6"
        spec = {
            "type": type,
            "clusterIP": cluster_ip, "clusterIPs": [cluster_ip],
            "ipFamilies": [family], "ipFamilyPolicy": "SingleStack",
            "selector": {"app": name},
            "ports": [self._service_port(p) for p in ports],
            "sessionAffinity": "ClientIP" if affinity_seconds else "None",
        }
        if affinity_seconds:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": affinity_seconds}}
        if external_ips:
            spec["externalIPs"] = list(external_ips)
        if source_ranges:
            spec["loadBalancerSourceRanges"] = list(source_ranges)
        if type in ("NodePort", "LoadBalancer") or external_ips:
            spec["externalTrafficPolicy"] = external_policy or "Cluster"
        if health_check_node_port:
            spec["healthCheckNodePort"] = health_check_node_port
        spec["internalTrafficPolicy"] = internal_policy or "Cluster"
        svc = {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": NAMESPACE, "uid": _uid()},
            "spec": spec,
            "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in lb_ips]} if lb_ips else {}},
        }
        self._ports[name] = list(ports)
        self.objects.append(svc)
        return svc

    @staticmethod
    def _service_port(p: Port) -> dict:
        out = {"name": p.name, "protocol": p.protocol, "port": p.port, "targetPort": p.target}
        if p.node_port:
            out["nodePort"] = p.node_port
        return out

    def endpoints(self, service: str, endpoints: Sequence[Endpoint], slice_suffix: str = "a") -> dict:
        """One EndpointSlice of `service` (call again with another suffix for a second slice)."""
        eps = []
        for e in endpoints:
            conditions = {k: v for k, v in (("ready", e.ready), ("serving", e.serving),
                                            ("terminating", e.terminating)) if v is not None}
            eps.append({
                "addresses": [self.fam.pods[int(e.pod[len("pod"):]) - 1]],
                "conditions": conditions,
                "nodeName": e.node,
                "targetRef": {"kind": "Pod", "namespace": NAMESPACE, "name": e.pod},
            })
        sl = {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{service}-{slice_suffix}", "namespace": NAMESPACE, "uid": _uid(),
                         "labels": {"kubernetes.io/service-name": service,
                                    "endpointslice.kubernetes.io/managed-by": "e2e"}},
            "addressType": "IPv4" if self.fam.family == 4 else "IPv6",
            "ports": [{"name": p.name, "protocol": p.protocol, "port": p.target}
                      for p in self._ports[service]],
            "endpoints": eps,
        }
        self.objects.append(sl)
        return sl

    def write(self, filename: str = "cluster.json") -> str:
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, filename)
        with open(path, "w") as fh:
            json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
                       "items": self.objects}, fh, indent=2)
        return path

