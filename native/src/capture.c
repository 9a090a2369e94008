/*
 * egress-audit-native: the libpcap binding behind src/capture/live.ts, and nothing else.
 *
 * It opens an interface, sets a BPF filter, and hands packets to JavaScript in batches: one
 * caller-owned buffer filled per call from a libuv worker thread (never on the event loop).
 * It never decodes packets (decoding lives in TypeScript so live and replay share one decoder),
 * never maps errors to user messages (live.ts does that in one function), and never leaves a
 * read blocked after close(): pcap_breakloop wakes the worker and the handle is closed there.
 *
 * Batch layout, per packet, 4-byte aligned, host byte order:
 *   u32 ts_sec | u32 ts_usec | u32 caplen | u32 wirelen | caplen bytes | 0-3 bytes padding
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pcap/pcap.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define REC_HDR 16
#define PAD4(n) (((size_t)(n) + 3u) & ~(size_t)3u)
/* Smallest record we plan for when bounding pcap_dispatch's count: header + 64-byte frame. */
#define MIN_REC (REC_HDR + 64)
/* pcap_stats reads sysfs for ps_ifdrop; refreshing it every batch at 250 kpps would cost more
 * than the batch crossing itself, so the worker refreshes the cached copy at most this often. */
#define STATS_REFRESH_NS 100000000LL

typedef struct {
  pcap_t *p;           /* NULL once closed */
  int busy;            /* a nextBatch is in flight (main thread only) */
  int closing;         /* close() requested; read by the worker with __atomic */
  uint8_t *spill;      /* records that did not fit the caller's buffer, delivered first next time */
  size_t spill_len, spill_pos, spill_cap;
  double spill_lost;   /* packets lost because the spill could not grow (out of memory) */
  pthread_mutex_t mu;  /* guards st and st_ns */
  struct pcap_stat st;
  long long st_ns;
} Capture;

typedef struct {
  Capture *c;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref handle_ref, buf_ref;
  uint8_t *buf;
  size_t len, used;
  int count, status, full;
  char err[PCAP_ERRBUF_SIZE];
} Batch;

/* ---- helpers ---------------------------------------------------------------------------- */

#define CHECK(env, call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* An Error carrying `op` and the libpcap status; live.ts turns these into typed errors. */
static napi_value make_error(napi_env env, const char *op, int status, const char *msg) {
  napi_value m, e, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  napi_create_string_utf8(env, op, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "op", v);
  napi_create_int32(env, status, &v);
  napi_set_named_property(env, e, "pcapStatus", v);
  return e;
}

static napi_value throw_pcap(napi_env env, const char *op, int status, const char *msg) {
  napi_throw(env, make_error(env, op, status, msg));
  return NULL;
}

