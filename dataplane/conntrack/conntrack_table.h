// The kernel's conntrack table, through one ctnetlink socket: deletes the entries a cleanup
// plan (proxy/conntrack_plan.h) selects, by filters or by a reconcile of the whole state.
// Move-only; the socket belongs to the network namespace of the thread that called open(),
// whatever thread uses it later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <tl/expected.hpp>

#include "dataplane/conntrack/conntrack_error.h"
#include "dataplane/conntrack/filter_index.h"
#include "dataplane/conntrack/messages.h"
#include "proxy/conntrack_plan.h"

namespace kpx::conntrack {

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

  // The same, and in the same pass every entry `reconcile` finds stale: the dumps of each family
  // it checks bring every UDP entry to user space (the kernel filters on the protocol only),
  // where each is judged (ConntrackReconcile::isStale()). Same errors and contract as
  // deleteMatching(); an empty reconcile and no filters make no request.
  tl::expected<size_t, ConntrackError> deleteStale(const ConntrackReconcile& reconcile,
                                                   const std::vector<ConntrackFilter>& filters);

 private:
  explicit ConntrackTable(MnlSocketPtr socket);

  // What one pass deletes: entries the index matches or the reconcile (when set) finds stale.
  struct Selection {
    const FilterIndex* index = nullptr;
    const ConntrackReconcile* reconcile = nullptr;
  };
  tl::expected<size_t, ConntrackError> deleteSelected(const Selection& selection,
                                                      const std::vector<FilterIndex::Dump>& dumps);
  // Appends to `doomed` a delete key for each entry of one dump the selection picks.
  tl::expected<void, ConntrackError> collect(const Selection& selection,
                                             const FilterIndex::Dump& dump,
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
