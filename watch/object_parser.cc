#include "watch/object_parser.h"

#include "proxy/log.h"
#include "watch/field_reader.h"
#include "watch/legacy_endpoints.h"
#include "watch/manifest_kind.h"
#include "watch/object_readers.h"
#include "watch/validation.h"

namespace kpx::watch {
namespace {

// Lists inside Lists are legal but rare; the bound only stops runaway recursion on hostile input.
constexpr int kMaxListDepth = 4;

ParseResult invalid(std::string kind, std::string object, std::string field, std::string value,
                    std::string reason) {
  ParseResult result{
      .status = ParseResult::Status::Invalid, .kind = kind, .objects = {}, .errors = {}};
  ErrorList errors(std::move(kind), std::move(object));
  errors.add(std::move(field), std::move(value), std::move(reason));
  result.errors = errors.take();
  return result;
}

std::vector<Object> readObjects(ManifestKind kind, const FieldReader& root) {
  switch (kind) {
    case ManifestKind::Service:
      return {readService(root)};
    case ManifestKind::EndpointSlice:
      return {readEndpointSlice(root)};
    case ManifestKind::Node:
      return {readNode(root)};
    case ManifestKind::Endpoints: {
      std::vector<Object> objects;
      for (EndpointSlice& slice : readLegacyEndpoints(root)) objects.emplace_back(std::move(slice));
      return objects;
    }
  }
  return {};
}

// "ServiceList" -> "Service": the kind of the items of a typed List; "" for a plain `List`.
std::string_view itemKindOf(std::string_view listKind) {
  return listKind == "List" ? std::string_view() : listKind.substr(0, listKind.size() - 4);
}

bool isList(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("items")) return false;
  auto kind = object.find("kind");
  if (kind == object.end() || !kind->is_string()) return false;
  const std::string& text = kind->get_ref<const std::string&>();
  return text.size() >= 4 && text.ends_with("List");
}

void expand(const nlohmann::json& document, std::string_view kindHint, int depth,
            ParsedObjects& out) {
  if (isList(document) && depth < kMaxListDepth) {
    const std::string listKind = document["kind"].get<std::string>();
    const nlohmann::json& items = document["items"];
    if (items.is_null()) return;  // `items: null` is how Go writes an empty list
    if (!items.is_array()) {
      ErrorList errors(listKind, "");
      errors.add("items", valueText(items), "must be a list");
      for (ObjectError& e : errors.take()) out.errors.push_back(std::move(e));
      return;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      const size_t firstError = out.errors.size();
      expand(items[i], itemKindOf(listKind), depth + 1, out);
      // An item without a readable name is found by its position instead.
      for (size_t e = firstError; e < out.errors.size(); ++e)
        if (out.errors[e].object.empty())
          out.errors[e].field = childPath(indexPath("items", i), out.errors[e].field);
    }
    return;
  }
  ParseResult result = parseObject(document, kindHint);
  switch (result.status) {
    case ParseResult::Status::Parsed:
      for (Object& object : result.objects) out.objects.push_back(std::move(object));
      return;
    case ParseResult::Status::Ignored:
      ++out.ignored;
      if (log::enabled(2))
        log::debug(2, "ignoring " + result.kind + " " + displayName(document, true) +
                          ": not a kind kpx reads");
      return;
    case ParseResult::Status::Invalid:
      for (ObjectError& error : result.errors) out.errors.push_back(std::move(error));
      return;
  }
}

}  // namespace

ParseResult parseObject(const nlohmann::json& object, std::string_view kindHint) {
  if (!object.is_object())
    return invalid("", "", "", valueText(object), "a manifest must be an object");
  std::string kind(kindHint);
  std::string apiVersion;
  if (auto it = object.find("kind"); it != object.end() && !it->is_null()) {
    if (!it->is_string())
      return invalid("", displayName(object, true), "kind", valueText(*it), "must be a string");
    kind = it->get<std::string>();
  }
  if (auto it = object.find("apiVersion"); it != object.end() && it->is_string())
    apiVersion = it->get<std::string>();
  if (kind.empty())
    return invalid("", displayName(object, true), "kind", "",
                   "required value: the object has no kind");

  const auto manifest = manifestKind(kind, apiVersion);
  if (!manifest)
    return ParseResult{
        .status = ParseResult::Status::Ignored, .kind = kind, .objects = {}, .errors = {}};

  ErrorList errors(kind, displayName(object, isNamespaced(*manifest)));
  const FieldReader root(object, "", errors);
  std::vector<Object> objects;
  try {
    // Convert first: it reports every field of the wrong type. Validation then sees only
    // well-typed fields and checks what they mean.
    objects = readObjects(*manifest, root);
    if (errors.empty()) validateManifest(*manifest, root);
  } catch (const nlohmann::json::exception& e) {
    // Not expected (readers check types before reading), but a bug here must cost one object,
    // not the agent.
    errors.add("", "", std::string("cannot read object: ") + e.what());
  }
  if (!errors.empty())
    return ParseResult{.status = ParseResult::Status::Invalid,
                       .kind = kind,
                       .objects = {},
                       .errors = errors.take()};
  return ParseResult{.status = ParseResult::Status::Parsed,
                     .kind = kind,
                     .objects = std::move(objects),
                     .errors = {}};
}

void ParsedObjects::append(ParsedObjects&& other) {
  for (Object& object : other.objects) objects.push_back(std::move(object));
  for (ObjectError& error : other.errors) errors.push_back(std::move(error));
  ignored += other.ignored;
}

ParsedObjects parseDocument(const nlohmann::json& document, std::string_view origin) {
  ParsedObjects out;
  if (document.is_null()) return out;
  expand(document, {}, 0, out);
  for (ObjectError& error : out.errors) error.origin = std::string(origin);
  return out;
}

const ObjectMeta& metaOf(const Object& object) {
  return std::visit([](const auto& typed) -> const ObjectMeta& { return typed.meta; }, object);
}

}  // namespace kpx::watch
