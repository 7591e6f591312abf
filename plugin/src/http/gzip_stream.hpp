// The gzip (RFC 1952) of a scrape's body, by ISA-L's igzip: fed the body a
// piece at a time as it is rendered (expose/exposition.hpp, BodySink), or
// whole.
//
// Thread-safety: a GzipStream is one body's, used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "expose/exposition.hpp"

namespace nq::metrics {

// The igzip level of scrape bodies: chosen by measurement against zlib,
// libdeflate and igzip's other levels (docs/PERFORMANCE.md, "Gzip of a
// scrape").
inline constexpr uint32_t kGzipLevel = 1;

// The size of the pieces a scrape's body is rendered and compressed in: small
// enough to stay in the cache between the two.
inline constexpr size_t kGzipPieceBytes = 64 * 1024;

class GzipStream {
 public:
  // Its compressor's state (80 KiB) and level buffer (276 KiB) are made with
  // it, as its body is: nothing outlives a scrape or stays on a serving thread.
  GzipStream();
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Compresses the next bytes of the body. False (with `error` set) when
  // igzip fails; the stream is then of no further use.
  bool write(std::string_view piece, std::string& error);
  // Ends the stream: the gzip trailer is written.
  bool finish(std::string& error);
  // The compressed body, once finished.
  std::string take_body();

 private:
  bool deflate(std::string_view input, bool end, std::string& error);

  struct Compressor;
  std::unique_ptr<Compressor> compressor_;
  std::string out_;
  size_t written_ = 0;
};

// The gzip of what `render` hands its sink, each piece of kGzipPieceBytes
// compressed as soon as it is rendered, while it is in the cache.
bool gzip_rendered(const std::function<void(const BodySink&)>& render, std::string& out,
                   std::string& error);

// The whole of `body` compressed into `out`.
bool gzip_compress(std::string_view body, std::string& out, std::string& error);

}  // namespace nq::metrics
