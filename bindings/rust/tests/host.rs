// The binding against the real built plugin: events from several threads,
// /metrics scraped over loopback with exact values, the errors of a missing
// file and of a plugin of another ABI major, a reload that keeps the counts.
// The project's build runs it with the paths of what it built in
// NQ_PLUGIN_PATH, NQ_ALTERNATE_PLUGIN_PATH and NQ_WRONG_ABI_PLUGIN_PATH.
use nq_host::{nq_str, sys, EngineServices, Host, LogLevel};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn built(variable: &str) -> PathBuf {
    PathBuf::from(std::env::var(variable).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run through ctest (ctest -R rust_binding)",
            variable
        )
    }))
}

#[derive(Clone, Default)]
struct TestEngine {
    lines: Arc<Mutex<Vec<String>>>,
}

impl EngineServices for TestEngine {
    fn log(&self, _level: LogLevel, line: &str) {
        self.lines.lock().unwrap().push(line.to_string());
    }
    fn monotonic_ns(&self) -> u64 {
        0
    }
    fn setting(&self, key: &str) -> Option<String> {
        if key == "listen" {
            Some("127.0.0.1:0".to_string())
        } else {
            None
        }
    }
}

impl TestEngine {
    // The port of the plugin's last "serving http://127.0.0.1:PORT" line.
    fn metrics_port(&self) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines = self.lines.lock().unwrap().clone();
            let port = lines.iter().rev().find_map(|l| {
                let at = l.find("serving http://127.0.0.1:")? + "serving http://127.0.0.1:".len();
                l[at..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            });
            if let Some(port) = port {
                return port;
            }
            assert!(Instant::now() < deadline, "no serving line in {:?}", lines);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "{}",
        &reply[..reply.len().min(200)]
    );
    reply
}

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn query_pair(host: &Host, digest: &str) {
    let mut begin = sys::nq_query_begin_event::new();
    begin.query_type = sys::NQ_QUERY_UPDATE;
    begin.digest = nq_str(digest);
    host.query_begin(&begin);
    let mut end = sys::nq_query_end_event::new();
    end.query_type = sys::NQ_QUERY_UPDATE;
    end.status = sys::NQ_QUERY_SUCCESS;
    end.duration_ns = 2_000_000;
    end.digest = nq_str(digest);
    host.query_end(&end);
}

const UPDATES: &str = r#"neuroquantum_queries_total{query_type="update",status="success"}"#;

#[test]
fn events_from_several_threads_are_counted_exactly_and_survive_a_reload() {
    let engine = TestEngine::default();
    let host = Arc::new(Host::new(engine.clone(), 8).unwrap());
    host.load(&built("NQ_PLUGIN_PATH")).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let host = Arc::clone(&host);
            std::thread::spawn(move || (0..10_000).for_each(|_| query_pair(&host, "d1")))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let text = scrape(engine.metrics_port());
    assert_eq!(sample(&text, UPDATES), Some(40_000.0));
    assert_eq!(
        sample(
            &text,
            r#"neuroquantum_plugin_malformed_events_total{hook="query_end"}"#
        ),
        Some(0.0)
    );

    host.reload(&built("NQ_ALTERNATE_PLUGIN_PATH")).unwrap();
    query_pair(&host, "d1");
    let text = scrape(engine.metrics_port());
    assert_eq!(
        sample(&text, UPDATES),
        Some(40_001.0),
        "the reload kept the counts"
    );
    host.unload().unwrap();
}

#[test]
fn a_missing_file_and_a_plugin_of_another_major_are_errors_with_messages() {
    let host = Host::new(TestEngine::default(), 0).unwrap();
    let missing = host
        .load(&PathBuf::from("/nonexistent/libnq_metrics.so"))
        .unwrap_err();
    assert_eq!(missing.status, sys::NQ_ERR_NOT_FOUND);
    assert!(
        missing.message.contains("/nonexistent/libnq_metrics.so"),
        "{}",
        missing
    );
    let other_major = host.load(&built("NQ_WRONG_ABI_PLUGIN_PATH")).unwrap_err();
    assert_eq!(other_major.status, sys::NQ_ERR_ABI_MISMATCH);
    assert!(
        other_major.message.contains("plugin ABI"),
        "{}",
        other_major
    );
    // Nothing loaded: hooks are no-ops.
    query_pair(&host, "d1");
}

#[test]
fn a_host_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Host>();
}
