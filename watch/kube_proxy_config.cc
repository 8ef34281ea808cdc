#include "watch/kube_proxy_config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "proxy/ip.h"
#include "watch/config_reader.h"
#include "watch/field_reader.h"
#include "watch/formats.h"
#include "watch/yaml_to_json.h"

namespace kpx::watch {
namespace {

using nlohmann::json;

constexpr std::string_view kApiVersion = "kubeproxy.config.k8s.io/v1alpha1";
constexpr std::string_view kKind = "KubeProxyConfiguration";
constexpr int kHealthzPort = 10256;
constexpr int kMetricsPort = 10249;
constexpr int32_t kDefaultMasqueradeBit = 14;
constexpr Duration kDefaultSyncPeriod = std::chrono::seconds(30);
constexpr Duration kDefaultMinSyncPeriod = std::chrono::seconds(1);

// A prefix written as one ("10.0.0.0/8"): CIDR::parse alone also takes a bare address.
bool isCIDR(std::string_view text) {
  return text.find('/') != std::string_view::npos && CIDR::parse(text).has_value();
}

// What one proxier section (iptables, ipvs, nftables) says about the settings the mode picks.
struct ProxierSection {
  std::string name;
  std::optional<bool> masqueradeAll;
  std::optional<int64_t> masqueradeBit;
  std::optional<Duration> minSyncPeriod;
  std::optional<Duration> syncPeriod;
  Duration defaultMinSyncPeriod = kDefaultMinSyncPeriod;  // ipvs: 0 (kube-proxy leaves it unset)
};

// kube-proxy defaults a zero period, so "0s" in kubeadm's output means "the default".
Duration orDefault(const std::optional<Duration>& value, Duration fallback) {
  return value && *value != Duration::zero() ? *value : fallback;
}

ProxierSection readProxierSection(ConfigReader& r, const json& root, const std::string& name,
                                  bool hasMasquerade) {
  ProxierSection s;
  s.name = name;
  if (name == "ipvs") s.defaultMinSyncPeriod = Duration::zero();
  const json* section = r.object(root, "", name);
  if (!section) return s;
  s.minSyncPeriod = r.duration(*section, name, "minSyncPeriod");
  s.syncPeriod = r.duration(*section, name, "syncPeriod");
  if (hasMasquerade) {
    s.masqueradeAll = r.boolean(*section, name, "masqueradeAll");
    s.masqueradeBit = r.integer(*section, name, "masqueradeBit");
    if (s.masqueradeBit && (*s.masqueradeBit < 0 || *s.masqueradeBit > 31))
      r.error(childPath(name, "masqueradeBit"),
              std::to_string(*s.masqueradeBit) + ": must be within the range [0, 31]");
  }
  return s;
}

// A section the mode does not read that still sets one of the settings the mode takes from
// another section: kube-proxy ignores it silently; kpx says so.
void warnIgnoredSettings(ConfigReader& r, const ProxierSection& s, bool periods, bool masquerade,
                         std::string_view mode, const std::string& periodsFrom,
                         const std::string& masqueradeFrom) {
  const auto ignored = [&](std::string_view field, const std::string& from) {
    r.warn(childPath(s.name, field), "ignored in " + std::string(mode) +
                                         " mode (kube-proxy reads " + childPath(from, field) + ")");
  };
  if (periods) {
    if (s.minSyncPeriod && *s.minSyncPeriod != Duration::zero() &&
        *s.minSyncPeriod != s.defaultMinSyncPeriod)
      ignored("minSyncPeriod", periodsFrom);
    if (s.syncPeriod && *s.syncPeriod != Duration::zero() && *s.syncPeriod != kDefaultSyncPeriod)
      ignored("syncPeriod", periodsFrom);
  }
  if (masquerade) {
    if (s.masqueradeAll.value_or(false)) ignored("masqueradeAll", masqueradeFrom);
    if (s.masqueradeBit && *s.masqueradeBit != kDefaultMasqueradeBit)
      ignored("masqueradeBit", masqueradeFrom);
  }
}

void applyProxierSections(ConfigReader& r, const json& root, const std::string& modeText,
                          AgentConfig& c) {
  ProxierSection iptables = readProxierSection(r, root, "iptables", true);
  ProxierSection ipvs = readProxierSection(r, root, "ipvs", false);
  ProxierSection nftables = readProxierSection(r, root, "nftables", true);
  if (const json* s = r.object(root, "", "iptables"))
    c.localhostNodePorts = r.boolean(*s, "iptables", "localhostNodePorts").value_or(true);

  // kube-proxy's conversion: periods from the mode's own section, masquerade settings from
  // nftables in nftables mode and from iptables otherwise ("" is iptables to kube-proxy).
  const ProxierSection& periods = c.mode == ProxyMode::IPVS                            ? ipvs
                                  : c.mode == ProxyMode::NFTables && !modeText.empty() ? nftables
                                                                                       : iptables;
  const ProxierSection& masquerade =
      c.mode == ProxyMode::NFTables && !modeText.empty() ? nftables : iptables;
  c.minSyncPeriod = orDefault(periods.minSyncPeriod, periods.defaultMinSyncPeriod);
  c.syncPeriod = orDefault(periods.syncPeriod, kDefaultSyncPeriod);
  c.proxy.masqueradeAll = masquerade.masqueradeAll.value_or(false);
  if (masquerade.masqueradeBit && *masquerade.masqueradeBit >= 0 && *masquerade.masqueradeBit <= 31)
    c.proxy.masqueradeBit = static_cast<uint8_t>(*masquerade.masqueradeBit);

  const std::string mode(modeText.empty() ? "iptables" : modeText);
  for (const ProxierSection* s : {&iptables, &ipvs, &nftables})
    warnIgnoredSettings(r, *s, s != &periods, s != &masquerade && s != &ipvs, mode, periods.name,
                        masquerade.name);

  if (c.minSyncPeriod < Duration::zero())
    r.error(childPath(periods.name, "minSyncPeriod"),
            formatDuration(c.minSyncPeriod) + ": must be greater than or equal to 0");
  if (c.syncPeriod <= Duration::zero())
    r.error(childPath(periods.name, "syncPeriod"),
            formatDuration(c.syncPeriod) + ": must be greater than 0");
  else if (c.minSyncPeriod > c.syncPeriod)
    r.error(childPath(periods.name, "syncPeriod"),
            formatDuration(c.syncPeriod) + ": must be greater than or equal to " +
                childPath(periods.name, "minSyncPeriod") + " (" + formatDuration(c.minSyncPeriod) +
                ")");
}

void readIPVS(ConfigReader& r, const json& root, bool ipvsMode, IPVSConfig& ipvs) {
  const json* s = r.object(root, "", "ipvs");
  if (!s) return;
  ipvs.scheduler = r.string(*s, "ipvs", "scheduler").value_or("");
  ipvs.excludeCIDRs = r.strings(*s, "ipvs", "excludeCIDRs").value_or(std::vector<std::string>{});
  ipvs.strictARP = r.boolean(*s, "ipvs", "strictARP").value_or(false);
  ipvs.tcpTimeout = r.duration(*s, "ipvs", "tcpTimeout").value_or(Duration::zero());
  ipvs.tcpFinTimeout = r.duration(*s, "ipvs", "tcpFinTimeout").value_or(Duration::zero());
  ipvs.udpTimeout = r.duration(*s, "ipvs", "udpTimeout").value_or(Duration::zero());
  if (!ipvsMode) return;  // kube-proxy validates this section in ipvs mode only
  static const std::vector<std::string> kSchedulers = {"",      "rr", "wrr", "lc",  "wlc", "lblc",
                                                       "lblcr", "sh", "dh",  "sed", "nq",  "mh"};
  if (std::find(kSchedulers.begin(), kSchedulers.end(), ipvs.scheduler) == kSchedulers.end())
    r.error("ipvs.scheduler", "\"" + ipvs.scheduler +
                                  "\": must be one of rr, wrr, lc, wlc, lblc, lblcr, sh, dh, sed, "
                                  "nq, mh, or empty (rr)");
  for (size_t i = 0; i < ipvs.excludeCIDRs.size(); ++i)
    if (!isCIDR(ipvs.excludeCIDRs[i]))
      r.error(indexPath("ipvs.excludeCIDRs", i), ipvs.excludeCIDRs[i] + ": must be a CIDR");
  for (auto [name, value] :
       {std::pair{"tcpTimeout", ipvs.tcpTimeout}, std::pair{"tcpFinTimeout", ipvs.tcpFinTimeout},
        std::pair{"udpTimeout", ipvs.udpTimeout}})
    if (value < Duration::zero())
      r.error(childPath("ipvs", name),
              formatDuration(value) + ": must be greater than or equal to 0");
}

void readConntrack(ConfigReader& r, const json& root, ConntrackConfig& ct) {
  const json* s = r.object(root, "", "conntrack");
  if (!s) return;
  const auto int32Field = [&](std::string_view key, int32_t& out) {
    if (std::optional<int64_t> v = r.integer(*s, "conntrack", key)) {
      if (*v < 0 || *v > std::numeric_limits<int32_t>::max())
        r.error(childPath("conntrack", key),
                std::to_string(*v) + ": must be greater than or equal to 0 (32 bits)");
      else
        out = static_cast<int32_t>(*v);
    }
  };
  const auto durationField = [&](std::string_view key, Duration& out) {
    if (std::optional<Duration> v = r.duration(*s, "conntrack", key)) {
      if (*v < Duration::zero())
        r.error(childPath("conntrack", key),
                formatDuration(*v) + ": must be greater than or equal to 0");
      else
        out = *v;
    }
  };
  int32Field("maxPerCore", ct.maxPerCore);
  int32Field("min", ct.min);
  durationField("tcpEstablishedTimeout", ct.tcpEstablishedTimeout);
  durationField("tcpCloseWaitTimeout", ct.tcpCloseWaitTimeout);
  durationField("udpTimeout", ct.udpTimeout);
  durationField("udpStreamTimeout", ct.udpStreamTimeout);
  ct.tcpBeLiberal = r.boolean(*s, "conntrack", "tcpBeLiberal").value_or(false);
}

void readDetectLocal(ConfigReader& r, const json& root, ProxyConfig& p) {
  const std::string mode = r.string(root, "", "detectLocalMode").value_or("");
  if (const json* s = r.object(root, "", "detectLocal")) {
    p.bridgeInterface = r.string(*s, "detectLocal", "bridgeInterface").value_or("");
    p.interfaceNamePrefix = r.string(*s, "detectLocal", "interfaceNamePrefix").value_or("");
  }
  if (mode.empty() || mode == "ClusterCIDR") {
    p.detectLocalMode = LocalDetectMode::ClusterCIDR;
  } else if (mode == "NodeCIDR") {
    p.detectLocalMode = LocalDetectMode::NodeCIDR;
  } else if (mode == "BridgeInterface") {
    p.detectLocalMode = LocalDetectMode::BridgeInterface;
    if (p.bridgeInterface.empty())
      r.error("detectLocal.bridgeInterface", "must be set when detectLocalMode is BridgeInterface");
  } else if (mode == "InterfaceNamePrefix") {
    p.detectLocalMode = LocalDetectMode::InterfaceNamePrefix;
    if (p.interfaceNamePrefix.empty())
      r.error("detectLocal.interfaceNamePrefix",
              "must be set when detectLocalMode is InterfaceNamePrefix");
  } else {
    r.error("detectLocalMode", "\"" + mode +
                                   "\": must be ClusterCIDR, NodeCIDR, BridgeInterface, "
                                   "InterfaceNamePrefix or empty (ClusterCIDR)");
  }

  const std::string cidrs = r.string(root, "", "clusterCIDR").value_or("");
  if (cidrs.empty()) return;
  std::vector<std::string> parts;
  std::stringstream in(cidrs);
  for (std::string part; std::getline(in, part, ',');) parts.emplace_back(trimSpace(part));
  std::set<IPFamily> families;
  for (const std::string& part : parts) {
    std::optional<CIDR> cidr = isCIDR(part) ? CIDR::parse(part) : std::nullopt;
    if (!cidr) {
      r.error("clusterCIDR",
              "\"" + cidrs + "\": \"" + part + "\" is not a CIDR (e.g. 10.244.0.0/16)");
      return;
    }
    if (!families.insert(cidr->family()).second) {
      r.error("clusterCIDR", "\"" + cidrs + "\": at most one CIDR per IP family");
      return;
    }
    p.clusterCIDRs.push_back(*cidr);
  }
}

void readNodePortAddresses(ConfigReader& r, const json& root, ProxyConfig& p) {
  const std::vector<std::string> entries =
      r.strings(root, "", "nodePortAddresses").value_or(std::vector<std::string>{});
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& entry = entries[i];
    if (entry == "primary" || entry == "all" || isCIDR(entry)) {
      p.nodePortAddresses.push_back(entry);
    } else if (entry == "localhost") {
      // kube-proxy's keyword for the loopback ranges; kpx has no keyword of its own for it.
      p.nodePortAddresses.push_back("127.0.0.0/8");
      p.nodePortAddresses.push_back("::1/128");
      r.warn(indexPath("nodePortAddresses", i),
             "localhost: NodePorts on loopback addresses may not be reachable with kpx");
    } else {
      r.error(indexPath("nodePortAddresses", i),
              "\"" + entry + "\": must be a CIDR or one of primary, localhost, all");
    }
  }
}

// The addresses kube-proxy derives from bindAddress, checked as it checks them.
void readAddresses(ConfigReader& r, const json& root, AgentConfig& c) {
  c.bindAddress = r.string(root, "", "bindAddress").value_or("");
  bool ipv6 = false;
  if (!c.bindAddress.empty()) {
    std::stringstream in(c.bindAddress);
    for (std::string part; std::getline(in, part, ',');) {
      std::optional<IPAddr> ip = IPAddr::parse(part);
      if (!ip) r.error("bindAddress", "\"" + c.bindAddress + "\": must be an IP address");
      if (ip && part.size() == c.bindAddress.size()) ipv6 = !ip->isV4();
    }
  }
  const auto hostPort = [&](std::string_view key, const std::string& fallback, int port) {
    std::string value = r.string(root, "", key).value_or("");
    value = value.empty() ? fallback : appendPortIfNeeded(value, port);
    if (std::string problem = hostPortProblem(value); !problem.empty())
      r.error(key, "\"" + value + "\": " + problem);
    return value;
  };
  c.healthzBindAddress =
      hostPort("healthzBindAddress", ipv6 ? "[::]:10256" : "0.0.0.0:10256", kHealthzPort);
  c.metricsBindAddress =
      hostPort("metricsBindAddress", ipv6 ? "[::1]:10249" : "127.0.0.1:10249", kMetricsPort);
  c.bindAddressHardFail = r.boolean(root, "", "bindAddressHardFail").value_or(false);
}

void readTopLevel(ConfigReader& r, const json& root, AgentConfig& c) {
  std::string modeText = r.string(root, "", "mode").value_or("");
  if (modeText.empty()) {
    r.warn("mode", "empty: kube-proxy would run iptables; kpx runs " +
                       std::string(toString(c.mode)) +
                       " with the iptables section's settings, as kube-proxy would read them");
  } else if (std::optional<ProxyMode> mode = parseProxyMode(modeText)) {
    c.mode = *mode;
  } else {
    r.error("mode", "\"" + modeText + "\": must be nftables, iptables, ipvs or empty");
  }
  applyProxierSections(r, root, modeText, c);
  readIPVS(r, root, c.mode == ProxyMode::IPVS, c.ipvs);
  readConntrack(r, root, c.conntrack);
  readDetectLocal(r, root, c.proxy);
  readNodePortAddresses(r, root, c.proxy);
  readAddresses(r, root, c);

  std::string host = std::string(trimSpace(r.string(root, "", "hostnameOverride").value_or("")));
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  c.hostnameOverride = c.proxy.nodeName = host;

  if (const json* s = r.object(root, "", "clientConnection"))
    c.kubeconfig = r.string(*s, "clientConnection", "kubeconfig").value_or("");
  c.configSyncPeriod = orDefault(r.duration(root, "", "configSyncPeriod"), c.configSyncPeriod);
  if (c.configSyncPeriod < Duration::zero())
    r.error("configSyncPeriod", formatDuration(c.configSyncPeriod) + ": must be greater than 0");
  if (std::optional<int64_t> oom = r.integer(root, "", "oomScoreAdj")) {
    if (*oom < -1000 || *oom > 1000)
      r.error("oomScoreAdj", std::to_string(*oom) + ": must be within the range [-1000, 1000]");
    else
      c.oomScoreAdj = static_cast<int32_t>(*oom);
  }
  if (const json* s = r.object(root, "", "logging")) {
    const int64_t v = r.integer(*s, "logging", "verbosity").value_or(0);
    if (v < 0 || v > 10)
      r.error("logging.verbosity", std::to_string(v) + ": must be within the range [0, 10]");
    else
      c.logVerbosity = static_cast<int>(v);
  }
  if (const json* gates = r.object(root, "", "featureGates"))
    for (const auto& [gate, value] : gates->items())
      r.warn(keyPath("featureGates", gate),
             "kpx has no feature gates; ignored (" + valueText(value) + ")");
}

// Every field of every section: what kpx reads, what it knows but does not implement, and so
// what is unknown. A field kpx does not implement warns only when set to something other than
// its zero value or kube-proxy's default, so kubeadm's fully spelled-out output is quiet.
void checkFieldNames(ConfigReader& r, const json& root) {
  r.checkFields(root, "",
                {"apiVersion",
                 "kind",
                 "mode",
                 "clusterCIDR",
                 "detectLocalMode",
                 "detectLocal",
                 "nodePortAddresses",
                 "iptables",
                 "ipvs",
                 "nftables",
                 "conntrack",
                 "healthzBindAddress",
                 "metricsBindAddress",
                 "bindAddress",
                 "bindAddressHardFail",
                 "hostnameOverride",
                 "clientConnection",
                 "configSyncPeriod",
                 "oomScoreAdj",
                 "logging",
                 "featureGates"},
                {{"enableProfiling", {}},
                 {"showHiddenMetricsForVersion", {}},
                 {"portRange", {}},
                 {"windowsRunAsService", {}},
                 {"winkernel", {}}});
  const auto section = [&](std::string_view key, std::initializer_list<std::string_view> used,
                           std::initializer_list<ConfigReader::Unsupported> unsupported) {
    const auto it = root.find(key);
    if (it != root.end() && it->is_object()) r.checkFields(*it, key, used, unsupported);
  };
  section("iptables",
          {"masqueradeAll", "masqueradeBit", "minSyncPeriod", "syncPeriod", "localhostNodePorts"},
          {{"snatNodeInternalIP", {}}});
  section("ipvs",
          {"syncPeriod", "minSyncPeriod", "scheduler", "excludeCIDRs", "strictARP", "tcpTimeout",
           "tcpFinTimeout", "udpTimeout"},
          {});
  section("nftables", {"masqueradeAll", "masqueradeBit", "minSyncPeriod", "syncPeriod"}, {});
  section("conntrack",
          {"maxPerCore", "min", "tcpEstablishedTimeout", "tcpCloseWaitTimeout", "tcpBeLiberal",
           "udpTimeout", "udpStreamTimeout"},
          {});
  section("detectLocal", {"bridgeInterface", "interfaceNamePrefix"}, {});
  section("clientConnection", {"kubeconfig"},
          {{"acceptContentTypes", {}},
           {"contentType", "application/vnd.kubernetes.protobuf"},
           {"qps", 5},
           {"burst", 10}});
  section("logging", {"verbosity"},
          {{"format", "text"}, {"flushFrequency", "5s"}, {"vmodule", {}}, {"options", {}}});
}

tl::expected<KubeProxyConfigFile, std::string> fromDocument(const json& doc) {
  ConfigReader r;
  const std::string apiVersion = r.string(doc, "", "apiVersion").value_or("");
  if (apiVersion != kApiVersion)
    r.error("apiVersion", (apiVersion.empty() ? std::string("missing") : "\"" + apiVersion + "\"") +
                              ": kpx reads " + std::string(kApiVersion));
  KubeProxyConfigFile out;
  checkFieldNames(r, doc);
  readTopLevel(r, doc, out.config);
  if (!r.errors().empty()) return tl::unexpected(r.joinedErrors());
  out.warnings = r.takeWarnings();
  return out;
}

std::string kindOf(const json& doc) {
  const auto it = doc.is_object() ? doc.find("kind") : doc.end();
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string appendPortIfNeeded(const std::string& address, int port) {
  if (hostPortProblem(address).empty()) return address;
  std::optional<IPAddr> ip = IPAddr::parse(address);
  if (!ip) return address;
  return (ip->isV4() ? address : "[" + address + "]") + ":" + std::to_string(port);
}

std::string hostPortProblem(const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      return "must be IP:port ([IPv6]:port)";
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon)
      return "must be IP:port ([IPv6]:port)";
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (!IPAddr::parse(host)) return "\"" + host + "\" is not an IP address";
  const bool digits =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
    return "\"" + port + "\" is not a port (1-65535)";
  return "";
}

tl::expected<KubeProxyConfigFile, std::string> parseKubeProxyConfiguration(std::string_view text) {
  std::vector<json> docs;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    try {
      docs.push_back(json::parse(text));
    } catch (const json::exception& e) {  // parse_error, or out_of_range (4E400)
      return tl::unexpected(std::string("JSON syntax error: ") + e.what());
    }
  } else {
    auto parsed = parseYamlDocuments(text);
    if (!parsed) return tl::unexpected("YAML syntax error: " + parsed.error().str());
    docs = std::move(*parsed);
  }
  std::erase_if(docs, [](const json& d) { return d.is_null(); });

