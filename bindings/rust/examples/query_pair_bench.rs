// The cost of one query begin + end pair from Rust through the binding, on
// one thread, with the real plugin loaded: the Rust counterpart of nq-bench's
// BM_QueryPair_Plugin/threads:1 (the same events, the same loop, through the
// typed hook methods: each lowers its event into the C struct on the stack and
// calls the C API). Wall time per pair; run it on an idle machine.
//
//   NQ_PLUGIN_PATH=build/release/lib/libnq_metrics.so \
//     cargo run --release --offline --example query_pair_bench
use nq_host::{event, EngineServices, Host, LogLevel, QueryStatus, QueryType};
use std::path::PathBuf;
use std::time::Instant;

struct QuietEngine;

impl EngineServices for QuietEngine {
    fn log(&self, _level: LogLevel, _line: &str) {}
    fn monotonic_ns(&self) -> u64 {
        0
    }
    fn setting(&self, key: &str) -> Option<String> {
        (key == "listen").then(|| "127.0.0.1:0".to_string())
    }
}

fn main() {
    let plugin = PathBuf::from(std::env::var("NQ_PLUGIN_PATH").expect("set NQ_PLUGIN_PATH"));
    let host = Host::new(QuietEngine, 0).unwrap();
    host.load(&plugin).unwrap();
    let begin = event::QueryBegin::default(); // a select
    let mut end = event::QueryEnd {
        query_type: QueryType::Select,
        status: QueryStatus::Success,
        ..Default::default()
    };
    const PAIRS: u64 = 5_000_000;
    let mut runs = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        for d in 0..PAIRS {
            host.query_begin(&begin); // an FFI call: never optimized away
            end.duration_ns = (d & 0xFFFFF) * 1000;
            host.query_end(&end);
        }
        runs.push(started.elapsed().as_nanos() as f64 / PAIRS as f64);
    }
    runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "query begin + end from Rust: median {:.1} ns per pair (min {:.1}, max {:.1}; 7 runs of {} pairs)",
        runs[3], runs[0], runs[6], PAIRS
    );
}
