/*
 * nq_plugin_abi.h - the NeuroQuantumDB engine <-> plugin contract.
 *
 * This is the only header a plugin or an engine needs. It is plain C99 with no
 * C++ types, so it can be included from C, C++ and Rust (bindgen).
 *
 * Versioning
 *   NQ_ABI_VERSION_MAJOR changes on any breaking change; a host refuses a plugin
 *   of another MAJOR. NQ_ABI_VERSION_MINOR changes on additive changes only.
 *   Every versioned struct starts with `struct_size` (set by whoever fills it
 *   in) and only ever grows at its end, under an "ABI 1.x+" comment, so an
 *   older plugin works with a newer engine and the reverse: a reader uses a
 *   field only when struct_size says it is there.
 *   nq_str is the one exception: a frozen (pointer, length) pair, never grown.
 *
 * Strings
 *   Always nq_str (pointer + length, no NUL terminator expected). data may be
 *   NULL when len is 0. Content is untrusted: a plugin validates UTF-8 itself.
 *
 * Errors
 *   Functions return nq_status (NQ_OK == 0, errors < 0). Where an error
 *   message is useful the caller passes a buffer (err, err_cap) that the
 *   callee fills with a NUL-terminated message, truncated to err_cap.
 *   Nothing that crosses this ABI throws or longjmps.
 *
 * Threads
 *   Hooks may be called concurrently from any engine thread. The caller of a
 *   hook passes a thread slot: an index in [0, services->thread_slots) that no
 *   other thread uses at the same time, or NQ_THREAD_SLOT_SHARED when it
 *   cannot promise that. Plugins use it to keep thread-owned counters without
 *   locks or thread-local storage. Timestamps and durations come from the
 *   engine; a plugin never reads a clock or calls back into the engine from a
 *   hook.
 */
#ifndef NQ_PLUGIN_ABI_H
#define NQ_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ----------------------------------------------------------- */

#define NQ_ABI_VERSION_MAJOR 1
#define NQ_ABI_VERSION_MINOR 1
#define NQ_ABI_MAKE_VERSION(major, minor) ((((uint32_t)(major)) << 16) | ((uint32_t)(minor)))
#define NQ_ABI_VERSION NQ_ABI_MAKE_VERSION(NQ_ABI_VERSION_MAJOR, NQ_ABI_VERSION_MINOR)
#define NQ_ABI_MAJOR_OF(version) (((uint32_t)(version)) >> 16)
#define NQ_ABI_MINOR_OF(version) (((uint32_t)(version)) & 0xFFFFu)

/* The one symbol a plugin exports (see nq_plugin_entry_fn). */
#define NQ_PLUGIN_ENTRY_SYMBOL "nq_plugin_entry"

#if defined(_WIN32)
#define NQ_PLUGIN_EXPORT __declspec(dllexport)
#else
#define NQ_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ---- Status codes ------------------------------------------------------- */

typedef int32_t nq_status;
#define NQ_OK 0
#define NQ_ERR_INVALID_ARGUMENT (-1) /* NULL or malformed argument */
#define NQ_ERR_NOT_FOUND (-2)        /* plugin file does not exist or is unreadable */
#define NQ_ERR_LOAD_FAILED (-3)      /* the dynamic loader refused the file (not an ELF...) */
#define NQ_ERR_NO_ENTRY_POINT (-4)   /* the file does not export NQ_PLUGIN_ENTRY_SYMBOL */
#define NQ_ERR_ABI_MISMATCH (-5)     /* plugin built for another ABI MAJOR, or bad descriptor */
#define NQ_ERR_CREATE_FAILED (-6)    /* the plugin's create() failed (bad settings...) */
#define NQ_ERR_START_FAILED (-7)     /* the plugin's start() failed (port in use...) */
#define NQ_ERR_STATE_REJECTED (-8)   /* import_state() could not read the handed-over state */
#define NQ_ERR_BUFFER_TOO_SMALL (-9) /* retry with the size reported */
#define NQ_ERR_NOT_LOADED (-10)      /* no plugin is loaded */
#define NQ_ERR_INTERNAL (-11)        /* unexpected failure inside the callee */

/* ---- Basic types -------------------------------------------------------- */

typedef struct nq_str {
  const char* data;
  size_t len;
} nq_str;

/* Opaque plugin instance, created by nq_plugin_descriptor.create. */
typedef struct nq_plugin_instance nq_plugin_instance;

