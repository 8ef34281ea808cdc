"""What the fake serves besides objects: discovery documents and server-side printing (Tables).

kubectl asks for `application/json;as=Table;g=meta.k8s.io;v=v1` and prints the cells it gets, so
`kubectl get svc` shows CLUSTER-IP and PORT(S) only because the server computed them. The columns
and cell formats here follow kube-apiserver's printers for Services, EndpointSlices, Nodes and
Namespaces (same column names, `<none>` / `<unset>` / `<pending>` placeholders, Go's human ages).
"""
import calendar
import time
from typing import Dict, List, Optional

from fake_store import RESOURCES, Record, Resource

READ_VERBS = ["get", "list", "watch"]
AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def _groups() -> Dict[str, List[Resource]]:
    groups: Dict[str, List[Resource]] = {}
    for res in RESOURCES.values():
        groups.setdefault(res.group, []).append(res)
    return groups


def api_versions(server_address: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def _group_doc(name: str) -> dict:
    gv = {"groupVersion": f"{name}/v1", "version": "v1"}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def api_group_list() -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_doc(g) for g in sorted(_groups()) if g]}


def api_group(name: str) -> Optional[dict]:
    if not name or name not in _groups():
        return None
    return dict(kind="APIGroup", apiVersion="v1", **_group_doc(name))


def api_resource_list(group: str, version: str) -> Optional[dict]:
    resources = _groups().get(group)
    if resources is None or version != "v1":
        return None
    out = []
    for res in sorted(resources, key=lambda r: r.name):
        entry = {"name": res.name, "singularName": res.singular, "namespaced": res.namespaced,
                 "kind": res.kind, "verbs": READ_VERBS}
        if res.short_names:
            entry["shortNames"] = list(res.short_names)
        if res.categories:
            entry["categories"] = list(res.categories)
        out.append(entry)
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": out}


