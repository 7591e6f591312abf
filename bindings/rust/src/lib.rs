//! Rust binding of the nq-metrics host runtime (`hooks/include/nq/nq_host.h`):
//! an engine creates a [`Host`] with its services, loads the metrics plugin,
//! calls one method per hook from any thread, reloads and unloads it.
//!
//! ```no_run
//! # use nq_host::{event, EngineServices, Host, LogLevel, QueryStatus, QueryType};
//! # struct Services;
//! # impl EngineServices for Services {
//! #     fn log(&self, _: LogLevel, _: &str) {}
//! #     fn monotonic_ns(&self) -> u64 { 0 }
//! #     fn setting(&self, _: &str) -> Option<String> { None }
//! # }
//! # fn main() -> Result<(), nq_host::Error> {
//! let host = Host::new(Services, 0)?;
//! host.load(std::path::Path::new("libnq_metrics.so"))?;
//! host.query_end(&event::QueryEnd {
//!     query_type: QueryType::Insert,
//!     status: QueryStatus::Success,
//!     duration_ns: 1_200_000,
//!     digest: "3f2a9c",
//!     ..Default::default()
//! });
//! # Ok(())
//! # }
//! ```
//!
//! The hook methods, the [`event`] structs and the enums of the ABI's
//! constant lists ([`QueryType`], [`LockType`], [`Gauge`]...) are generated
//! by `build.rs` from the C headers (never typed by hand), as are the raw
//! declarations in [`sys`]; a test compares every size and offset with the C
//! compiler's. A hook method lowers its event into the C struct on the stack
//! and calls the host's dispatch: `#[inline]`, nothing allocated, no lock on
//! the Rust side. Strings are borrowed for the call only; the plugin copies
//! (and sanitizes: it accepts any bytes) what it keeps. Thread-safety: a
//! `Host` is `Send + Sync`; hook methods are lock-free; load, reload and
//! unload are serialized by the host runtime. The raw API stays public:
//! [`sys`]'s `nq_host_*` functions with [`Host::as_raw`].

use std::ffi::CString;
use std::fmt;
use std::os::raw::{c_char, c_void};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The raw C declarations (generated).
#[allow(non_camel_case_types, non_upper_case_globals, dead_code, clippy::all)]
pub mod sys {
    macro_rules! field_layout {
        ($t:ident, $f:ident, $name:expr) => {{
            fn size_of_pointee<T>(_: *const T) -> usize {
                core::mem::size_of::<T>()
            }
            let value = core::mem::MaybeUninit::<$t>::uninit();
            let base = value.as_ptr();
            let field = unsafe { core::ptr::addr_of!((*base).$f) };
            (
                stringify!($t),
                $name,
                field as usize - base as usize,
                size_of_pointee(field),
            )
        }};
    }
    include!(concat!(env!("OUT_DIR"), "/sys.rs"));

    /// Sizes and offsets as the C compiler sees them (for the layout test).
    pub mod c {
        include!(concat!(env!("OUT_DIR"), "/c_layouts.rs"));
    }
}

/// An `nq_str` pointing into `s` (valid as long as `s` is), for the raw
/// [`sys`] API.
#[inline]
pub fn nq_str(s: &str) -> sys::nq_str {
    sys::nq_str {
        data: s.as_ptr() as *const c_char,
        len: s.len(),
    }
}

// The enums of the ABI's constant lists (QueryType, QueryStatus, LockType,
// WsDisconnectReason, WsDropReason, Gauge, LogLevel), generated.
include!(concat!(env!("OUT_DIR"), "/enums.rs"));

/// The hook events in Rust types, one struct per C event struct (generated):
/// strings as `&str`, list values as enums, flags as `bool`; `struct_size`
/// and the reserved fields are set when the event is lowered. Build one with
/// `..Default::default()` for the fields you do not give (0, empty, the
/// list's value 0), as a zeroed C event would.
pub mod event {
    use crate::sys;
    include!(concat!(env!("OUT_DIR"), "/events.rs"));
}

/// What the engine gives the plugin: its log, its monotonic clock and the
/// plugin's settings. Called from the plugin's own threads, never from a
/// hook call.
pub trait EngineServices: Send + Sync + 'static {
    fn log(&self, level: LogLevel, line: &str);
    fn monotonic_ns(&self) -> u64;
    /// The value of one of the plugin's settings (e.g. "listen"), if set.
    fn setting(&self, key: &str) -> Option<String>;
}

/// A failed host call: the `nq_status` and the host's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: sys::nq_status,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (status {})", self.message, self.status)
    }
}

impl std::error::Error for Error {}

struct Services {
    engine: Box<dyn EngineServices>,
    raw: sys::nq_engine_services,
}

fn services_of<'a>(context: *mut c_void) -> &'a Services {
    unsafe { &*(context as *const Services) }
}

unsafe fn text_of<'a>(s: sys::nq_str) -> std::borrow::Cow<'a, str> {
    if s.data.is_null() {
        return "".into();
    }
    String::from_utf8_lossy(std::slice::from_raw_parts(s.data as *const u8, s.len))
}

