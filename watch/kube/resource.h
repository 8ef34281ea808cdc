// The API resources kpx lists and watches, and the request targets for them (docs/architecture.md). The
// selectors are kube-proxy's: it ignores Services claimed by another proxy, headless Services'
// slices, and every Node but its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/store.h"

namespace kpx::watch {

struct ResourceSpec {
  ObjectKind kind = ObjectKind::Service;
  std::string kindName;  // "Service": the kind of the List's items, which carry none
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string plural;    // "services"
  std::string labelSelector;
  std::string fieldSelector;

  // "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices": all namespaces.
  std::string collectionPath() const;
  // "services" or "endpointslices.discovery.k8s.io", for messages.
  std::string qualifiedName() const;
};

ResourceSpec servicesResource();
ResourceSpec endpointSlicesResource();
ResourceSpec nodesResource(std::string_view nodeName);

// A page of the list: limit 0 lists everything at once. The continue token comes from the
// previous page.
std::string listTarget(const ResourceSpec& resource, int64_t limit, std::string_view continueToken);
// A watch from `resourceVersion`, with bookmarks, closed by the server after `timeoutSeconds`.
std::string watchTarget(const ResourceSpec& resource, std::string_view resourceVersion,
                        int64_t timeoutSeconds);

// Go's url.QueryEscape: everything but [A-Za-z0-9-_.~] percent-encoded, space as '+'.
std::string queryEscape(std::string_view text);

// The RBAC rule kpx needs for the resource, for the message of a 403:
// "list,watch on services (apiGroup \"\")".
std::string rbacRule(const ResourceSpec& resource);

}  // namespace kpx::watch
