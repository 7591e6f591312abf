// The binding against the real built plugin: events from several threads,
// /metrics scraped over loopback with exact values, typed events reaching the
// plugin with the label values of their enums, the errors of a missing
// file and of a plugin of another ABI major, a reload that keeps the counts.
// The project's build runs it with the paths of what it built in
// NQ_PLUGIN_PATH, NQ_ALTERNATE_PLUGIN_PATH and NQ_WRONG_ABI_PLUGIN_PATH.
use nq_host::{
    event, nq_str, sys, EngineServices, Gauge, Host, LockType, LogLevel, QueryStatus, QueryType,
    WsDisconnectReason, WsDropReason,
};
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
    host.query_begin(&event::QueryBegin {
        query_type: QueryType::Update,
        digest,
        ..Default::default()
    });
    host.query_end(&event::QueryEnd {
        query_type: QueryType::Update,
        status: QueryStatus::Success,
        duration_ns: 2_000_000,
        digest,
        ..Default::default()
    });
}

const UPDATES: &str = r#"neuroquantum_queries_total{query_type="update",status="success"}"#;

// ABI 1.2: who ran the statement and its trace context are plain fields of the
// generated events (the trace context as byte arrays).
#[test]
fn the_database_user_and_application_of_a_statement_are_counted() {
    let engine = TestEngine::default();
    let host = Host::new(engine.clone(), 1).unwrap();
    host.load(&built("NQ_PLUGIN_PATH")).unwrap();
    let end = event::QueryEnd {
        status: QueryStatus::Success,
        duration_ns: 1_000_000,
        database: "shop",
        user: "web",
        application: "storefront",
        trace_id: [0x4b; 16],
        span_id: [0x01; 8],
        ..Default::default()
    };
    assert_eq!(end.to_raw().trace_id, [0x4b; 16]);
    host.query_end(&end);
    host.query_end(&event::QueryEnd::default()); // as from an engine of ABI 1.1
    let text = scrape(engine.metrics_port());
    for (series, count) in [
        (r#"neuroquantum_database_queries_total{database="shop",status="success"}"#, 1.0),
        (r#"neuroquantum_database_queries_total{database="",status="success"}"#, 1.0),
        (r#"neuroquantum_user_queries_total{user="web",status="success"}"#, 1.0),
        (r#"neuroquantum_application_queries_total{application="storefront"}"#, 1.0),
    ] {
        assert_eq!(sample(&text, series), Some(count), "{}", series);
    }
    host.unload().unwrap();
}

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

#[test]
fn typed_events_reach_the_plugin_with_the_label_values_of_their_enums() {
    let engine = TestEngine::default();
    let host = Host::new(engine.clone(), 0).unwrap();
    host.load(&built("NQ_PLUGIN_PATH")).unwrap();
    // One statement of each type and status, and one insert more that failed.
    for query_type in QueryType::ALL {
        for status in QueryStatus::ALL {
            host.query_end(&event::QueryEnd {
                query_type,
                status,
                duration_ns: 1_000_000,
                digest: "typed",
                ..Default::default()
            });
        }
    }
    host.query_end(&event::QueryEnd {
        query_type: QueryType::Insert,
        status: QueryStatus::Error,
        duration_ns: 3_000_000,
        error_type: "constraint_violation",
        ..Default::default()
    });
    host.lock_wait_end(&event::LockWait {
        lock_type: LockType::IntentExclusive,
        wait_ns: 250_000_000,
        acquired: true,
        resource: "table:orders",
    });
    host.ws_connect(&event::WsConnection { connection_id: 7 });
    host.ws_drop(&event::WsDrop {
        reason: WsDropReason::QueueFull,
        connection_id: 7,
        messages: 5,
    });
    host.ws_disconnect(&event::WsDisconnect {
        reason: WsDisconnectReason::Timeout,
        connection_id: 7,
        duration_ns: 1_000_000_000,
    });
    host.gauge_sample(&event::GaugeSample {
        gauge: Gauge::BufferPoolDirtyPages,
        value: 42.0,
    });
    // The raw API still works beside the typed one.
    let mut raw = sys::nq_query_end_event::new();
    raw.query_type = sys::NQ_QUERY_DDL;
    raw.status = sys::NQ_QUERY_CANCELLED;
    raw.digest = nq_str("raw");
    unsafe { sys::nq_host_query_end(host.as_raw(), &raw) };

    let text = scrape(engine.metrics_port());
    let value = |series: &str| {
        sample(&text, series).unwrap_or_else(|| panic!("no {} in\n{}", series, text))
    };
    assert_eq!(
        value(r#"neuroquantum_queries_total{query_type="insert",status="error"}"#),
        2.0
    );
    assert_eq!(
        value(r#"neuroquantum_queries_total{query_type="ddl",status="cancelled"}"#),
        2.0,
        "one typed, one raw"
    );
    for query_type in QueryType::ALL {
        for status in QueryStatus::ALL {
            let expected = match (query_type, status) {
                (QueryType::Insert, QueryStatus::Error) => 2.0,
                (QueryType::Ddl, QueryStatus::Cancelled) => 2.0,
                _ => 1.0,
            };
            let series = format!(
                "neuroquantum_queries_total{{query_type=\"{}\",status=\"{}\"}}",
                query_type.label(),
                status.label()
            );
            assert_eq!(value(&series), expected, "{}", series);
        }
    }
    assert_eq!(
        value(r#"neuroquantum_lock_waits_total{lock_type="intent_exclusive"}"#),
        1.0
    );
    assert_eq!(
        value(r#"neuroquantum_lock_wait_seconds_total{lock_type="intent_exclusive"}"#),
        0.25
    );
    assert_eq!(
        value(r#"neuroquantum_websocket_messages_dropped_total{reason="queue_full"}"#),
        5.0
    );
    assert_eq!(
        value(r#"neuroquantum_websocket_disconnects_total{reason="timeout"}"#),
        1.0
    );
    assert_eq!(
        value(r#"neuroquantum_buffer_pool_pages{state="dirty"}"#),
        42.0
    );
    assert_eq!(
        value(r#"neuroquantum_plugin_malformed_events_total{hook="query_end"}"#),
        0.0
    );
    host.unload().unwrap();
}

#[test]
fn the_enums_are_the_lists_of_the_header() {
    assert_eq!(QueryType::Insert.to_raw(), sys::NQ_QUERY_INSERT);
    assert_eq!(QueryType::ALL.len() as u32, sys::NQ_QUERY_TYPE_COUNT);
    assert_eq!(QueryStatus::ALL.len() as u32, sys::NQ_QUERY_STATUS_COUNT);
    assert_eq!(LockType::ALL.len() as u32, sys::NQ_LOCK_TYPE_COUNT);
    assert_eq!(Gauge::ALL.len() as u32, sys::NQ_GAUGE_COUNT);
    assert_eq!(LogLevel::ALL.len() as u32, sys::NQ_LOG_LEVEL_COUNT);
    assert_eq!(
        WsDisconnectReason::from_raw(sys::NQ_WS_DISCONNECT_ERROR),
        Some(WsDisconnectReason::Error)
    );
    assert_eq!(WsDropReason::from_raw(sys::NQ_WS_DROP_REASON_COUNT), None);
    assert_eq!(LockType::IntentShared.label(), "intent_shared");
    assert_eq!(
        Gauge::BufferPoolFreePages.metric(),
        "neuroquantum_buffer_pool_pages"
    );
    assert_eq!(Gauge::BufferPoolFreePages.state(), "free");
    assert_eq!(u32::from(LogLevel::Warn), sys::NQ_LOG_WARN);
    // Defaults are the value 0, as in a zeroed C event.
    let end = event::QueryEnd::default().to_raw();
    assert_eq!(
        end.struct_size as usize,
        std::mem::size_of::<sys::nq_query_end_event>()
    );
    assert_eq!((end.query_type, end.status, end.digest.len), (0, 0, 0));
}