typedef uint32_t nq_thread_slot;
#define NQ_THREAD_SLOT_SHARED ((nq_thread_slot)0xFFFFFFFFu)

typedef uint32_t nq_bool32; /* 0 = false, 1 = true; 32 bits so no padding appears */

/* ---- Enumerations (fixed-width integers; values never change) ----------- */

typedef uint32_t nq_query_type;
#define NQ_QUERY_SELECT 0u
#define NQ_QUERY_INSERT 1u
#define NQ_QUERY_UPDATE 2u
#define NQ_QUERY_DELETE 3u
#define NQ_QUERY_DDL 4u
#define NQ_QUERY_OTHER 5u /* also used for any unknown value */
#define NQ_QUERY_TYPE_COUNT 6u

typedef uint32_t nq_query_status;
#define NQ_QUERY_SUCCESS 0u
#define NQ_QUERY_ERROR 1u /* also used for any unknown value */
#define NQ_QUERY_CANCELLED 2u
#define NQ_QUERY_STATUS_COUNT 3u

typedef uint32_t nq_lock_type;
#define NQ_LOCK_SHARED 0u
#define NQ_LOCK_EXCLUSIVE 1u
#define NQ_LOCK_INTENT_SHARED 2u
#define NQ_LOCK_INTENT_EXCLUSIVE 3u
#define NQ_LOCK_OTHER 4u
#define NQ_LOCK_TYPE_COUNT 5u

typedef uint32_t nq_ws_disconnect_reason;
#define NQ_WS_DISCONNECT_CLIENT 0u
#define NQ_WS_DISCONNECT_SERVER 1u
#define NQ_WS_DISCONNECT_ERROR 2u
#define NQ_WS_DISCONNECT_TIMEOUT 3u
#define NQ_WS_DISCONNECT_REASON_COUNT 4u

typedef uint32_t nq_ws_drop_reason;
#define NQ_WS_DROP_BACKPRESSURE 0u
#define NQ_WS_DROP_QUEUE_FULL 1u
#define NQ_WS_DROP_CLOSED 2u
#define NQ_WS_DROP_REASON_COUNT 3u

typedef uint32_t nq_gauge;
#define NQ_GAUGE_MEMORY_USAGE_BYTES 0u
#define NQ_GAUGE_MEMORY_LIMIT_BYTES 1u
#define NQ_GAUGE_BUFFER_POOL_FREE_PAGES 2u
#define NQ_GAUGE_BUFFER_POOL_CLEAN_PAGES 3u
#define NQ_GAUGE_BUFFER_POOL_DIRTY_PAGES 4u
#define NQ_GAUGE_CONNECTIONS_MAX 5u
#define NQ_GAUGE_WEBSOCKET_CHANNELS 6u
#define NQ_GAUGE_STORAGE_FREE_BYTES 7u
#define NQ_GAUGE_STORAGE_SIZE_BYTES 8u
#define NQ_GAUGE_COUNT 9u

typedef uint32_t nq_log_level;
#define NQ_LOG_TRACE 0u
#define NQ_LOG_DEBUG 1u
#define NQ_LOG_INFO 2u
#define NQ_LOG_WARN 3u
#define NQ_LOG_ERROR 4u

/* ---- Hook events (ABI 1.0) ---------------------------------------------- */
/* Every event starts with struct_size = sizeof the struct the engine filled. */

typedef struct nq_query_begin_event {
  uint32_t struct_size;
  nq_query_type query_type;
  uint64_t query_id;
  uint64_t connection_id;
  uint64_t timestamp_ns;  /* engine monotonic clock */
  nq_str digest;          /* fingerprint of the normalized statement; may be empty */
  nq_str normalized_text; /* statement with literals replaced; never the raw text */
} nq_query_begin_event;

typedef struct nq_query_end_event {
  uint32_t struct_size;
  nq_query_type query_type;
  uint64_t query_id;
  uint64_t connection_id;
  nq_query_status status;
  uint32_t reserved0;
  uint64_t duration_ns; /* begin to end, as measured by the engine */
  uint64_t parse_ns;
  uint64_t plan_ns;
  uint64_t execute_ns;
  uint64_t lock_wait_ns;
  uint64_t io_wait_ns;
  uint64_t rows_examined;
  uint64_t rows_returned;
  nq_str digest;     /* same fingerprint as at begin; may be empty */
  nq_str error_type; /* short token when status is NQ_QUERY_ERROR; else empty */
} nq_query_end_event;