static void set_num(napi_env env, napi_value obj, const char *key, double val) {
  napi_value v;
  napi_create_double(env, val, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *val) {
  napi_value v;
  if (val) napi_create_string_utf8(env, val, NAPI_AUTO_LENGTH, &v); else napi_get_null(env, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_bool(napi_env env, napi_value obj, const char *key, int val) {
  napi_value v;
  napi_get_boolean(env, val != 0, &v);
  napi_set_named_property(env, obj, key, v);
}

/* Reads an optional numeric option; returns `def` when absent or undefined. */
static int64_t opt_int(napi_env env, napi_value opts, const char *key, int64_t def) {
  napi_value v; napi_valuetype t; int64_t out;
  if (opts == NULL || napi_get_named_property(env, opts, key, &v) != napi_ok) return def;
  napi_typeof(env, v, &t);
  if (t == napi_boolean) { bool b; napi_get_value_bool(env, v, &b); return b; }
  if (t != napi_number || napi_get_value_int64(env, v, &out) != napi_ok) return def;
  return out;
}

static Capture *unwrap(napi_env env, napi_value handle) {
  Capture *c = NULL;
  if (napi_unwrap(env, handle, (void **)&c) != napi_ok || c == NULL) {
    napi_throw_type_error(env, NULL, "expected a handle returned by open()");
    return NULL;
  }
  return c;
}

/* Reads pcap_stats into the cache shared with stats(); 0 on success. */
static int refresh_stats(Capture *c) {
  struct pcap_stat st;
  memset(&st, 0, sizeof st);
  if (pcap_stats(c->p, &st) != 0) return -1;
  pthread_mutex_lock(&c->mu);
  memcpy(&c->st, &st, sizeof st);
  c->st_ns = now_ns();
  pthread_mutex_unlock(&c->mu);
  return 0;
}

/* Final stats are cached so stats() still answers after close(). Main thread, not busy. */
static void close_now(Capture *c) {
  if (c->p == NULL) return;
  refresh_stats(c);
  pcap_close(c->p);
  c->p = NULL;
}

static void capture_finalize(napi_env env, void *data, void *hint) {
  Capture *c = data;
  (void)env; (void)hint;
  close_now(c); /* never busy here: a pending batch holds a reference to the handle */
  free(c->spill);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

/* ---- open / setFilter / close / stats ---------------------------------------------------- */

/* open(iface, {snaplen, promisc, bufferBytes, timeoutMs, immediate}) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], handle; char iface[256], errbuf[PCAP_ERRBUF_SIZE];
  size_t n; napi_valuetype t = napi_undefined;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], iface, sizeof iface, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "open(iface, options): iface must be a string");
    return NULL;
  }
  if (argc > 1) napi_typeof(env, argv[1], &t);
  napi_value opts = t == napi_object ? argv[1] : NULL;

  errbuf[0] = 0;
  pcap_t *p = pcap_create(iface, errbuf);
  if (p == NULL) return throw_pcap(env, "open", PCAP_ERROR, errbuf);
  pcap_set_snaplen(p, (int)opt_int(env, opts, "snaplen", 262144));
  pcap_set_promisc(p, (int)opt_int(env, opts, "promisc", 0));
  pcap_set_timeout(p, (int)opt_int(env, opts, "timeoutMs", 100));
  pcap_set_immediate_mode(p, (int)opt_int(env, opts, "immediate", 0));
  int64_t bytes = opt_int(env, opts, "bufferBytes", 0);
  if (bytes > 0) pcap_set_buffer_size(p, (int)bytes);

  int r = pcap_activate(p);
  if (r < 0) {
    char msg[PCAP_ERRBUF_SIZE + 64];
    const char *detail = pcap_geterr(p);
    snprintf(msg, sizeof msg, "%s", detail && detail[0] ? detail : pcap_statustostr(r));
    pcap_close(p);
    return throw_pcap(env, "open", r, msg);
  }

  Capture *c = calloc(1, sizeof *c);
  if (c == NULL) { pcap_close(p); return throw_pcap(env, "open", PCAP_ERROR, "out of memory"); }
  c->p = p;
  pthread_mutex_init(&c->mu, NULL);
  CHECK(env, napi_create_object(env, &handle));
  if (napi_wrap(env, handle, c, capture_finalize, NULL, NULL) != napi_ok) {
    capture_finalize(env, c, NULL);
    return throw_pcap(env, "open", PCAP_ERROR, "napi_wrap failed");
  }
  set_num(env, handle, "linkType", pcap_datalink(p));
  set_num(env, handle, "snaplen", pcap_snapshot(p));
  set_str(env, handle, "warning", r > 0 ? pcap_statustostr(r) : NULL);
  return handle;
}

/* setFilter(handle, bpf): compiles and installs a BPF filter. Not while a batch is pending. */
static napi_value js_set_filter(napi_env env, napi_callback_info info) {
  size_t argc = 2, n; napi_value argv[2]; struct bpf_program prog;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Capture *c = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (c == NULL) return NULL;
  if (c->p == NULL) return throw_pcap(env, "setFilter", PCAP_ERROR_NOT_ACTIVATED, "handle is closed");
  if (c->busy) return throw_pcap(env, "setFilter", PCAP_ERROR, "cannot change the filter while a batch is pending");
  if (argc < 2 || napi_get_value_string_utf8(env, argv[1], NULL, 0, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "setFilter(handle, bpf): bpf must be a string");
    return NULL;
  }
  char *expr = malloc(n + 1);
  if (expr == NULL) return throw_pcap(env, "setFilter", PCAP_ERROR, "out of memory");
  napi_get_value_string_utf8(env, argv[1], expr, n + 1, &n);
  int r = pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN);
  free(expr);
  if (r != 0) return throw_pcap(env, "setFilter", r, pcap_geterr(c->p));
  r = pcap_setfilter(c->p, &prog);
  pcap_freecode(&prog);
  if (r != 0) return throw_pcap(env, "setFilter", r, pcap_geterr(c->p));
  return NULL;
}

/* close(handle): idempotent; a pending nextBatch resolves promptly (with -2 if it got nothing). */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Capture *c = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (c == NULL) return NULL;
  __atomic_store_n(&c->closing, 1, __ATOMIC_SEQ_CST);
  if (c->p == NULL) return NULL;
  if (c->busy) pcap_breakloop(c->p); /* the worker returns; batch_complete closes the handle */
  else close_now(c);
  return NULL;
}

/* stats(handle) -> {ps_recv, ps_drop, ps_ifdrop, spill_lost}; cached while a batch is pending. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out; struct pcap_stat st;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Capture *c = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (c == NULL) return NULL;
  if (c->p != NULL && !c->busy) {
    if (refresh_stats(c) != 0) return throw_pcap(env, "stats", PCAP_ERROR, pcap_geterr(c->p));
  }
  pthread_mutex_lock(&c->mu); st = c->st; pthread_mutex_unlock(&c->mu);
  CHECK(env, napi_create_object(env, &out));
  set_num(env, out, "ps_recv", st.ps_recv);
  set_num(env, out, "ps_drop", st.ps_drop);
  set_num(env, out, "ps_ifdrop", st.ps_ifdrop);
  set_num(env, out, "spill_lost", c->spill_lost);
  return out;
}

/* ---- nextBatch ---------------------------------------------------------------------------- */

static void write_rec(uint8_t *dst, const struct pcap_pkthdr *h, const u_char *bytes) {
  uint32_t hdr[4] = { (uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len };
  memcpy(dst, hdr, REC_HDR);
  memcpy(dst + REC_HDR, bytes, h->caplen);
  memset(dst + REC_HDR + h->caplen, 0, PAD4(h->caplen) - h->caplen);
}

/* Worker thread. A packet that does not fit goes to the spill and stops the dispatch. */
static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  Batch *b = (Batch *)user;
  Capture *c = b->c;
  size_t need = REC_HDR + PAD4(h->caplen);
  if (!b->full && b->used + need <= b->len) {
    write_rec(b->buf + b->used, h, bytes);
    b->used += need;
    b->count++;
    return;
  }
  b->full = 1;
  pcap_breakloop(c->p);
  if (c->spill_len + need > c->spill_cap) {
    size_t cap = (c->spill_len + need) * 2;
    uint8_t *grown = realloc(c->spill, cap);
    if (grown == NULL) { c->spill_lost++; return; }
    c->spill = grown;
    c->spill_cap = cap;
  }
  write_rec(c->spill + c->spill_len, h, bytes);
  c->spill_len += need;
}

static void batch_execute(napi_env env, void *data) {
  Batch *b = data;
  Capture *c = b->c;
  (void)env;
  while (c->spill_pos < c->spill_len) { /* records left over from the last batch go first */
    uint32_t caplen;
    memcpy(&caplen, c->spill + c->spill_pos + 8, 4);
    size_t need = REC_HDR + PAD4(caplen);
    if (b->used + need > b->len) break;
    memcpy(b->buf + b->used, c->spill + c->spill_pos, need);
    b->used += need; c->spill_pos += need; b->count++;
  }
  if (c->spill_pos == c->spill_len) c->spill_pos = c->spill_len = 0;
  if (b->count > 0) return;
  if (__atomic_load_n(&c->closing, __ATOMIC_SEQ_CST)) { b->status = PCAP_ERROR_BREAK; return; }

  size_t bound = b->len / MIN_REC;
  int r = pcap_dispatch(c->p, bound < 1 ? 1 : bound > 100000 ? 100000 : (int)bound, on_packet, (u_char *)b);
  if (r == PCAP_ERROR) {
    b->status = r;
    snprintf(b->err, sizeof b->err, "%s", pcap_geterr(c->p));
  } else if (__atomic_load_n(&c->closing, __ATOMIC_SEQ_CST) && b->count == 0) {
    b->status = PCAP_ERROR_BREAK;
  }
  if (now_ns() - c->st_ns >= STATS_REFRESH_NS) refresh_stats(c); /* st_ns: only the worker writes it now */
}

static void batch_complete(napi_env env, napi_status status, void *data) {
  Batch *b = data;
  Capture *c = b->c;
  napi_value v;
  c->busy = 0;
  if (__atomic_load_n(&c->closing, __ATOMIC_SEQ_CST)) close_now(c);
  if (status != napi_ok) {
    napi_reject_deferred(env, b->deferred, make_error(env, "nextBatch", PCAP_ERROR, "async work failed"));
  } else if (b->status == PCAP_ERROR) {
    napi_reject_deferred(env, b->deferred, make_error(env, "nextBatch", b->status, b->err));
  } else {
    napi_create_int32(env, b->count > 0 ? b->count : b->status, &v);
    napi_resolve_deferred(env, b->deferred, v);
  }
  napi_delete_reference(env, b->handle_ref);
  napi_delete_reference(env, b->buf_ref);
  napi_delete_async_work(env, b->work);
  free(b);
}

/* nextBatch(handle, buffer) -> Promise<count>: count > 0 packets, 0 timeout, -2 closed. */
static napi_value js_next_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2, len; napi_value argv[2], promise, name; void *data; bool is_ta;
  napi_typedarray_type type; napi_value ab; size_t off;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Capture *c = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (c == NULL) return NULL;
  if (argc < 2 || napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "nextBatch(handle, buffer): buffer must be a Uint8Array");
    return NULL;
  }
  if (c->busy) return throw_pcap(env, "nextBatch", PCAP_ERROR, "a batch is already pending on this handle");
  if (c->p != NULL && (((uintptr_t)data & 3u) != 0 || len < REC_HDR + PAD4(pcap_snapshot(c->p)))) {
    napi_throw_range_error(env, NULL, "nextBatch: buffer must be 4-byte aligned and hold 16 + snaplen bytes");
    return NULL;
  }
  Batch *b = calloc(1, sizeof *b);
  if (b == NULL) return throw_pcap(env, "nextBatch", PCAP_ERROR, "out of memory");
  if (napi_create_promise(env, &b->deferred, &promise) != napi_ok) { free(b); return NULL; }
  if (c->p == NULL) { /* already closed: a normal end, not an error */
    napi_value v;
    napi_create_int32(env, PCAP_ERROR_BREAK, &v);
    napi_resolve_deferred(env, b->deferred, v);
    free(b);
    return promise;
  }
  b->c = c; b->buf = data; b->len = len;
  napi_create_reference(env, argv[0], 1, &b->handle_ref);
  napi_create_reference(env, argv[1], 1, &b->buf_ref);
  napi_create_string_utf8(env, "egress-audit:nextBatch", NAPI_AUTO_LENGTH, &name);
  CHECK(env, napi_create_async_work(env, NULL, name, batch_execute, batch_complete, b, &b->work));
  CHECK(env, napi_queue_async_work(env, b->work));
  c->busy = 1;
  return promise;
}

