// The benchmark's services: N services x M endpoints, the same ones that
// bench/kube_proxy_layouts/gen.py writes as kube-proxy rules, so kpx and the peer program the
// same cluster. Service i: ns<i%50>/svc<i>, port "http" 80/TCP, ClusterIP 10.96.0.10+i, NodePort
// 30000+i, endpoints 10.244.a.b:8080 (gen.py's ep_ip), cluster CIDR 10.244.0.0/16.
#pragma once

#include "proxy/state.h"

namespace kpx::bench {

struct Workload {
  int services = 0;
  int endpoints = 0;
};

// State A: every service with its original endpoints.
ProxyState buildWorkload(const Workload& w);

// State B: A with endpoint 0 of the last service replaced by 10.244.255.252:8080 (gen.py's
// --changed default and REPLACEMENT_IP), the change gen.py's partial files make.
ProxyState withReplacedEndpoint(const ProxyState& a, const Workload& w);

// The key of the service port whose endpoint changes between A and B.
ServicePortKey changedKey(const Workload& w);

}  // namespace kpx::bench
