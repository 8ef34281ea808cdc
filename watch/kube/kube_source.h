// The API server as a Source (docs/architecture.md): three informers, as kube-proxy runs them, each on its
// own thread with its own connection: Services (not claimed by another proxy), EndpointSlices
// (not of headless Services) and this node's Node object. synced() once all three have listed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/clock.h"
#include "proxy/source.h"
#include "watch/kube/curl_http_client.h"
#include "watch/kube/informer.h"
#include "watch/kube/rest_config.h"

namespace kpx::watch {

struct KubeSourceOptions {
  // Only this Node is watched (fieldSelector metadata.name=...). Empty: Nodes are not watched
  // (kpx then has no node labels or addresses; the CLI defaults it to the hostname).
  std::string nodeName;
  InformerOptions informer;
  HttpOptions http;
};

class KubeSource final : public Source {
 public:
  // Makes one HttpClient per informer.
  using ClientFactory = std::function<HttpClientPtr()>;

  // The production wiring: libcurl clients for `config`. `clock` (which must outlive the
  // source) times the informers' backoff and the clients' stall detection.
  KubeSource(RestConfig config, KubeSourceOptions options, const Clock& clock = systemClock());
  // Everything outside the process injected (tests).
  KubeSource(ClientFactory clients, const Clock& clock, KubeSourceOptions options);

  // Runs until `stop` is requested and returns at once then (an idle watch, a request in flight
  // and a backoff sleep are all interrupted). Sink calls are serialized; the sink need not be
  // thread-safe.
  void run(EventSink& sink, std::stop_token stop) override;

  // The resources this source watches, in order: Services, EndpointSlices[, Nodes].
  std::vector<ResourceSpec> resources() const;

 private:
  ClientFactory clients_;
  const Clock& clock_;
  KubeSourceOptions options_;
};

// `kpx run --kubeconfig/--master` or in-cluster: resolves the connection and builds the source.
// The error says which file or setting is wrong.
tl::expected<std::unique_ptr<KubeSource>, std::string> makeKubeSource(
    const ConnectionOptions& connection, KubeSourceOptions options,
    const Clock& clock = systemClock());

}  // namespace kpx::watch

// The names proxy/cmd wires (docs/architecture.md: only cmd/ knows the concrete sources).
namespace kpx {
using watch::ConnectionOptions;
using watch::KubeSource;
using watch::KubeSourceOptions;
using watch::makeKubeSource;
}  // namespace kpx
