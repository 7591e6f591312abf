/*
 * A plain C99 engine that loads the plugin with nothing but the ABI header and
 * dlopen: checks the version, creates and starts the plugin, calls every hook
 * once, scrapes /metrics over loopback and checks exact values (every hook
 * counted once, none malformed, the statement counted under database=""),
 * then stops, destroys and unloads it. Built once against the tree's header
 * and once against the frozen ABI 1.1 header (tests/compat/abi-1.1): an
 * engine of that release. Usage: load_plugin PATH/libnq_metrics.so
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nq/nq_plugin_abi.h"

#include "listen_anywhere_config.h"

static char last_log[512];

static void engine_log(void* ctx, nq_log_level level, nq_str message) {
  size_t n = message.len < sizeof last_log - 1 ? message.len : sizeof last_log - 1;
  (void)ctx;
  memcpy(last_log, message.data, n);
  last_log[n] = '\0';
  fprintf(stderr, "plugin log [%u]: %s\n", (unsigned)level, last_log);
}

static uint64_t engine_clock(void* ctx) {
  (void)ctx;
  return 0;
}

static int fail(const char* what) {
  fprintf(stderr, "c consumer: FAILED: %s\n", what);
  return 1;
}

/* GET /metrics from 127.0.0.1:port into buf; returns bytes read or -1. */
static long scrape(int port, char* buf, size_t cap) {
  static const char request[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  struct sockaddr_in addr;
  long total = 0;
  ssize_t n;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0 ||
      send(fd, request, sizeof request - 1, 0) != (ssize_t)(sizeof request - 1)) {
    close(fd);
    return -1;
  }
  while ((n = recv(fd, buf + total, cap - 1 - (size_t)total, 0)) > 0) total += n;
  buf[total] = '\0';
  close(fd);
  return total;
}

#define CALL_HOOK(name, event_type, doc)  \
  if (d->hooks->name != NULL) {           \
    event_type ev;                        \
    memset(&ev, 0, sizeof ev);            \
    ev.struct_size = (uint32_t)sizeof ev; \
    d->hooks->name(instance, 0, &ev);     \
  }

#define CHECK_COUNTED_ONCE(name, event_type, doc)                                             \
  if (strstr(body, "\nneuroquantum_plugin_events_total{hook=\"" #name "\"} 1\n") == NULL) {   \
    return fail("hook " #name " was not counted once");                                       \
  }                                                                                           \
  if (strstr(body, "\nneuroquantum_plugin_malformed_events_total{hook=\"" #name "\"} 0\n") == \
      NULL) {                                                                                 \
    return fail("hook " #name ": events counted as malformed");                               \
  }

int main(int argc, char** argv) {
  static char body[1 << 20];
  nq_engine_services services;
  nq_plugin_entry_fn entry;
  const nq_plugin_descriptor* d;
  nq_plugin_instance* instance = NULL;
  char err[256] = "";
  const char* serving;
  void* handle;
  int port;

  if (argc != 2) return fail("usage: load_plugin PLUGIN.so");
  handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) return fail(dlerror());
  *(void**)(&entry) = dlsym(handle, NQ_PLUGIN_ENTRY_SYMBOL);
  if (entry == NULL) return fail("no entry point");

  memset(&services, 0, sizeof services);
  services.struct_size = sizeof services;
  services.abi_version = NQ_ABI_VERSION;
  services.thread_slots = 1;
  services.log = engine_log;
  services.monotonic_ns = engine_clock;
  services.config_lookup = listen_anywhere_config;

  d = entry(NQ_ABI_VERSION, &services);
  if (d == NULL || NQ_ABI_MAJOR_OF(d->abi_version) != NQ_ABI_VERSION_MAJOR) {
    return fail("ABI version");
  }
  if (d->create(&services, &instance, err, sizeof err) != NQ_OK) return fail(err);
  if (d->start(instance, err, sizeof err) != NQ_OK) return fail(err);

  NQ_HOOK_LIST(CALL_HOOK) /* every hook once, query_begin/query_end included */

  serving = strstr(last_log, "serving http://127.0.0.1:");
  if (serving == NULL) return fail("no 'serving' log line");
  port = atoi(serving + strlen("serving http://127.0.0.1:"));
  if (scrape(port, body, sizeof body) <= 0) return fail("scrape");
  if (strstr(body, "HTTP/1.1 200") != body) return fail("status is not 200");
  if (strstr(body, "\nneuroquantum_queries_total{query_type=\"select\",status=\"success\"} 1\n") ==
      NULL) {
    return fail("queries_total of the one select is not 1");
  }
  /* Its event carries no database, user or application (an engine of ABI 1.1
   * has not got the fields): counted under the empty value of each, so that
   * the breakdowns sum to the totals. */
  if (strstr(body, "\nneuroquantum_database_queries_total{database=\"\",status=\"success\"} 1\n") ==
          NULL ||
      strstr(body, "\nneuroquantum_user_queries_total{user=\"\",status=\"success\"} 1\n") == NULL ||
      strstr(body, "\nneuroquantum_application_queries_total{application=\"\"} 1\n") == NULL) {
    return fail("the statement without a database is not counted under database=\"\"");
  }
  NQ_HOOK_LIST(CHECK_COUNTED_ONCE)

  printf("c consumer: loaded %.*s %.*s, scraped exact values\n", (int)d->name.len, d->name.data,
         (int)d->version.len, d->version.data);
  d->stop(instance);
  d->destroy(instance);
  if (dlclose(handle) != 0) return fail(dlerror());
  printf("c consumer: ok\n");
  return 0;
}
