// Bucket layouts, computed the way client_golang and component-base compute them, so that the
// "le" values kpx exposes are the same strings kube-proxy exposes.
#pragma once

#include <initializer_list>
#include <vector>

namespace kpx::metrics {

// start, start*factor, start*factor^2, ... (count values; repeated multiplication, as Go).
std::vector<double> exponentialBuckets(double start, double factor, int count);
// start, start+width, ... (count values; repeated addition, as Go).
std::vector<double> linearBuckets(double start, double width, int count);
// component-base's MergeBuckets: a leading 0 bucket, then every list in order. The leading 0 is
// upstream's (kubeproxy_network_programming_duration_seconds has le="0"), kept on purpose.
std::vector<double> mergeBuckets(std::initializer_list<std::vector<double>> lists);

}  // namespace kpx::metrics