/* ---- listInterfaces ----------------------------------------------------------------------- */

static napi_value sockaddr_value(napi_env env, const struct sockaddr *sa) {
  char text[INET6_ADDRSTRLEN] = "";
  napi_value v;
  if (sa == NULL) { napi_get_null(env, &v); return v; }
  if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof text);
  else if (sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof text);
  if (text[0]) napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v); else napi_get_null(env, &v);
  return v;
}

/* listInterfaces() -> [{name, description, loopback, up, running, wireless, addresses}] */
static napi_value js_list_interfaces(napi_env env, napi_callback_info info) {
  pcap_if_t *all = NULL; char errbuf[PCAP_ERRBUF_SIZE] = ""; napi_value list; uint32_t i = 0;
  (void)info;
  if (pcap_findalldevs(&all, errbuf) != 0) return throw_pcap(env, "listInterfaces", PCAP_ERROR, errbuf);
  napi_create_array(env, &list);
  for (pcap_if_t *d = all; d != NULL; d = d->next) {
    napi_value dev, addrs; uint32_t j = 0;
    napi_create_object(env, &dev);
    set_str(env, dev, "name", d->name);
    set_str(env, dev, "description", d->description);
    set_bool(env, dev, "loopback", d->flags & PCAP_IF_LOOPBACK);
    set_bool(env, dev, "up", d->flags & PCAP_IF_UP);
    set_bool(env, dev, "running", d->flags & PCAP_IF_RUNNING);
    set_bool(env, dev, "wireless", d->flags & PCAP_IF_WIRELESS);
    napi_create_array(env, &addrs);
    for (pcap_addr_t *a = d->addresses; a != NULL; a = a->next) {
      if (a->addr == NULL || (a->addr->sa_family != AF_INET && a->addr->sa_family != AF_INET6)) continue;
      napi_value addr, fam;
      napi_create_object(env, &addr);
      napi_create_string_utf8(env, a->addr->sa_family == AF_INET ? "IPv4" : "IPv6", NAPI_AUTO_LENGTH, &fam);
      napi_set_named_property(env, addr, "family", fam);
      napi_set_named_property(env, addr, "address", sockaddr_value(env, a->addr));
      napi_set_named_property(env, addr, "netmask", sockaddr_value(env, a->netmask));
      napi_set_named_property(env, addr, "broadcast", sockaddr_value(env, a->broadaddr));
      napi_set_element(env, addrs, j++, addr);
    }
    napi_set_named_property(env, dev, "addresses", addrs);
    napi_set_element(env, list, i++, dev);
  }
  pcap_freealldevs(all);
  return list;
}

/* ---- module ------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setFilter", NULL, js_set_filter, NULL, NULL, NULL, napi_enumerable, NULL },
    { "nextBatch", NULL, js_next_batch, NULL, NULL, NULL, napi_enumerable, NULL },
    { "stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "listInterfaces", NULL, js_list_interfaces, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_value v;
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, exports, "libpcapVersion", v);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
