// Gzip of a scrape's body, compressor against compressor: zlib (deflate with
// the gzip wrapper, one Z_FINISH call, as the plugin did before libdeflate) at
// levels 1, 3 and 6, libdeflate's gzip compressor at levels 1 to 6, with
// the compressor made for each body (as a scrape does) or reused, and ISA-L's
// igzip at levels 0 to 3 (the plugin's since). The bodies
// are the text 0.0.4 scrapes of 10k and 100k series (scrape_bench's store);
// the counters give the compressed size. BM_Gzip_Plugin is the plugin's
// GzipStream on the whole body (gzip_compress(); /metrics feeds it the same
// body in pieces). Arguments: series, level.
#include <benchmark/benchmark.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>

#include <memory>
#include <string>

#include "filled_store.hpp"
#include "http/gzip_stream.hpp"
#include "http/negotiation.hpp"

namespace {

using namespace nq::metrics;

const std::string& text_body(uint32_t series) {
  static const auto render_text = [](uint32_t n) {
    FilledStore& f = filled_store(n);
    return render(f.store->collect(f.identity).metrics(), ExpositionFormat::prometheus_text);
  };
  static const std::string small = render_text(10'000), large = render_text(100'000);
  return series <= 10'000 ? small : large;
}

void report(benchmark::State& state, const std::string& body, size_t compressed_bytes) {
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.counters["gzip_bytes"] = static_cast<double>(compressed_bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void BM_Gzip_Zlib(benchmark::State& state) {
  const std::string& body = text_body(static_cast<uint32_t>(state.range(0)));
  const int level = static_cast<int>(state.range(1));
  constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper
  std::string out;
  for (auto _ : state) {
    z_stream stream{};
    if (deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      state.SkipWithError("deflateInit2 failed");
      return;
    }
    out.assign(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    stream.avail_in = static_cast<uInt>(body.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (status != Z_STREAM_END) state.SkipWithError("deflate did not finish");
    benchmark::DoNotOptimize(out.data());
  }
  report(state, body, out.size());
}

using Compressor = std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)>;

Compressor make_compressor(int level) {
  return {libdeflate_alloc_compressor(level), &libdeflate_free_compressor};
}

size_t libdeflate_gzip(libdeflate_compressor* compressor, const std::string& body,
                       std::string& out) {
  out.assign(libdeflate_gzip_compress_bound(compressor, body.size()), '\0');
  out.resize(
      libdeflate_gzip_compress(compressor, body.data(), body.size(), out.data(), out.size()));
  return out.size();
}

void BM_Gzip_Libdeflate(benchmark::State& state) {
  const std::string& body = text_body(static_cast<uint32_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    const Compressor compressor = make_compressor(static_cast<int>(state.range(1)));
    if (libdeflate_gzip(compressor.get(), body, out) == 0) state.SkipWithError("gzip failed");
    benchmark::DoNotOptimize(out.data());
  }
  report(state, body, out.size());
}

void BM_Gzip_Libdeflate_ReusedCompressor(benchmark::State& state) {
  const std::string& body = text_body(static_cast<uint32_t>(state.range(0)));
  const Compressor compressor = make_compressor(static_cast<int>(state.range(1)));
  std::string out;
  for (auto _ : state) {
    if (libdeflate_gzip(compressor.get(), body, out) == 0) state.SkipWithError("gzip failed");
    benchmark::DoNotOptimize(out.data());
  }
  report(state, body, out.size());
}

// ISA-L's igzip (Intel's storage acceleration library): levels 0-3, level
// buffer of the library's default size; the whole body in one stateful call
// with end_of_stream, the output grown while it runs out.
void BM_Gzip_Isal(benchmark::State& state) {
  const std::string& body = text_body(static_cast<uint32_t>(state.range(0)));
  const auto level = static_cast<uint32_t>(state.range(1));
  static constexpr uint32_t kLevelBufferBytes[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                                   ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
  std::string level_buffer(kLevelBufferBytes[level], '\0');
  std::string out;
  for (auto _ : state) {
    isal_zstream stream;
    isal_deflate_init(&stream);
    stream.level = level;
    stream.level_buf = reinterpret_cast<uint8_t*>(level_buffer.data());
    stream.level_buf_size = static_cast<uint32_t>(level_buffer.size());
    stream.gzip_flag = IGZIP_GZIP;
    stream.end_of_stream = 1;
    stream.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(body.data()));
    stream.avail_in = static_cast<uint32_t>(body.size());
    out.resize(body.size() / 4 + 1024);
    size_t written = 0;
    while (stream.internal_state.state != ZSTATE_END) {
      if (written == out.size()) out.resize(out.size() * 2);
      stream.next_out = reinterpret_cast<uint8_t*>(out.data() + written);
      stream.avail_out = static_cast<uint32_t>(out.size() - written);
      if (isal_deflate(&stream) != COMP_OK) {
        state.SkipWithError("isal_deflate failed");
        return;
      }
      written = out.size() - stream.avail_out;
    }
    out.resize(written);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, body, out.size());
}

void BM_Gzip_Plugin(benchmark::State& state) {
  const std::string& body = text_body(static_cast<uint32_t>(state.range(0)));
  std::string out, error;
  for (auto _ : state) {
    if (!gzip_compress(body, out, error)) state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(out.data());
  }
  report(state, body, out.size());
}

}  // namespace

BENCHMARK(BM_Gzip_Zlib)->ArgsProduct({{10'000, 100'000}, {1, 3, 6}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip_Libdeflate)
    ->ArgsProduct({{10'000, 100'000}, {1, 2, 3, 4, 5, 6}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip_Libdeflate_ReusedCompressor)
    ->ArgsProduct({{10'000, 100'000}, {1, 6}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip_Isal)
    ->ArgsProduct({{10'000, 100'000}, {0, 1, 2, 3}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip_Plugin)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