  // kubeadm's kube-proxy ConfigMap carries the configuration as text under config.conf.
  if (docs.size() == 1 && kindOf(docs[0]) == "ConfigMap") {
    const auto data = docs[0].find("data");
    if (data == docs[0].end() || !data->is_object() || !data->contains("config.conf") ||
        !(*data)["config.conf"].is_string())
      return tl::unexpected(
          std::string("ConfigMap without data[config.conf] (kubeadm's kube-proxy "
                      "ConfigMap holds the KubeProxyConfiguration there)"));
    return parseKubeProxyConfiguration((*data)["config.conf"].get<std::string>());
  }

  std::vector<std::string> skipped;
  const json* config = nullptr;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs.size() > 1 && kindOf(docs[i]) != kKind) {
      skipped.push_back("document " + std::to_string(i + 1) + ": kind " +
                        (kindOf(docs[i]).empty() ? "missing" : kindOf(docs[i])) +
                        ", not a KubeProxyConfiguration; ignored");
      continue;
    }
    if (config) return tl::unexpected(std::string("more than one KubeProxyConfiguration"));
    config = &docs[i];
  }
  if (!config) return tl::unexpected(std::string("no KubeProxyConfiguration in the text"));
  if (!config->is_object()) return tl::unexpected(std::string("not a YAML/JSON object"));
  if (kindOf(*config) != kKind)
    return tl::unexpected("kind: \"" + kindOf(*config) + "\": expected " + std::string(kKind));
  auto result = fromDocument(*config);
  if (result) result->warnings.insert(result->warnings.begin(), skipped.begin(), skipped.end());
  return result;
}

tl::expected<KubeProxyConfigFile, std::string> loadKubeProxyConfiguration(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected(path.string() + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  auto result = parseKubeProxyConfiguration(text.str());
  if (!result) return tl::unexpected(path.string() + ": " + result.error());
  return result;
}

}  // namespace kpx::watch
