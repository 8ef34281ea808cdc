#include "watch/kube/informer.h"

#include <cmath>

#include "proxy/log.h"
#include "watch/kube/api_status.h"
#include "watch/object_parser.h"

namespace kpx::watch {
namespace {

// The key the snapshot uses ("ns/name", or "name" for Nodes) and the resourceVersion, read from
// the raw object: a DELETED event's object need not be valid to be removed.
std::string rawKey(const nlohmann::json& object, bool namespaced, std::string& version) {
  version.clear();
  if (!object.is_object()) return {};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  auto text = [&](const char* field) {
    auto it = meta->find(field);
    return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  version = text("resourceVersion");
  const std::string name = text("name");
  if (name.empty()) return {};
  if (!namespaced) return name;
  const std::string ns = text("namespace");
  return (ns.empty() ? std::string("default") : ns) + "/" + name;
}

std::string millis(Clock::TimePoint::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

Informer::Informer(ResourceSpec resource, HttpClientPtr client, const Clock& clock,
                   UniformRandom random, InformerOptions options)
    : resource_(std::move(resource)),
      client_(std::move(client)),
      clock_(clock),
      random_(std::move(random)),
      options_(options),
      backoff_(options.backoff, random_),
      origin_("watch " + resource_.qualifiedName()) {}

void Informer::run(EventSink& sink, std::stop_token stop) {
  bool needList = true;
  while (!stop.stop_requested()) {
    try {
      bool justListed = false;
      if (needList) {
        const ListEnd listed = list(sink, stop);
        if (listed == ListEnd::Stopped) return;
        if (listed == ListEnd::Failed) {
          if (!sleepBackoff(stop)) return;
          continue;
        }
        needList = false;
        justListed = true;
        if (!synced_) {
          synced_ = true;
          sink.synced();
        }
      }
      const WatchSummary watched = watch(sink, stop);
      // A stream that delivered events was healthy, whatever ended it: start backoff over.
      if (watched.events > 0) backoff_.reset();
      switch (watched.end) {
        case WatchEnd::Stopped:
          return;
        case WatchEnd::Expired:
          needList = true;
          // Relist at once, unless the version of a fresh list is already gone: a server in
          // that state must not be hammered.
          if (justListed && watched.events == 0 && !sleepBackoff(stop)) return;
          break;
        case WatchEnd::Relist:
          needList = true;
          if (!sleepBackoff(stop)) return;
          break;
        case WatchEnd::Failed:
          if (!sleepBackoff(stop)) return;
          break;
        case WatchEnd::Closed:
          // The server's timeoutSeconds: resume at once. An empty stream that ends is not
          // healthy (a server closing every watch straight away), so it backs off.
          if (watched.events == 0 && !sleepBackoff(stop)) return;
          break;
      }
    } catch (const std::exception& e) {
      // Nothing here is expected to throw; if it does, it costs a relist, not the agent.
      log::error(origin_ + ": unexpected error: " + e.what() + "; relisting");
      needList = true;
      if (!sleepBackoff(stop)) return;
    }
  }
}

Informer::ListEnd Informer::list(EventSink& sink, std::stop_token stop) {
  const auto started = clock_.now();
  std::unordered_set<std::string> seen;
  std::string continueToken;
  std::string listVersion;
  int64_t limit = options_.pageSize;
  size_t pages = 0;
  while (true) {
    const HttpResult page = client_->get(listTarget(resource_, limit, continueToken), stop);
    if (page.end == HttpResult::End::Stopped) return ListEnd::Stopped;
    if (page.end == HttpResult::End::Complete && page.status == 410 && !continueToken.empty()) {
      // The pages are served from one snapshot, and compaction removed it. As client-go's
      // pager: list everything in one request rather than start paging again.
      log::info("list " + resource_.qualifiedName() +
                ": the continue token expired (410); listing all at once");
      continueToken.clear();
      seen.clear();
      limit = 0;
      continue;
    }
    if (!page.success()) {
      reportFailure("list", page);
      return ListEnd::Failed;
    }
    if (!applyPage(page.body, sink, seen, continueToken, listVersion)) {
      log::warn("list " + resource_.qualifiedName() + " from " + client_->server() +
                ": the answer is not a List");
      return ListEnd::Failed;
    }
    ++pages;
    if (continueToken.empty()) break;
  }
  size_t removed = 0;
  for (auto it = known_.begin(); it != known_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    sink.remove(resource_.kind, it->first);
    it = known_.erase(it);
    ++removed;
  }
  resourceVersion_ = listVersion;
  ++stats_.lists;
  log::info("listed " + std::to_string(seen.size()) + " " + resource_.qualifiedName() + " in " +
            std::to_string(pages) + " page(s), " + millis(clock_.now() - started) +
            " (resourceVersion " + listVersion + ", " + std::to_string(removed) + " removed)");
  return ListEnd::Listed;
}

bool Informer::applyPage(const std::string& body, EventSink& sink,
                         std::unordered_set<std::string>& seen, std::string& continueToken,
                         std::string& listVersion) {
  const auto document = nlohmann::json::parse(body, nullptr, false);
  if (!document.is_object()) return false;
  continueToken.clear();
  if (auto meta = document.find("metadata"); meta != document.end() && meta->is_object()) {
    if (auto it = meta->find("continue"); it != meta->end() && it->is_string())
      continueToken = it->get<std::string>();
    if (auto it = meta->find("resourceVersion"); it != meta->end() && it->is_string())
      listVersion = it->get<std::string>();
  }
  auto items = document.find("items");
  if (items == document.end() || items->is_null()) return true;  // Go writes [] as null
  if (!items->is_array()) return false;
  const bool namespaced = resource_.kind != ObjectKind::Node;
  std::string version;
  for (const nlohmann::json& item : *items) {
    const std::string key = rawKey(item, namespaced, version);
    if (!key.empty()) {
      seen.insert(key);
      // Unchanged since the sink got it: a relist of 10,000 objects costs no parsing.
      auto known = known_.find(key);
      if (known != known_.end() && !version.empty() && known->second == version) continue;
    }
    applyObject(item, key, version, sink);
  }
  return true;
}

Informer::WatchSummary Informer::watch(EventSink& sink, std::stop_token stop) {
  WatchSummary summary;
  WatchStreamDecoder decoder;
  std::string decodeError;
  bool ended = false;  // an ERROR event decided how this stream ends
  const ChunkHandler onChunk = [&](std::string_view bytes) {
    auto fed = decoder.feed(bytes, [&](WatchEvent&& event) {
      ended = !handleEvent(std::move(event), sink, summary);
      return !ended;
    });
    if (!fed) decodeError = fed.error();
    return fed && !ended;
  };
  ++stats_.watches;
  const std::string target = watchTarget(resource_, resourceVersion_, watchTimeoutSeconds());
  log::debug(2, "watch " + client_->server() + target);
  const HttpResult result = client_->stream(target, onChunk, stop);
  const std::string what = "watch " + resource_.qualifiedName() + " (resourceVersion " +
                           resourceVersion_ + ", " + std::to_string(summary.events) + " events)";
  if (result.end == HttpResult::End::Stopped) {
    summary.end = WatchEnd::Stopped;
  } else if (ended) {
    // summary.end was set by handleEvent().
  } else if (!decodeError.empty()) {
    log::warn(what + ": " + decodeError + "; reconnecting");
    summary.end = WatchEnd::Failed;
  } else if (result.end == HttpResult::End::Complete && result.status / 100 == 2) {
    summary.end = WatchEnd::Closed;
    if (decoder.pendingBytes() > 0) {
      log::warn(what + ": the stream ended in the middle of an event (" +
                std::to_string(decoder.pendingBytes()) + " bytes); reconnecting");
      summary.end = WatchEnd::Failed;
    }
  } else if (result.end == HttpResult::End::Complete &&
             statusFromResponse(result.status, result.body).expired()) {
    log::info(what + ": resourceVersion too old (410 Gone); relisting");
    summary.end = WatchEnd::Expired;
  } else {
    reportFailure("watch", result);
    summary.end = WatchEnd::Failed;
  }
  return summary;
}

bool Informer::handleEvent(WatchEvent&& event, EventSink& sink, WatchSummary& summary) {
  const bool namespaced = resource_.kind != ObjectKind::Node;
  std::string version;
  switch (event.type) {
    case WatchEvent::Type::Error: {
      const ApiStatus status = statusFromJson(event.object);
      if (status.expired()) {
        log::info("watch " + resource_.qualifiedName() + ": resourceVersion " + resourceVersion_ +
                  " expired (" + status.message + "); relisting");
        summary.end = WatchEnd::Expired;
      } else {
        log::warn("watch " + resource_.qualifiedName() + ": the server sent an error (code " +
                  std::to_string(status.code) + ": " + status.message + "); relisting");
        summary.end = WatchEnd::Relist;
      }
      return false;
    }
    case WatchEvent::Type::Bookmark:
      rawKey(event.object, namespaced, version);
      break;
    case WatchEvent::Type::Added:
    case WatchEvent::Type::Modified: {
      const std::string key = rawKey(event.object, namespaced, version);
      auto known = key.empty() ? known_.end() : known_.find(key);
      if (known == known_.end() || version.empty() || known->second != version)
        applyObject(event.object, key, version, sink);
      break;
    }
    case WatchEvent::Type::Deleted: {
      const std::string key = rawKey(event.object, namespaced, version);
      if (!key.empty() && known_.erase(key) > 0) sink.remove(resource_.kind, key);
      break;
    }
  }
  if (!version.empty()) resourceVersion_ = version;
  ++summary.events;
  ++stats_.events;
  return true;
}

void Informer::applyObject(const nlohmann::json& object, const std::string& key,
                           std::string version, EventSink& sink) {
  ParseResult parsed = parseObject(object, resource_.kindName);
  switch (parsed.status) {
    case ParseResult::Status::Parsed:
      for (Object& typed : parsed.objects) {
        known_[keyOf(typed)] = version;
        sink.upsert(std::move(typed));
      }
      return;
    case ParseResult::Status::Ignored:
      log::debug(1, origin_ + ": ignoring an object of kind " + parsed.kind);
      return;
    case ParseResult::Status::Invalid:
      for (ObjectError& error : parsed.errors) {
        error.origin = origin_;
        sink.invalid(error);
      }
      // What the sink held is no longer what the API server has: drop it rather than serve a
      // stale version. A later valid version comes back as an upsert.
      if (!key.empty() && known_.erase(key) > 0) sink.remove(resource_.kind, key);
      return;
  }
}

void Informer::reportFailure(std::string_view verb, const HttpResult& result) {
  const std::string what = std::string(verb) + " " + resource_.qualifiedName();
  if (result.end != HttpResult::End::Complete) {
    log::warn(what + " from " + client_->server() + ": " + std::string(toString(result.end)) +
              (result.error.empty() ? "" : ": " + result.error));
    return;
  }
  const ApiStatus status = statusFromResponse(result.status, result.body);
  if (result.status == 403) {
    log::error("kpx needs RBAC: " + rbacRule(resource_) + "; the API server refused to " + what +
               ": " + status.message);
  } else if (result.status == 401) {
    log::error("the API server " + client_->server() +
               " rejected kpx's credentials (401 Unauthorized) to " + what + ": " + status.message +
               "; check the token or client certificate");
  } else {
    log::warn(what + " from " + client_->server() + ": HTTP " + std::to_string(result.status) +
              ": " + status.message);
  }
}

bool Informer::sleepBackoff(std::stop_token stop) {
  ++stats_.failures;
  const auto delay = backoff_.next();
  log::debug(1,
             resource_.qualifiedName() + ": retrying in " + std::to_string(delay.count()) + " ms");
  return clock_.sleepFor(delay, stop);
}

int64_t Informer::watchTimeoutSeconds() {
  const auto min = options_.minWatchTimeout.count();
  const double r = random_ ? random_() : 0.0;
  return min + static_cast<int64_t>(std::floor(static_cast<double>(min) * r));
}

}  // namespace kpx::watch
