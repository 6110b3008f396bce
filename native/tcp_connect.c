/*
 * netprobe TCP connector: non-blocking connect(2) checks, many in flight, in
 * one epoll set of the addon's own that libuv watches as a single fd.
 *
 * Why an addon and not node:net (measured in docs/benchmarks.md, Scale):
 * a connect check needs no stream. net.connect builds a Duplex stream, a
 * TCPWrap and a connect request, emits four events and closes on a later
 * tick; that JavaScript, not the kernel's handshake, was the largest self
 * time in the daemon's profile at 1,000 TCP targets a second. Here a check is
 * socket(), connect(), epoll_ctl(ADD) on the addon's own epoll set, then on
 * writable getsockopt(SO_ERROR) and close(): five system calls, no per-check
 * libuv handle (uv_poll_init alone costs three system calls per fd), and
 * results go to JavaScript in batches of plain numbers.
 *
 * Times: CLOCK_MONOTONIC in the addon, taken just before connect() and when
 * the epoll set reports the socket writable (or in error), so event-loop
 * delay before the callback does not count as connect time.
 *
 * Linux only (epoll). IPv4 and IPv6. The socket is closed at once after the
 * handshake, without sending data (a FIN, as net.Socket.destroy does).
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Events taken from the epoll set per wake-up (the loop repeats while full). */
#define BATCH 256
/* Ids are generation * SLOTS + slot, so a late cancel of a reused slot is ignored. */
#define SLOTS 65536

#define NAPI_CHECK_CODE "ETCPNAPI"
#include "napi_check.h"

typedef struct {
  int fd;          /* -1 when free */
  uint16_t gen;
  int64_t start_ns;
} slot_t;

typedef struct connector {
  napi_env env;
  napi_ref callback;
  napi_async_context async_ctx;
  uv_poll_t poll;
  int epfd;
  slot_t *slots;
  uint32_t cap;   /* slots allocated */
  uint32_t *free_list;
  uint32_t free_count;
  uint32_t in_flight;
  int closed, closing, released, finalized;
} connector_t;

static int open_fds = 0;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double id_of(const connector_t *c, uint32_t slot) { return (double)c->slots[slot].gen * SLOTS + slot; }

static void release_slot(connector_t *c, uint32_t slot) {
  close(c->slots[slot].fd); /* also leaves the epoll set */
  open_fds--;
  c->slots[slot].fd = -1;
  c->slots[slot].gen++;
  c->free_list[c->free_count++] = slot;
  c->in_flight--;
}

static int take_slot(connector_t *c, uint32_t *slot) {
  if (c->free_count == 0) {
    if (c->cap >= SLOTS) return 0;
    uint32_t cap = c->cap ? c->cap * 2 : 64;
    if (cap > SLOTS) cap = SLOTS;
    slot_t *slots = realloc(c->slots, cap * sizeof *slots);
    if (!slots) return 0;
    c->slots = slots;
    uint32_t *free_list = realloc(c->free_list, cap * sizeof *free_list);
    if (!free_list) return 0;
    c->free_list = free_list;
    for (uint32_t i = cap; i > c->cap; i--) {
      c->slots[i - 1].fd = -1;
      c->slots[i - 1].gen = 0;
      c->free_list[c->free_count++] = i - 1;
    }
    c->cap = cap;
  }
  *slot = c->free_list[--c->free_count];
  c->in_flight++;
  return 1;
}