typedef struct nq_query_queue_event {
  uint32_t struct_size;
  uint32_t queue_length; /* queue length after this event */
  uint64_t query_id;
  uint64_t wait_ns; /* time spent queued (leave only; 0 on enter) */
} nq_query_queue_event;

typedef struct nq_connection_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t connection_id;
  uint64_t duration_ns; /* connection lifetime (close only; 0 on open) */
} nq_connection_event;

typedef struct nq_connection_error_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t connection_id; /* 0 when the connection was refused before it got one */
  nq_str reason;          /* short token: max_connections, auth, tls, protocol, ... */
} nq_connection_error_event;

typedef struct nq_lock_wait_event {
  uint32_t struct_size;
  nq_lock_type lock_type;
  uint64_t wait_ns;
  nq_bool32 acquired; /* 0 when the wait ended by timeout, cancel or deadlock */
  uint32_t reserved0;
  nq_str resource; /* what was waited for, e.g. "table:orders" */
} nq_lock_wait_event;

typedef struct nq_deadlock_event {
  uint32_t struct_size;
  uint32_t participants;
  uint64_t victim_query_id;
} nq_deadlock_event;

typedef struct nq_buffer_event {
  uint32_t struct_size;
  uint32_t pages; /* number of pages this event stands for (batching allowed) */
} nq_buffer_event;

typedef struct nq_buffer_eviction_event {
  uint32_t struct_size;
  uint32_t pages;
  nq_bool32 dirty; /* the evicted pages had to be written back */
  uint32_t reserved0;
} nq_buffer_eviction_event;

typedef struct nq_disk_io_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t bytes;
  uint64_t duration_ns;
} nq_disk_io_event;

typedef struct nq_wal_write_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t bytes;
} nq_wal_write_event;

typedef struct nq_wal_segment_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t segment_number;
} nq_wal_segment_event;

typedef struct nq_wal_fsync_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t duration_ns;
} nq_wal_fsync_event;

typedef struct nq_index_event {
  uint32_t struct_size;
  uint32_t reserved0;
  nq_str table;
  nq_str index;
} nq_index_event;

typedef struct nq_index_scan_event {
  uint32_t struct_size;
  nq_bool32 hit; /* the lookup found a matching entry */
  uint64_t rows_read;
  nq_str table;
  nq_str index;
} nq_index_scan_event;

typedef struct nq_ws_connection_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t connection_id;
} nq_ws_connection_event;

typedef struct nq_ws_disconnect_event {
  uint32_t struct_size;
  nq_ws_disconnect_reason reason;
  uint64_t connection_id;
  uint64_t duration_ns; /* connection lifetime */
} nq_ws_disconnect_event;

typedef struct nq_ws_message_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t connection_id;
  uint64_t bytes;
  uint64_t latency_ns; /* send: enqueue to sent; receive: 0 */
  nq_str channel;      /* may be empty */
} nq_ws_message_event;

typedef struct nq_ws_drop_event {
  uint32_t struct_size;
  nq_ws_drop_reason reason;
  uint64_t connection_id;
  uint64_t messages; /* messages dropped by this event */
} nq_ws_drop_event;

typedef struct nq_ws_channel_event {
  uint32_t struct_size;
  uint32_t subscribers; /* subscribers of the channel after this event */
  uint64_t connection_id;
  nq_str channel;
} nq_ws_channel_event;

typedef struct nq_ws_stream_event {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t stream_id;
  uint64_t connection_id;
  uint64_t rows;        /* rows streamed (end only) */
  uint64_t duration_ns; /* stream lifetime (end only) */
} nq_ws_stream_event;

typedef struct nq_ws_backpressure_event {
  uint32_t struct_size;
  nq_bool32 paused; /* 1: the connection was paused; 0: it resumed */
  uint64_t connection_id;
} nq_ws_backpressure_event;

typedef struct nq_gauge_sample_event {
  uint32_t struct_size;
  nq_gauge gauge;
  double value; /* current value in base units (bytes, pages, count) */
} nq_gauge_sample_event;

typedef struct nq_error_event {
  uint32_t struct_size;
  uint32_t reserved0;
  nq_str subsystem;  /* storage, wal, network, query, websocket, ... */
  nq_str error_type; /* short token */
} nq_error_event;

