#include "watch/kube/resource.h"

#include <array>

namespace kpx::watch {
namespace {

void appendParam(std::string& target, std::string_view key, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += key;
  target += '=';
  target += queryEscape(value);
}

void appendSelectors(std::string& target, const ResourceSpec& resource) {
  if (!resource.labelSelector.empty()) appendParam(target, "labelSelector", resource.labelSelector);
  if (!resource.fieldSelector.empty()) appendParam(target, "fieldSelector", resource.fieldSelector);
}

}  // namespace

std::string ResourceSpec::collectionPath() const {
  return (group.empty() ? "/api/" : "/apis/" + group + "/") + version + "/" + plural;
}

std::string ResourceSpec::qualifiedName() const {
  return group.empty() ? plural : plural + "." + group;
}

ResourceSpec servicesResource() {
  return ResourceSpec{.kind = ObjectKind::Service,
                      .kindName = "Service",
                      .group = "",
                      .version = "v1",
                      .plural = "services",
                      .labelSelector = "!" + std::string(kServiceProxyNameLabel),
                      .fieldSelector = ""};
}

ResourceSpec endpointSlicesResource() {
  return ResourceSpec{.kind = ObjectKind::EndpointSlice,
                      .kindName = "EndpointSlice",
                      .group = "discovery.k8s.io",
                      .version = "v1",
                      .plural = "endpointslices",
                      .labelSelector = "!" + std::string(kHeadlessLabel) + ",!" +
                                       std::string(kServiceProxyNameLabel),
                      .fieldSelector = ""};
}

ResourceSpec nodesResource(std::string_view nodeName) {
  return ResourceSpec{.kind = ObjectKind::Node,
                      .kindName = "Node",
                      .group = "",
                      .version = "v1",
                      .plural = "nodes",
                      .labelSelector = "",
                      .fieldSelector = "metadata.name=" + std::string(nodeName)};
}

std::string listTarget(const ResourceSpec& resource, int64_t limit,
                       std::string_view continueToken) {
  std::string target = resource.collectionPath();
  if (limit > 0) appendParam(target, "limit", std::to_string(limit));
  if (!continueToken.empty()) appendParam(target, "continue", continueToken);
  appendSelectors(target, resource);
  return target;
}

std::string watchTarget(const ResourceSpec& resource, std::string_view resourceVersion,
                        int64_t timeoutSeconds) {
  std::string target = resource.collectionPath();
  appendParam(target, "watch", "true");
  if (!resourceVersion.empty()) appendParam(target, "resourceVersion", resourceVersion);
  appendParam(target, "allowWatchBookmarks", "true");
  if (timeoutSeconds > 0) appendParam(target, "timeoutSeconds", std::to_string(timeoutSeconds));
  appendSelectors(target, resource);
  return target;
}

std::string queryEscape(std::string_view text) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '_' || u == '.' || u == '~') {
      out += c;
    } else if (u == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::string rbacRule(const ResourceSpec& resource) {
  return "list,watch on " + resource.plural + " (apiGroup \"" + resource.group + "\")";
}

}  // namespace kpx::watch