/* Results as one Float64Array of (id, errno, seconds) triples: no object per check. */
static void deliver(connector_t *c, const double *triples, size_t n) {
  napi_env env = c->env;
  napi_value cb, recv, result, buffer, array;
  if (n == 0 || napi_get_reference_value(env, c->callback, &cb) != napi_ok || cb == NULL) return;
  void *data;
  if (napi_create_arraybuffer(env, n * 3 * sizeof(double), &data, &buffer) != napi_ok) return;
  memcpy(data, triples, n * 3 * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, n * 3, buffer, 0, &array);
  napi_get_global(env, &recv);
  if (napi_make_callback(env, c->async_ctx, recv, cb, 1, &array, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static void on_poll(uv_poll_t *handle, int status, int events_mask) {
  (void)status;
  (void)events_mask;
  connector_t *c = (connector_t *)handle->data;
  if (c->closed) return;
  napi_handle_scope scope;
  napi_open_handle_scope(c->env, &scope);
  struct epoll_event events[BATCH];
  double triples[BATCH * 3];
  int got;
  do {
    got = epoll_wait(c->epfd, events, BATCH, 0);
    if (got < 0 && errno == EINTR) continue;
    int64_t now = now_ns();
    size_t n = 0;
    for (int i = 0; i < got; i++) {
      uint32_t slot = events[i].data.u32;
      if (slot >= c->cap || c->slots[slot].fd < 0) continue;
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c->slots[slot].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      /* Writable without an error is established; EPOLLHUP alone (no SO_ERROR) is a reset. */
      if (err == 0 && !(events[i].events & EPOLLOUT)) err = ECONNRESET;
      triples[n * 3] = id_of(c, slot);
      triples[n * 3 + 1] = err;
      triples[n * 3 + 2] = (double)(now - c->slots[slot].start_ns) / 1e9;
      n++;
      release_slot(c, slot);
    }
    deliver(c, triples, n);
  } while (got == BATCH && !c->closed);
  napi_close_handle_scope(c->env, scope);
}

static connector_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return (connector_t *)data;
}

/*
 * connect(family, addr, port) -> id (>= 0) while in flight; -errno when it
 * failed at once (no socket: EMFILE; no route: ENETUNREACH; an immediate
 * refusal). The result of an id arrives through the callback exactly once,
 * unless cancel(id) comes first.
 */
static napi_value connector_connect(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  connector_t *c = unwrap(env, info, &argc, argv);
  if (!c || c->closed || argc < 3) {
    napi_throw_error(env, "EINVAL", "connect(family, addr, port) on an open connector");
    return NULL;
  }
  uint32_t family = 0, port = 0;
  char addr[INET6_ADDRSTRLEN + 1];
  size_t addr_len = 0;
  CHECK(napi_get_value_uint32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &addr_len));
  CHECK(napi_get_value_uint32(env, argv[2], &port));
  union {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } to;
  memset(&to, 0, sizeof to);
  socklen_t to_len;
  int ok;
  if (family == 6) {
    to.v6.sin6_family = AF_INET6;
    to.v6.sin6_port = htons((uint16_t)port);
    ok = inet_pton(AF_INET6, addr, &to.v6.sin6_addr);
    to_len = sizeof to.v6;
  } else {
    to.v4.sin_family = AF_INET;
    to.v4.sin_port = htons((uint16_t)port);
    ok = inet_pton(AF_INET, addr, &to.v4.sin_addr);
    to_len = sizeof to.v4;
  }
  if (ok != 1 || port == 0 || port > 65535) {
    napi_throw_range_error(env, "EINVAL", "connect: an IP address literal of the family and a port 1-65535");
    return NULL;
  }
  uint32_t slot;
  if (!take_slot(c, &slot)) {
    CHECK(napi_create_int32(env, -ENOBUFS, &out));
    return out;
  }
  int fd = socket(to.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    int err = errno;
    c->free_list[c->free_count++] = slot;
    c->in_flight--;
    CHECK(napi_create_int32(env, -err, &out));
    return out;
  }
  open_fds++;
  c->slots[slot].fd = fd;
  c->slots[slot].start_ns = now_ns();
  int rc = connect(fd, &to.sa, to_len);
  int err = rc < 0 && errno != EINPROGRESS ? errno : 0;
  if (err == 0) {
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = slot};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) err = errno;
  }
  if (err != 0) {
    release_slot(c, slot);
    CHECK(napi_create_int32(env, -err, &out));
    return out;
  }
  CHECK(napi_create_double(env, id_of(c, slot), &out));
  return out;
}