typedef struct nq_quantum_operation_event {
  uint32_t struct_size;
  nq_bool32 succeeded;
  uint64_t duration_ns;
  nq_str operation; /* grover_search, annealing, ... */
} nq_quantum_operation_event;

/* ---- The hook list ------------------------------------------------------ */
/*
 * Declared once; the hook table, the host's dispatch functions, the plugin's
 * per-hook counters and the mock engine are all generated from it.
 * X(name, event type, one-line description). Append only: a new hook goes at
 * the end under an "ABI 1.x+" comment.
 */
#define NQ_HOOK_LIST(X)                                                                        \
  X(query_begin, nq_query_begin_event, "a statement was accepted and starts executing")        \
  X(query_end, nq_query_end_event, "a statement ended: status, duration, phases, rows")        \
  X(query_queue_enter, nq_query_queue_event, "a statement entered the admission queue")        \
  X(query_queue_leave, nq_query_queue_event, "a statement left the admission queue")           \
  X(connection_open, nq_connection_event, "a client connection was accepted")                  \
  X(connection_close, nq_connection_event, "a client connection closed")                       \
  X(connection_error, nq_connection_error_event, "a connection was refused or failed")         \
  X(lock_wait_end, nq_lock_wait_event, "a lock wait ended, acquired or not")                   \
  X(deadlock, nq_deadlock_event, "the lock manager broke a deadlock")                          \
  X(buffer_hit, nq_buffer_event, "pages were found in the buffer pool")                        \
  X(buffer_miss, nq_buffer_event, "pages were not in the buffer pool")                         \
  X(buffer_eviction, nq_buffer_eviction_event, "pages were evicted from the buffer pool")      \
  X(disk_read, nq_disk_io_event, "the storage layer read from disk")                           \
  X(disk_write, nq_disk_io_event, "the storage layer wrote to disk")                           \
  X(wal_write, nq_wal_write_event, "bytes were appended to the write-ahead log")               \
  X(wal_segment, nq_wal_segment_event, "a new write-ahead log segment was started")            \
  X(wal_fsync, nq_wal_fsync_event, "the write-ahead log was fsync'ed")                         \
  X(index_created, nq_index_event, "an index exists (created, or announced at start)")         \
  X(index_dropped, nq_index_event, "an index was dropped")                                     \
  X(index_scan, nq_index_scan_event, "an index was used for a lookup or scan")                 \
  X(ws_connect, nq_ws_connection_event, "a WebSocket client connected")                        \
  X(ws_disconnect, nq_ws_disconnect_event, "a WebSocket client disconnected")                  \
  X(ws_send, nq_ws_message_event, "a WebSocket message was sent")                              \
  X(ws_receive, nq_ws_message_event, "a WebSocket message was received")                       \
  X(ws_drop, nq_ws_drop_event, "WebSocket messages were dropped")                              \
  X(ws_subscribe, nq_ws_channel_event, "a WebSocket client subscribed to a channel")           \
  X(ws_unsubscribe, nq_ws_channel_event, "a WebSocket client unsubscribed from a channel")     \
  X(ws_stream_start, nq_ws_stream_event, "a WebSocket result stream started")                  \
  X(ws_stream_end, nq_ws_stream_event, "a WebSocket result stream ended")                      \
  X(ws_backpressure, nq_ws_backpressure_event, "a WebSocket connection was paused or resumed") \
  X(gauge_sample, nq_gauge_sample_event, "the engine sampled a gauge (memory, pool pages...)") \
  X(error, nq_error_event, "an error was raised in an engine subsystem")                       \
  X(quantum_operation, nq_quantum_operation_event, "a quantum search operation ended")

/* Hook function types: nq_hook_query_begin_fn, ... */
#define NQ_ABI_DECLARE_HOOK_FN(name, event_type, doc)                                 \
  typedef void (*nq_hook_##name##_fn)(nq_plugin_instance * self, nq_thread_slot slot, \
                                      const event_type* event);
NQ_HOOK_LIST(NQ_ABI_DECLARE_HOOK_FN)
#undef NQ_ABI_DECLARE_HOOK_FN

/* The plugin's hooks. A NULL entry means "not interested". */
#define NQ_ABI_HOOK_FIELD(name, event_type, doc) nq_hook_##name##_fn name;
typedef struct nq_hook_table {
  uint32_t struct_size;
  uint32_t reserved0;
  NQ_HOOK_LIST(NQ_ABI_HOOK_FIELD)
} nq_hook_table;
#undef NQ_ABI_HOOK_FIELD