extern "C" fn log_line(context: *mut c_void, level: sys::nq_log_level, line: sys::nq_str) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let text = unsafe { text_of(line) };
        services_of(context)
            .engine
            .log(LogLevel::from_raw(level).unwrap_or(LogLevel::Error), &text)
    }));
}

extern "C" fn monotonic_ns(context: *mut c_void) -> u64 {
    catch_unwind(AssertUnwindSafe(|| {
        services_of(context).engine.monotonic_ns()
    }))
    .unwrap_or(0)
}

extern "C" fn config_lookup(
    context: *mut c_void,
    key: sys::nq_str,
    value: *mut c_char,
    value_cap: usize,
) -> i64 {
    catch_unwind(AssertUnwindSafe(|| {
        let key = unsafe { text_of(key) };
        match services_of(context).engine.setting(&key) {
            Some(v) => {
                let n = v.len().min(value_cap);
                unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), value as *mut u8, n) };
                v.len() as i64
            }
            None => -1,
        }
    }))
    .unwrap_or(-1)
}

/// The host runtime with (at most) one plugin loaded.
pub struct Host {
    raw: *mut sys::nq_host,
    _services: Box<Services>,
}

// The host runtime is thread-safe (nq_host.h): dispatch is lock-free,
// lifecycle calls are serialized inside it.
unsafe impl Send for Host {}
unsafe impl Sync for Host {}

const ERROR_CAPACITY: usize = 1024;

fn status_result(status: sys::nq_status, err: &[u8]) -> Result<(), Error> {
    if status == sys::NQ_OK {
        return Ok(());
    }
    let end = err.iter().position(|&b| b == 0).unwrap_or(err.len());
    let mut message = String::from_utf8_lossy(&err[..end]).into_owned();
    if message.is_empty() {
        let name = unsafe { std::ffi::CStr::from_ptr(sys::nq_status_name(status)) };
        message = name.to_string_lossy().into_owned();
    }
    Err(Error { status, message })
}

fn c_path(path: &Path) -> Result<CString, Error> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| Error {
        status: sys::NQ_ERR_INVALID_ARGUMENT,
        message: format!("{}: path contains a NUL byte", path.display()),
    })
}

impl Host {
    /// A host over the engine's services; `thread_slots` exclusive slots
    /// (0: the default, 64).
    pub fn new(engine: impl EngineServices, thread_slots: u32) -> Result<Host, Error> {
        let mut services = Box::new(Services {
            engine: Box::new(engine),
            raw: sys::nq_engine_services::new(),
        });
        services.raw.abi_version = sys::NQ_ABI_VERSION;
        services.raw.engine_context = &*services as *const Services as *mut c_void;
        services.raw.log = Some(log_line);
        services.raw.monotonic_ns = Some(monotonic_ns);
        services.raw.config_lookup = Some(config_lookup);
        let mut options = sys::nq_host_options::new();
        options.thread_slots = thread_slots;
        options.services = &services.raw;
        let raw = unsafe { sys::nq_host_create(&options) };
        if raw.is_null() {
            return Err(Error {
                status: sys::NQ_ERR_INVALID_ARGUMENT,
                message: format!(
                    "host not created: thread_slots {} is above {}",
                    thread_slots,
                    sys::NQ_MAX_THREAD_SLOTS
                ),
            });
        }
        Ok(Host {
            raw,
            _services: services,
        })
    }

    /// Loads the plugin at `path`; on failure the host is as it was.
    pub fn load(&self, path: &Path) -> Result<(), Error> {
        self.call_with_path(sys::nq_host_load, path)
    }

    /// Replaces the loaded plugin with the one at `path` while hooks are
    /// called; on failure before the swap the running copy keeps serving.
    pub fn reload(&self, path: &Path) -> Result<(), Error> {
        self.call_with_path(sys::nq_host_reload, path)
    }

    // nq_host_load and nq_host_reload: (host, path, err, err_cap).
    fn call_with_path(
        &self,
        call: unsafe extern "C" fn(
            *mut sys::nq_host,
            *const c_char,
            *mut c_char,
            usize,
        ) -> sys::nq_status,
        path: &Path,
    ) -> Result<(), Error> {
        let path = c_path(path)?;
        let mut err = [0u8; ERROR_CAPACITY];
        let status = unsafe {
            call(
                self.raw,
                path.as_ptr(),
                err.as_mut_ptr() as *mut c_char,
                err.len(),
            )
        };
        status_result(status, &err)
    }

    /// The C host, for the raw [`sys`] functions (e.g. `sys::nq_host_query_end`
    /// with an event built by hand); valid as long as this `Host` is.
    pub fn as_raw(&self) -> *mut sys::nq_host {
        self.raw
    }

    /// Stops and unloads the plugin.
    pub fn unload(&self) -> Result<(), Error> {
        status_result(unsafe { sys::nq_host_unload(self.raw) }, &[])
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        unsafe { sys::nq_host_destroy(self.raw) }
    }
}

include!(concat!(env!("OUT_DIR"), "/hooks.rs"));
