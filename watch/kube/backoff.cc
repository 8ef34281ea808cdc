#include "watch/kube/backoff.h"

#include <algorithm>
#include <memory>
#include <random>

namespace kpx::watch {

UniformRandom defaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

Backoff::Backoff(BackoffPolicy policy, UniformRandom random)
    : policy_(policy), random_(std::move(random)), base_(std::min(policy.initial, policy.max)) {}

std::chrono::milliseconds Backoff::next() {
  const double r = std::clamp(random_ ? random_() : 0.0, 0.0, 1.0);
  const double jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  const auto delay = std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(base_.count()) * (1.0 - jitter * r)));
  const double grown = static_cast<double>(base_.count()) * std::max(policy_.factor, 1.0);
  base_ = std::min(policy_.max, std::chrono::milliseconds(static_cast<int64_t>(grown)));
  return delay;
}

void Backoff::reset() {
  base_ = std::min(policy_.initial, policy_.max);
}

}  // namespace kpx::watch