/* ---- Engine services ---------------------------------------------------- */
/*
 * Given to the plugin by the engine; valid from create() until destroy()
 * returns. Services are for the plugin's own threads and lifecycle calls,
 * never for hook calls. Every function pointer may be called concurrently.
 */
typedef struct nq_engine_services {
  uint32_t struct_size;
  uint32_t abi_version;  /* NQ_ABI_VERSION the engine was built with */
  void* engine_context;  /* passed back as the first argument of every service */
  uint32_t thread_slots; /* hook callers use slots [0, thread_slots) exclusively */
  uint32_t reserved0;
  /* Writes one line to the engine's log. */
  void (*log)(void* engine_context, nq_log_level level, nq_str message);
  /* The engine's monotonic clock, in nanoseconds. */
  uint64_t (*monotonic_ns)(void* engine_context);
  /* Looks up a key of the plugin's settings (e.g. "listen"). Copies at most
   * value_cap bytes of the value (no NUL added) and returns its full length,
   * or -1 when the key is not set. */
  int64_t (*config_lookup)(void* engine_context, nq_str key, char* value, size_t value_cap);
} nq_engine_services;

/* ---- Hot reload (ABI 1.1) ------------------------------------------------ */

typedef struct nq_reload_report {
  uint32_t struct_size;
  nq_status status;         /* NQ_OK: the reload succeeded; else why it failed */
  nq_str message;           /* what failed, or empty */
  nq_str previous_build_id; /* on success: the build id of the copy replaced */
  uint64_t pause_ns;        /* time the host waited for threads to leave the old copy */
} nq_reload_report;

/* ---- The plugin descriptor ---------------------------------------------- */

typedef struct nq_plugin_descriptor {
  uint32_t struct_size;
  uint32_t abi_version; /* NQ_ABI_VERSION the plugin was built with */
  nq_str name;
  nq_str version;
  nq_str build_id;
  /* Creates an instance from the engine's services and the plugin's settings. */
  nq_status (*create)(const nq_engine_services* services, nq_plugin_instance** out, char* err,
                      size_t err_cap);
  /* Adds state exported by an earlier copy (hot reload) to this instance.
   * Called after create(), once before the new copy's hooks are published and
   * once more after (hooks may be running then), always before start(). A
   * state the plugin cannot read is refused with NQ_ERR_STATE_REJECTED and a
   * message. May be NULL: the plugin keeps no state. */
  nq_status (*import_state)(nq_plugin_instance* self, const void* state, size_t state_len,
                            char* err, size_t err_cap);
  /* Starts the plugin's own threads and listeners. */
  nq_status (*start)(nq_plugin_instance* self, char* err, size_t err_cap);
  /* Stops what start() started; hooks may still be called until destroy(). */
  void (*stop)(nq_plugin_instance* self);
  /* Writes the instance's state for a later copy's import_state(): the first
   * call everything, each later call only what changed since the call before
   * (a reload exports once while the old copy still runs and once after it
   * went quiet). With state == NULL or state_cap too small, sets *state_len to
   * the size needed and returns NQ_ERR_BUFFER_TOO_SMALL; the state is kept
   * until a call with room takes it. May be NULL. */
  nq_status (*export_state)(nq_plugin_instance* self, void* state, size_t state_cap,
                            size_t* state_len);
  /* Frees the instance. No hook is called on it afterwards. */
  void (*destroy)(nq_plugin_instance* self);
  const nq_hook_table* hooks;
  /* ABI 1.1. Tells the copy that serves after a reload how the reload went:
   * the new copy on success, the old one (which keeps serving) on failure.
   * May be NULL. */
  void (*reload_finished)(nq_plugin_instance* self, const nq_reload_report* report);
} nq_plugin_descriptor;

/*
 * The entry point, exported as NQ_PLUGIN_ENTRY_SYMBOL. Called once per load
 * with the engine's ABI version and services; returns a descriptor that stays
 * valid until the plugin is unloaded, or NULL if the plugin cannot run at all.
 * The host checks descriptor->abi_version before calling anything else.
 */
typedef const nq_plugin_descriptor* (*nq_plugin_entry_fn)(uint32_t engine_abi_version,
                                                          const nq_engine_services* services);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NQ_PLUGIN_ABI_H */