/* cancel(id): closes an in-flight check (timeout, abort); no result will come. Unknown ids are ignored. */
static napi_value connector_cancel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  connector_t *c = unwrap(env, info, &argc, argv);
  if (!c || argc < 1) return NULL;
  double id = 0;
  CHECK(napi_get_value_double(env, argv[0], &id));
  if (!(id >= 0)) return NULL;
  uint32_t slot = (uint32_t)((uint64_t)id % SLOTS);
  uint16_t gen = (uint16_t)((uint64_t)id / SLOTS);
  if (slot < c->cap && c->slots[slot].fd >= 0 && c->slots[slot].gen == gen) release_slot(c, slot);
  return NULL;
}

static void on_closed(uv_handle_t *handle) {
  connector_t *c = (connector_t *)handle->data;
  for (uint32_t i = 0; i < c->cap; i++) {
    if (c->slots[i].fd >= 0) {
      close(c->slots[i].fd);
      open_fds--;
    }
  }
  free(c->slots);
  free(c->free_list);
  c->slots = NULL;
  c->free_list = NULL;
  c->cap = 0;
  close(c->epfd);
  c->released = 1;
  if (c->finalized) free(c);
}

static void connector_shutdown(connector_t *c) {
  if (!c->closed) {
    c->closed = 1;
    uv_poll_stop(&c->poll);
    if (c->callback) napi_delete_reference(c->env, c->callback);
    c->callback = NULL;
    if (c->async_ctx) napi_async_destroy(c->env, c->async_ctx);
    c->async_ctx = NULL;
  }
  if (!c->closing) {
    c->closing = 1;
    uv_close((uv_handle_t *)&c->poll, on_closed);
  }
}

static napi_value connector_in_flight(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value out;
  connector_t *c = unwrap(env, info, &argc, NULL);
  CHECK(napi_create_uint32(env, c && !c->closed ? c->in_flight : 0, &out));
  return out;
}

static void connector_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  connector_t *c = (connector_t *)data;
  connector_shutdown(c);
  c->finalized = 1;
  if (c->released) free(c);
}

/* new Connector(onResults) */
static napi_value connector_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_valuetype t = napi_undefined;
  if (argc >= 1) CHECK(napi_typeof(env, argv[0], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, NULL, "Connector(onResults): onResults must be a function");
    return NULL;
  }
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    napi_throw_error(env, errno == EMFILE ? "EMFILE" : "EEPOLL", "epoll_create1 failed");
    return NULL;
  }
  connector_t *c = calloc(1, sizeof *c);
  if (!c) {
    close(epfd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  c->env = env;
  c->epfd = epfd;
  struct uv_loop_s *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_reference(env, argv[0], 1, &c->callback));
  CHECK(napi_create_string_utf8(env, "netprobe:tcp-connect", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, self, name, &c->async_ctx));
  uv_poll_init(loop, &c->poll, epfd);
  c->poll.data = c;
  uv_poll_start(&c->poll, UV_READABLE, on_poll);
  /* The checks' own timers keep the process alive, as with an unref'd socket. */
  uv_unref((uv_handle_t *)&c->poll);
  CHECK(napi_wrap(env, self, c, connector_finalize, NULL, NULL));
  return self;
}

static napi_value open_sockets(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, open_fds, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"connect", NULL, connector_connect, NULL, NULL, NULL, napi_default, NULL},
      {"cancel", NULL, connector_cancel, NULL, NULL, NULL, napi_default, NULL},
      {"inFlight", NULL, connector_in_flight, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, fn;
  CHECK(napi_define_class(env, "Connector", NAPI_AUTO_LENGTH, connector_new, NULL, sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(napi_set_named_property(env, exports, "Connector", cls));
  CHECK(napi_create_function(env, "openSockets", NAPI_AUTO_LENGTH, open_sockets, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "openSockets", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
