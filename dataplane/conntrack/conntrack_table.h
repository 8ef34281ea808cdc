// The kernel's conntrack table, through one ctnetlink socket: deletes the entries a cleanup
// plan (proxy/conntrack_plan.h) names. Move-only; the socket belongs to the network namespace
// of the thread that called open(), whatever thread uses it later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <tl/expected.hpp>

#include "dataplane/conntrack/conntrack_error.h"
#include "dataplane/conntrack/messages.h"
#include "proxy/conntrack_plan.h"

namespace kpx::conntrack {

class FilterIndex;

class ConntrackTable {
 public:
  // Fails without CAP_NET_ADMIN only at the first request, not here: opening needs no rights.
  static tl::expected<ConntrackTable, ConntrackError> open();

  ConntrackTable(ConntrackTable&&) noexcept = default;
  ConntrackTable& operator=(ConntrackTable&&) noexcept = default;
  ConntrackTable(const ConntrackTable&) = delete;
  ConntrackTable& operator=(const ConntrackTable&) = delete;
  ~ConntrackTable() = default;

  // Deletes every entry one of `filters` matches and returns how many the kernel deleted.
  // Dumps the table once per (family, protocol) the filters name, with the kernel sending only
  // entries of that protocol (and port, when the filters share one), then deletes the matches
  // in acked batches. An entry that expires
  // between the dump and its delete (ENOENT) is not counted and is not an error; any other
  // failure is returned, with the number deleted so far (the cleanup is then partial and the
  // caller retries it). No filters: no kernel request at all. After an error, open a new table
  // rather than reuse this one: a half-read reply may still sit in the socket.
  tl::expected<size_t, ConntrackError> deleteMatching(const std::vector<ConntrackFilter>& filters);

 private:
  explicit ConntrackTable(MnlSocketPtr socket);

  // Appends to `doomed` a delete key for each entry of one dump the index matches.
  tl::expected<void, ConntrackError> collect(const FilterIndex& index, size_t dump,
                                             std::vector<EntryPtr>& doomed);
  tl::expected<size_t, ConntrackError> deleteAll(const std::vector<EntryPtr>& keys);
  // Reads acks for sequence numbers [first, first + keys.size()) of one batch.
  tl::expected<void, ConntrackError> readAcks(uint32_t first, const EntryPtr* keys, size_t count,
                                              size_t& deleted);

  MnlSocketPtr socket_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  std::vector<char> receive_;
  std::vector<char> send_;
};

}  // namespace kpx::conntrack
