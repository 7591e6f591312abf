// The plugin of nq-bench's hot-path benchmarks, loaded once (plugin_host.hpp).
#include "plugin_host.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

namespace nq::bench {

nq::testing::TestEngine& plugin_engine() {
  static nq::testing::TestEngine engine;
  return engine;
}

nq_host* plugin_host() {
  static nq_host* host = [] {
    // As a database server does: as many files as allowed, so that the
    // listener may hold the attack of BM_QueryPair_Plugin_WhileAttacked.
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
    nq::testing::TestEngine& engine = plugin_engine();
    engine.settings["listen"] = "127.0.0.1:0";
    nq_host* h = engine.create_host();
    char err[512];
    if (nq_host_load(h, NQ_PLUGIN_PATH, err, sizeof err) != NQ_OK) {
      std::fprintf(stderr, "nq-bench: cannot load the plugin: %s\n", err);
      std::abort();
    }
    return h;
  }();
  return host;
}

}  // namespace nq::bench
