#include "tests/kernel/nft_text.h"

#include <sstream>

namespace kpx::testing {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "chain foo {" -> "foo"; names may be quoted when they contain special characters.
std::string blockName(const std::string& line, const std::string& keyword) {
  std::string rest = trim(line.substr(keyword.size()));
  if (!rest.empty() && rest.back() == '{') rest.pop_back();
  rest = trim(rest);
  if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"') {
    rest = rest.substr(1, rest.size() - 2);
  }
  return rest;
}

// Splits "a, b, c" on top-level commas (none nested inside braces or quotes).
void splitElements(const std::string& body, std::vector<std::string>& out) {
  std::string cur;
  bool quoted = false;
  int depth = 0;
  for (char c : body) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '{') ++depth;
    if (!quoted && c == '}') --depth;
    if (!quoted && depth == 0 && c == ',') {
      if (!trim(cur).empty()) out.push_back(trim(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!trim(cur).empty()) out.push_back(trim(cur));
}

}  // namespace

NftTableText parseNftTable(const std::string& text) {
  NftTableText table;
  std::istringstream in(text);
  std::string raw;
  NftChainText* chain = nullptr;
  NftSetText* set = nullptr;
  bool inElements = false;
  std::string elementBody;
  while (std::getline(in, raw)) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (inElements) {
      const auto close = line.find('}');
      const bool last =
          close != std::string::npos && line.find('{') == std::string::npos && line.back() == '}';
      elementBody += ' ';
      elementBody += last ? line.substr(0, line.rfind('}')) : line;
      if (last) {
        splitElements(elementBody, set->elements);
        inElements = false;
      }
      continue;
    }
    if (startsWith(line, "chain ")) {
      chain = &table.chains[blockName(line, "chain ")];
      set = nullptr;
    } else if (startsWith(line, "map ") || startsWith(line, "set ")) {
      const bool isMap = startsWith(line, "map ");
      set = &table.sets[blockName(line, isMap ? "map " : "set ")];
      set->isMap = isMap;
      chain = nullptr;
    } else if (line == "}") {
      chain = nullptr;
      set = nullptr;
    } else if (chain != nullptr) {
      if (startsWith(line, "comment \"")) {
        chain->comment = line.substr(9, line.size() - 10);
      } else if (startsWith(line, "type ")) {
        chain->header = line;
      } else {
        chain->rules.push_back(line);
      }
    } else if (set != nullptr) {
      if (startsWith(line, "elements = {")) {
        std::string body = line.substr(12);
        if (!body.empty() && body.back() == '}') {
          body.pop_back();
          splitElements(body, set->elements);
        } else {
          elementBody = body;
          inElements = true;
        }
      } else {
        set->properties.push_back(line);
      }
    }
  }
  return table;
}

std::vector<std::vector<std::string>> parseNftDebugRules(const std::string& text) {
  std::vector<std::vector<std::string>> rules;
  std::istringstream in(text);
  std::string raw;
  bool inRule = false;
  while (std::getline(in, raw)) {
    const std::string line = trim(raw);
    if (startsWith(line, "[ ")) {
      if (!inRule) rules.emplace_back();
      inRule = true;
      rules.back().push_back(line);
    } else {
      inRule = false;
    }
  }
  return rules;
}

}  // namespace kpx::testing
