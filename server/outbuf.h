// C++ only (Go: the bufio.Writer behind client.bw)
// A growable byte buffer for a connection's outbound queue.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace gnatsd::server {

// Appends never zero-fill (std::string's resize would) and a message made of
// several parts costs one capacity check. Not thread safe: the owning
// client's mutex guards it.
class OutBuf {
 public:
  OutBuf() = default;
  OutBuf(const OutBuf&) = delete;
  OutBuf& operator=(const OutBuf&) = delete;

  const char* data() const { return buf_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return cap_; }

  // Keeps the memory for the next appends.
  void clear() { size_ = 0; }
  // Gives the memory back.
  void release() {
    buf_.reset();
    size_ = cap_ = 0;
  }
  void swap(OutBuf& o) noexcept {
    std::swap(buf_, o.buf_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }

  // Removes n bytes at pos (pos + n <= size()), moving the rest down.
  void erase(size_t pos, size_t n) {
    if (n == 0) return;
    std::memmove(buf_.get() + pos, buf_.get() + pos + n, size_ - pos - n);
    size_ -= n;
  }

  // Appends the parts in order (string_views), with one capacity check.
  template <class... Parts>
  void append(const Parts&... parts) {
    const size_t n = (size_t{0} + ... + parts.size());
    if (n == 0) return;  // buf_ may still be null: memcpy must not see it
    if (size_ + n > cap_) grow(size_ + n);
    char* out = buf_.get() + size_;
    // An empty part may carry a null data(), which memcpy must not get either.
    ((parts.empty() ? void() : void(std::memcpy(out, parts.data(), parts.size())),
      out += parts.size()),
     ...);
    size_ += n;
  }

 private:
  void grow(size_t need) {
    size_t cap = cap_ ? cap_ : 512;
    while (cap < need) cap *= 2;
    auto nb = std::make_unique_for_overwrite<char[]>(cap);
    if (size_) std::memcpy(nb.get(), buf_.get(), size_);
    buf_ = std::move(nb);
    cap_ = cap;
  }

  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace gnatsd::server
