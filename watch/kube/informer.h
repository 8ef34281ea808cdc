// One resource kept in sync with the API server, with client-go's reflector semantics: a
// paginated list, then a watch from the list's resourceVersion (with bookmarks and a randomised
// server-side timeout), resumed from the last resourceVersion seen after every disconnect, and a
// fresh list when the server says that version is gone (410). A relist only sends the sink
// what changed: upserts for new or modified objects, removes for vanished ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "proxy/clock.h"
#include "proxy/source.h"
#include "watch/kube/backoff.h"
#include "watch/kube/http_client.h"
#include "watch/kube/resource.h"
#include "watch/kube/watch_stream_decoder.h"

namespace kpx::watch {

struct InformerOptions {
  int64_t pageSize = 500;
  // Watches ask the server to end them after a random time in [min, 2*min), as client-go does,
  // so the watches of many nodes do not all end at once.
  std::chrono::seconds minWatchTimeout{std::chrono::minutes(5)};
  BackoffPolicy backoff;
};

struct InformerStats {
  uint64_t lists = 0;     // complete lists (first one and relists)
  uint64_t watches = 0;   // watch requests made
  uint64_t events = 0;    // watch events applied, bookmarks included
  uint64_t failures = 0;  // attempts that ended in a backoff
};

class Informer {
 public:
  // `clock` times the lists and the backoff sleeps.
  Informer(ResourceSpec resource, HttpClientPtr client, const Clock& clock, UniformRandom random,
           InformerOptions options = {});

  // Lists and watches until `stop` is requested. Every sink call comes from the calling
  // thread; synced() once, after the first complete list. Never throws.
  void run(EventSink& sink, std::stop_token stop);

  const ResourceSpec& resource() const { return resource_; }
  const InformerStats& stats() const { return stats_; }

 private:
  enum class ListEnd : uint8_t { Listed, Failed, Stopped };
  enum class WatchEnd : uint8_t { Closed, Expired, Relist, Failed, Stopped };
  struct WatchSummary {
    WatchEnd end = WatchEnd::Failed;
    uint64_t events = 0;
  };

  ListEnd list(EventSink& sink, std::stop_token stop);
  // One page's items; false if the page is not a List.
  bool applyPage(const std::string& body, EventSink& sink, std::unordered_set<std::string>& seen,
                 std::string& continueToken, std::string& listVersion);
  WatchSummary watch(EventSink& sink, std::stop_token stop);
  // false: stop reading this stream (an ERROR event set summary.end).
  bool handleEvent(WatchEvent&& event, EventSink& sink, WatchSummary& summary);
  // An ADDED/MODIFIED object or a list item: upsert() it, or invalid() and drop what was held.
  void applyObject(const nlohmann::json& object, const std::string& key, std::string version,
                   EventSink& sink);
  void reportFailure(std::string_view verb, const HttpResult& result);
  bool sleepBackoff(std::stop_token stop);
  int64_t watchTimeoutSeconds();

  ResourceSpec resource_;
  HttpClientPtr client_;
  const Clock& clock_;
  UniformRandom random_;
  InformerOptions options_;
  Backoff backoff_;
  std::string origin_;  // "watch services", for per-object errors
  // What the sink holds of this resource: key -> resourceVersion. Lets a relist skip unchanged
  // objects and remove the vanished ones.
  std::unordered_map<std::string, std::string> known_;
  std::string resourceVersion_;  // where the next watch resumes
  bool synced_ = false;
  InformerStats stats_;
};

}  // namespace kpx::watch