def aggregated_discovery(core: bool, version: str) -> dict:
    """The aggregated discovery document (apidiscovery.k8s.io v2 or v2beta1) of /api or /apis."""
    items = []
    for group, resources in sorted(_groups().items()):
        if (group == "") != core:
            continue
        rs = []
        for res in sorted(resources, key=lambda r: r.name):
            entry = {"resource": res.name,
                     "responseKind": {"group": res.group, "version": res.version,
                                      "kind": res.kind},
                     "scope": "Namespaced" if res.namespaced else "Cluster",
                     "singularResource": res.singular, "verbs": READ_VERBS}
            if res.short_names:
                entry["shortNames"] = list(res.short_names)
            if res.categories:
                entry["categories"] = list(res.categories)
            rs.append(entry)
        meta = {"creationTimestamp": None}
        if group:
            meta["name"] = group
        items.append({"metadata": meta,
                      "versions": [{"version": "v1", "resources": rs, "freshness": "Current"}]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}


# ---- Tables ------------------------------------------------------------------------------

def human_duration(seconds: float) -> str:
    """Go's k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(meta: dict) -> str:
    ts = meta.get("creationTimestamp")
    if not ts:
        return "<unknown>"
    try:  # RFC 3339 in UTC, as Kubernetes writes it (fractions, if any, ignored)
        then = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return "<unknown>"
    return human_duration(time.time() - then)


def _col(name: str, desc: str, priority: int = 0, fmt: str = "") -> dict:
    return {"name": name, "type": "string", "format": fmt, "description": desc,
            "priority": priority}


_NAME = _col("Name", "Name must be unique within a namespace.", fmt="name")
_AGE = _col("Age", "CreationTimestamp is a timestamp representing the server time when this "
                   "object was created.")

COLUMNS = {
    "services": [_NAME, _col("Type", "type determines how the Service is exposed."),
                 _col("Cluster-IP", "clusterIP is the IP address of the service."),
                 _col("External-IP", "externalIPs is a list of IP addresses for which nodes "
                                     "in the cluster will also accept traffic."),
                 _col("Port(s)", "The list of ports that are exposed by this service."),
                 _AGE,
                 _col("Selector", "Route service traffic to pods with label keys and values "
                                  "matching this selector.", priority=1)],
    "endpointslices": [_NAME, _col("AddressType", "addressType specifies the type of address "
                                                  "carried by this EndpointSlice."),
                       _col("Ports", "ports specifies the list of network ports exposed."),
                       _col("Endpoints", "endpoints is a list of unique endpoints."), _AGE],
    "nodes": [_NAME, _col("Status", "The status of the node"),
              _col("Roles", "The roles of the node"), _AGE,
              _col("Version", "Kubelet Version reported by the node."),
              _col("Internal-IP", "List of addresses reachable to the node.", 1),
              _col("External-IP", "List of addresses reachable to the node.", 1),
              _col("OS-Image", "OS Image reported by the node.", 1),
              _col("Kernel-Version", "Kernel Version reported by the node.", 1),
              _col("Container-Runtime", "ContainerRuntime Version reported by the node.", 1)],
    "namespaces": [_NAME, _col("Status", "The status of the namespace"), _AGE],
}


def _labels_string(selector: Optional[dict]) -> str:
    if not selector:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _list_with_more(items: List[str], total: int, limit: int = 3) -> str:
    if total > limit:
        return ",".join(items[:limit]) + f" + {total - limit} more..."
    return ",".join(items) or "<unset>"


def _service_cells(obj: dict) -> list:
    spec = obj.get("spec") or {}
    svc_type = spec.get("type") or "ClusterIP"
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    internal = ips[0] if ips else "<none>"
    external_ips = spec.get("externalIPs") or []
    if svc_type in ("ClusterIP", "NodePort"):
        external = ",".join(external_ips) or "<none>"
    elif svc_type == "LoadBalancer":
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        lb = sorted({i.get("ip") or i.get("hostname") for i in ingress
                     if i.get("ip") or i.get("hostname")})
        lb_text = ",".join(lb)
        if len(lb_text) > 16:  # kubectl clips it unless -o wide; the server always clips
            lb_text = lb_text[:13] + "..."
        if external_ips:
            external = ",".join(([lb_text] if lb_text else []) + external_ips)
        else:
            external = lb_text or "<pending>"
    elif svc_type == "ExternalName":
        external = spec.get("externalName", "")
    else:
        external = "<unknown>"
    ports = []
    for p in spec.get("ports") or []:
        proto = p.get("protocol") or "TCP"
        if p.get("nodePort"):
            ports.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            ports.append(f"{p.get('port')}/{proto}")
    return [obj["metadata"]["name"], svc_type, internal, external, ",".join(ports) or "<none>",
            age(obj["metadata"]), _labels_string(spec.get("selector"))]


def _endpointslice_cells(obj: dict) -> list:
    ports = obj.get("ports") or []
    port_list = [str(p["port"]) if p.get("port") is not None else (p.get("name") or "*")
                 for p in ports]
    addresses = [a for ep in obj.get("endpoints") or [] for a in ep.get("addresses") or []]
    return [obj["metadata"]["name"], obj.get("addressType", ""),
            _list_with_more(port_list, len(port_list)),
            _list_with_more(addresses, len(addresses)), age(obj["metadata"])]


def _node_cells(obj: dict) -> list:
    status = obj.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    states = []
    if "Ready" in conditions:
        states.append("Ready" if conditions["Ready"] == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if (obj.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    labels = obj["metadata"].get("labels") or {}
    roles = set()
    for k, v in labels.items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/"):]:
            roles.add(k[len("node-role.kubernetes.io/"):])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        for a in status.get("addresses") or []:
            if a.get("type") == kind:
                return a.get("address", "")
        return "<none>"
    return [obj["metadata"]["name"], ",".join(states), ",".join(sorted(roles)) or "<none>",
            age(obj["metadata"]), info.get("kubeletVersion", ""), address("InternalIP"),
            address("ExternalIP"), info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _namespace_cells(obj: dict) -> list:
    phase = (obj.get("status") or {}).get("phase") or "Active"
    return [obj["metadata"]["name"], phase, age(obj["metadata"])]


CELLS = {"services": _service_cells, "endpointslices": _endpointslice_cells,
         "nodes": _node_cells, "namespaces": _namespace_cells}


def table_row(rec: Record, include_object: str, table_version: str = "v1",
              obj: Optional[dict] = None) -> dict:
    obj = obj if obj is not None else rec.obj()
    row = {"cells": CELLS[rec.res.name](obj)}
    if include_object == "Object":
        obj = dict(kind=rec.res.kind, apiVersion=rec.res.api_version, **obj)
        row["object"] = obj
    elif include_object != "None":
        row["object"] = {"kind": "PartialObjectMetadata",
                         "apiVersion": f"meta.k8s.io/{table_version}",
                         "metadata": obj["metadata"]}
    return row


def table(res: Resource, recs: List[Record], meta: dict, include_object: str,
          table_version: str, headers: bool = True) -> dict:
    out = {"kind": "Table", "apiVersion": f"meta.k8s.io/{table_version}", "metadata": meta}
    if headers:
        out["columnDefinitions"] = COLUMNS[res.name]
    out["rows"] = [table_row(r, include_object, table_version) for r in recs]
    return out
