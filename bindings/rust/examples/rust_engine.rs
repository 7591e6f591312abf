// A small engine in Rust, the worked example of docs/EMBEDDING.md: it reads
// the plugin's path and settings from a config file, starts worker threads
// that issue statements, lock waits, buffer pool and WebSocket events through
// the binding, reloads the plugin on SIGHUP (reading the config again) and
// stops on SIGINT or SIGTERM. The plugin serves /metrics on its own listener.
//
//   cargo run --release --offline --example rust_engine -- engine.toml
//
// engine.toml (a minimal form of the mock engine's TOML):
//   [plugins.metrics]
//   path = "/usr/lib/neuroquantum/libnq_metrics.so"
//   [plugins.metrics.settings]
//   listen = "127.0.0.1:9470"
use nq_host::{event, EngineServices, Host, LockType, LogLevel, QueryStatus, QueryType};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

static RELOAD: AtomicBool = AtomicBool::new(false);
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
}
const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

extern "C" fn on_signal(signum: i32) {
    // Only an atomic store: async-signal-safe.
    if signum == SIGHUP {
        RELOAD.store(true, Ordering::SeqCst);
    } else {
        STOP.store(true, Ordering::SeqCst);
    }
}

struct Config {
    plugin_path: PathBuf,
    settings: HashMap<String, String>,
}

// `[plugins.metrics] path = "..."` and `[plugins.metrics.settings] key = value`.
fn read_config(file: &str) -> Result<Config, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {}", file, e))?;
    let (mut section, mut path, mut settings) = (String::new(), None, HashMap::new());
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            section = line[1..line.len() - 1].trim().to_string();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{}:{}: expected key = value", file, number + 1))?;
        let value = value.trim().trim_matches('"').to_string();
        match (section.as_str(), key.trim()) {
            ("plugins.metrics", "path") => path = Some(PathBuf::from(value)),
            ("plugins.metrics.settings", key) => {
                settings.insert(key.to_string(), value);
            }
            _ => {}
        }
    }
    let plugin_path = path.ok_or_else(|| format!("{}: [plugins.metrics] path is missing", file))?;
    Ok(Config {
        plugin_path,
        settings,
    })
}

struct Engine {
    started: Instant,
    settings: RwLock<HashMap<String, String>>,
}

// What the plugin sees of the engine.
struct Services(Arc<Engine>);

impl EngineServices for Services {
    fn log(&self, level: LogLevel, line: &str) {
        eprintln!("rust engine: plugin {:?}: {}", level, line);
    }
    fn monotonic_ns(&self) -> u64 {
        self.0.started.elapsed().as_nanos() as u64
    }
    fn setting(&self, key: &str) -> Option<String> {
        self.0.settings.read().unwrap().get(key).cloned()
    }
}

// One worker: statements, and now and then a lock wait, buffer pool and
// WebSocket events, with durations from the engine's clock.
fn work(host: &Host, engine: &Engine, worker: u64) {
    let tables = ["table:orders", "table:accounts", "table:audit"];
    let mut n: u64 = 0;
    while !STOP.load(Ordering::Relaxed) {
        n += 1;
        let began = engine.started.elapsed().as_nanos() as u64;
        let query_type =
            [QueryType::Select, QueryType::Update, QueryType::Insert][(n % 3) as usize];
        let query_id = worker << 32 | n;
        host.query_begin(&event::QueryBegin {
            query_type,
            query_id,
            timestamp_ns: began,
            ..Default::default()
        });
        if n % 10 == 0 {
            host.lock_wait_end(&event::LockWait {
                lock_type: LockType::Exclusive,
                wait_ns: 50_000,
                acquired: true,
                resource: tables[(n / 10 % 3) as usize],
            });
        }
        let pages = event::Buffer { pages: 4 };
        if n % 7 == 0 {
            host.buffer_miss(&pages)
        } else {
            host.buffer_hit(&pages)
        }
        std::thread::sleep(Duration::from_millis(2));
        let failed = n % 50 == 0;
        host.query_end(&event::QueryEnd {
            query_type,
            query_id,
            status: if failed {
                QueryStatus::Error
            } else {
                QueryStatus::Success
            },
            error_type: if failed { "constraint_violation" } else { "" },
            duration_ns: engine.started.elapsed().as_nanos() as u64 - began,
            rows_returned: n % 20,
            ..Default::default()
        });
        if n % 5 == 0 {
            host.ws_send(&event::WsMessage {
                bytes: 512,
                channel: "orders",
                ..Default::default()
            });
        }
    }
}

fn main() {
    let file = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: rust_engine CONFIG.toml");
        std::process::exit(2)
    });
    let config = read_config(&file).unwrap_or_else(|e| {
        eprintln!("rust engine: {}", e);
        std::process::exit(2)
    });
    unsafe {
        signal(SIGHUP, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    let engine = Arc::new(Engine {
        started: Instant::now(),
        settings: RwLock::new(config.settings),
    });
    let host = Arc::new(Host::new(Services(Arc::clone(&engine)), 0).unwrap());
    match host.load(&config.plugin_path) {
        Ok(()) => eprintln!("rust engine: loaded {}", config.plugin_path.display()),
        Err(e) => eprintln!(
            "rust engine: metrics plugin not loaded, running without it: {}",
            e
        ),
    }
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (host, engine) = (Arc::clone(&host), Arc::clone(&engine));
            std::thread::spawn(move || work(&host, &engine, worker))
        })
        .collect();
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        if RELOAD.swap(false, Ordering::SeqCst) {
            match read_config(&file) {
                Ok(config) => {
                    *engine.settings.write().unwrap() = config.settings;
                    match host.reload(&config.plugin_path) {
                        Ok(()) => {
                            eprintln!("rust engine: reloaded {}", config.plugin_path.display())
                        }
                        Err(e) => eprintln!(
                            "rust engine: reload failed, the running copy keeps serving: {}",
                            e
                        ),
                    }
                }
                Err(e) => eprintln!("rust engine: config not reloaded: {}", e),
            }
        }
    }
    workers.into_iter().for_each(|w| w.join().unwrap());
    host.unload().ok();
    eprintln!("rust engine: stopped");
}
