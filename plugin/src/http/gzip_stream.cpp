#include "http/gzip_stream.hpp"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <climits>

namespace nq::metrics {

namespace {

// igzip's AVX-512 deflate returns with the upper halves of the vector
// registers in use (no vzeroupper). Until something clears them, every SSE
// instruction of the code after it pays for a state transition: the text
// serializer, run after a piece was compressed, took 1.43 ms instead of
// 0.55 ms for 10k series (docs/PERFORMANCE.md, "Gzip of a scrape").
void clear_upper_vector_state() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx")) __asm__ volatile("vzeroupper" ::: "memory");
#endif
}

}  // namespace

struct GzipStream::Compressor {
  isal_zstream stream;
  uint8_t level_buffer[ISAL_DEF_LVL1_DEFAULT];
};
static_assert(kGzipLevel == 1, "the level buffer is sized for level 1");

// Not zeroed: isal_deflate_init sets what igzip reads.
GzipStream::GzipStream() : compressor_(new Compressor) {
  isal_zstream& stream = compressor_->stream;
  isal_deflate_init(&stream);
  stream.level = kGzipLevel;
  stream.level_buf = compressor_->level_buffer;
  stream.level_buf_size = sizeof compressor_->level_buffer;
  stream.gzip_flag = IGZIP_GZIP;
  // A text body compresses 7-8 times; the output grows when it does not.
  out_.resize(kGzipPieceBytes / 4);
}

GzipStream::~GzipStream() = default;

bool GzipStream::write(std::string_view piece, std::string& error) {
  return deflate(piece, false, error);
}

bool GzipStream::finish(std::string& error) {
  return deflate({}, true, error);
}

std::string GzipStream::take_body() {
  out_.resize(written_);
  return std::move(out_);
}

bool GzipStream::deflate(std::string_view input, bool end, std::string& error) {
  isal_zstream& stream = compressor_->stream;
  stream.flush = NO_FLUSH;
  // igzip counts in 32 bits: a larger input goes in parts.
  do {
    const size_t part = std::min<size_t>(input.size(), UINT32_MAX);
    stream.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uint32_t>(part);
    stream.end_of_stream = end && part == input.size() ? 1 : 0;
    input.remove_prefix(part);
    // Until igzip has taken the whole part (and, at the end, written the
    // trailer), with room to write.
    while (stream.avail_in != 0 ||
           (stream.end_of_stream != 0 && stream.internal_state.state != ZSTATE_END)) {
      if (written_ == out_.size()) out_.resize(out_.size() * 2);
      stream.next_out = reinterpret_cast<uint8_t*>(out_.data() + written_);
      stream.avail_out =
          static_cast<uint32_t>(std::min<size_t>(out_.size() - written_, UINT32_MAX));
      const uint32_t room = stream.avail_out;
      const int status = isal_deflate(&stream);
      clear_upper_vector_state();
      if (status != COMP_OK) {
        error = "gzip: isal_deflate failed with " + std::to_string(status);
        return false;
      }
      written_ += room - stream.avail_out;
    }
  } while (!input.empty());
  return true;
}

bool gzip_rendered(const std::function<void(const BodySink&)>& render, std::string& out,
                   std::string& error) {
  GzipStream gzip;
  bool ok = true;
  render({kGzipPieceBytes, [&](std::string& piece) { ok = ok && gzip.write(piece, error); }});
  if (!ok || !gzip.finish(error)) return false;
  out = gzip.take_body();
  return true;
}

bool gzip_compress(std::string_view body, std::string& out, std::string& error) {
  GzipStream gzip;
  if (!gzip.write(body, error) || !gzip.finish(error)) return false;
  out = gzip.take_body();
  return true;
}

}  // namespace nq::metrics
