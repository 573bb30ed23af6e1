// Go: none (C++ only: latency percentiles for nats-bench)
// A log-linear histogram of nanosecond values: exact below 128 ns, then 128 buckets per
// power of two (under 0.8% error), so millions of samples cost 58 KiB, not a sorted array.
// One per thread; merge them at the end. Not thread safe.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace natsbench {

class Histogram {
 public:
  Histogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t ns) {
    ++counts_[index(ns)];
    ++total_;
    max_ = std::max(max_, ns);
    min_ = std::min(min_, ns);
    sum_ += ns;
  }

  void Merge(const Histogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
    sum_ += o.sum_;
  }

  uint64_t Count() const { return total_; }
  uint64_t Max() const { return total_ ? max_ : 0; }
  uint64_t Min() const { return total_ ? min_ : 0; }
  double Mean() const { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0; }

  // The value at quantile q (0..1): the middle of the bucket holding it, capped at Max().
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(middle(i), Max());
    }
    return Max();
  }

 private:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

  static size_t index(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    int e = 63 - std::countl_zero(v);  // >= kSubBits
    uint64_t mant = (v >> (e - kSubBits)) & (kSub - 1);
    return static_cast<size_t>(e - kSubBits + 1) * kSub + mant;
  }
  static uint64_t middle(size_t i) {
    if (i < kSub) return i;
    int e = static_cast<int>(i / kSub) + kSubBits - 1;
    uint64_t lo = (kSub + i % kSub) << (e - kSubBits);
    return lo + ((uint64_t{1} << (e - kSubBits)) >> 1);
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0, max_ = 0, min_ = UINT64_MAX, sum_ = 0;
};

}  // namespace natsbench
