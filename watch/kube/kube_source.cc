#include "watch/kube/kube_source.h"

#include <thread>

#include "proxy/log.h"
#include "watch/kube/serialized_sink.h"
#include "watch/kube/token_source.h"

namespace kpx::watch {

KubeSource::KubeSource(RestConfig config, KubeSourceOptions options, const Clock& clock)
    : clock_(clock), options_(std::move(options)) {
  auto shared = std::make_shared<const RestConfig>(std::move(config));
  auto tokens = std::make_shared<TokenSource>(shared->token, shared->tokenFile);
  clients_ = [shared, tokens, http = options_.http, &clock]() -> HttpClientPtr {
    return std::make_unique<CurlHttpClient>(shared, tokens, http, clock);
  };
}

KubeSource::KubeSource(ClientFactory clients, const Clock& clock, KubeSourceOptions options)
    : clients_(std::move(clients)), clock_(clock), options_(std::move(options)) {}

std::vector<ResourceSpec> KubeSource::resources() const {
  std::vector<ResourceSpec> list{servicesResource(), endpointSlicesResource()};
  if (!options_.nodeName.empty()) list.push_back(nodesResource(options_.nodeName));
  return list;
}

void KubeSource::run(EventSink& sink, std::stop_token stop) {
  const std::vector<ResourceSpec> specs = resources();
  if (options_.nodeName.empty())
    log::warn("no node name: the Node object is not watched (no topology labels)");
  // Clients are made here, on one thread: the first libcurl handle initialises the library.
  std::vector<std::unique_ptr<Informer>> informers;
  for (const ResourceSpec& spec : specs)
    informers.push_back(
        std::make_unique<Informer>(spec, clients_(), clock_, defaultRandom(), options_.informer));
  SerializedSink serialized(sink, informers.size());
  {
    std::vector<std::jthread> threads;
    for (auto& informer : informers)
      threads.emplace_back([&serialized, &informer, stop] { informer->run(serialized, stop); });
  }  // joined: every informer returns once `stop` is requested
}

tl::expected<std::unique_ptr<KubeSource>, std::string> makeKubeSource(
    const ConnectionOptions& connection, KubeSourceOptions options, const Clock& clock) {
  auto config = resolveRestConfig(connection);
  if (!config) return tl::unexpected(config.error());
  log::info("API server " + config->server + " (" + config->origin + ")");
  return std::make_unique<KubeSource>(std::move(*config), std::move(options), clock);
}

}  // namespace kpx::watch
