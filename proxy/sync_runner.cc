#include "proxy/sync_runner.h"

#include <algorithm>

namespace kpx {

std::string_view toString(SyncKind kind) {
  switch (kind) {
    case SyncKind::Incremental:
      return "incremental";
    case SyncKind::Verify:
      return "verify";
    case SyncKind::Full:
      return "full";
  }
  return "?";
}

std::string_view toString(SyncReason reason) {
  switch (reason) {
    case SyncReason::Changes:
      return "changes";
    case SyncReason::Periodic:
      return "periodic";
    case SyncReason::Retry:
      return "retry";
  }
  return "?";
}

SyncRunner::SyncRunner(SyncRunnerOptions options, const Clock& clock)
    : options_(options), clock_(&clock) {
  options_.minSyncPeriod = std::max(options_.minSyncPeriod, Duration::zero());
  options_.initialRetryDelay =
      std::clamp(options_.initialRetryDelay, Duration::zero(), maxRetryDelay());
  retryDelay_ = options_.initialRetryDelay;
}

Duration SyncRunner::maxRetryDelay() const {
  return options_.maxRetryDelay > Duration::zero() ? options_.maxRetryDelay : options_.syncPeriod;
}

void SyncRunner::notify(SyncKind kind) {
  const Clock::TimePoint now = clock_->now();
  started_ = true;
  pending_ = true;
  if (kind == SyncKind::Full) needFull_ = true;
  if (!oldestPending_) oldestPending_ = now;
  lastQueued_ = now;
}

std::optional<Clock::TimePoint> SyncRunner::nextDeadline() const {
  if (!started_ || running_) return std::nullopt;
  // minSyncPeriod counts from the start of the previous sync, as BoundedFrequencyRunner does.
  const Clock::TimePoint earliest =
      lastStart_ ? *lastStart_ + options_.minSyncPeriod : Clock::TimePoint::min();
  if (failures_ > 0) return std::max(earliest, *lastEnd_ + retryDelay_);
  // Never synced successfully and not failing: the first notify() made it pending.
  const Clock::TimePoint periodic =
      lastPeriodic_ ? *lastPeriodic_ + options_.syncPeriod : Clock::TimePoint::min();
  Clock::TimePoint deadline = std::max(earliest, periodic);
  if (pending_) deadline = std::min(deadline, earliest);
  return deadline;
}

std::optional<SyncRequest> SyncRunner::begin() {
  const std::optional<Clock::TimePoint> deadline = nextDeadline();
  const Clock::TimePoint now = clock_->now();
  if (!deadline || now < *deadline) return std::nullopt;

  SyncRequest request;
  request.startedAt = now;
  request.failuresBefore = failures_;
  request.oldestChange = oldestPending_;
  if (oldestPending_) request.newestChange = lastQueued_;
  const bool periodicDue = !lastPeriodic_ || now >= *lastPeriodic_ + options_.syncPeriod;
  const bool fullDue = !lastFullSync_ || now >= *lastFullSync_ + options_.fullSyncPeriod;
  request.kind = needFull_ || failures_ > 0 || fullDue ? SyncKind::Full
                 : periodicDue                         ? SyncKind::Verify
                                                       : SyncKind::Incremental;
  request.reason = failures_ > 0 ? SyncReason::Retry
                   : pending_    ? SyncReason::Changes
                                 : SyncReason::Periodic;

  // The request consumes the wish for a full sync; a notify(Full) during the sync renews it.
  if (request.kind == SyncKind::Full) needFull_ = false;
  pending_ = false;
  oldestPending_.reset();
  lastStart_ = now;
  running_ = request;
  return request;
}

SyncOutcome SyncRunner::finish(bool ok) {
  const Clock::TimePoint now = clock_->now();
  SyncOutcome outcome{.request = running_.value_or(SyncRequest{}), .ok = ok, .finishedAt = now};
  running_.reset();
  lastEnd_ = now;
  if (ok) {
    failures_ = 0;
    retryDelay_ = options_.initialRetryDelay;
    if (outcome.request.kind == SyncKind::Full) lastFullSync_ = outcome.request.startedAt;
    if (outcome.request.kind != SyncKind::Incremental) lastPeriodic_ = outcome.request.startedAt;
    lastSuccess_ = now;
  } else {
    retryDelay_ =
        failures_ == 0 ? options_.initialRetryDelay : std::min(retryDelay_ * 2, maxRetryDelay());
    ++failures_;
    needFull_ = true;
    // The failed sync's changes are still not in the kernel: they stay the oldest pending.
    if (outcome.request.oldestChange)
      oldestPending_ = oldestPending_ ? std::min(*oldestPending_, *outcome.request.oldestChange)
                                      : *outcome.request.oldestChange;
  }
  return outcome;
}

std::optional<SyncOutcome> SyncRunner::runDue(const std::function<bool(const SyncRequest&)>& sync) {
  std::optional<SyncRequest> request = begin();
  if (!request) return std::nullopt;
  const bool ok = sync(*request);
  return finish(ok);
}

SyncStatus SyncRunner::status() const {
  // While a sync runs, the changes it carries are still pending until it succeeds.
  std::optional<Clock::TimePoint> oldest = oldestPending_;
  if (running_ && running_->oldestChange)
    oldest = oldest ? std::min(*oldest, *running_->oldestChange) : running_->oldestChange;
  return SyncStatus{.lastQueued = lastQueued_,
                    .oldestPending = oldest,
                    .lastSuccess = lastSuccess_,
                    .lastFullSync = lastFullSync_,
                    .nextDeadline = nextDeadline(),
                    .consecutiveFailures = failures_,
                    .running = running_.has_value()};
}

}  // namespace kpx
