/*
 * netprobe DNS UDP socket: one non-blocking, UNCONNECTED UDP socket per
 * lookup (or per query in reopen mode), for the resolver's query exchange.
 * Every socket of a thread sits in ONE epoll set of the addon's own, which
 * libuv watches as a single fd: a socket costs socket, setsockopt, bind,
 * epoll_ctl(ADD), sendmmsg, recvmsg and close, where a uv_poll handle per
 * socket added an ioctl and four epoll_ctl calls (uv_poll_init checks the fd
 * by adding and removing it) and a close deferred to the next loop turn; the
 * error queue is read only when epoll reports EPOLLERR, not twice per wake-up
 * (docs/benchmarks.md, Scale).
 *
 * Why an addon and not node:dgram:
 * - sendmmsg(2): glibc's resolver (send_dg) writes A and AAAA with ONE
 *   sendmmsg() call on one socket, so both datagrams leave within a few
 *   microseconds and share a source port. dgram.send() is one syscall per
 *   datagram, each behind a libuv request and a JS callback; under CPU load
 *   the event loop can run between the two, and the gap grows to
 *   milliseconds. libuv's uv_udp_try_send2 batches too, but Node does not
 *   expose it.
 * - IP_RECVERR / IPV6_RECVERR + MSG_ERRQUEUE: Linux reports ICMP port
 *   unreachable on an unconnected UDP socket only through the error queue
 *   (errno alone is kept for connected sockets). The queued entry carries the
 *   original destination (msg_name) and the original UDP payload, i.e. our
 *   DNS query with its id, so the caller can tell which query was refused.
 *   dgram sets neither option.
 * The socket stays unconnected so datagrams from other sources still arrive
 * and can be counted (wrong_source), as with the dgram socket it replaces.
 *
 * Linux only. IPv4 and IPv6 (one socket per family).
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Largest datagram read; DNS over UDP stays far below (EDNS buffers <= 4096). */
#define RECV_BYTES 65536
/* Datagrams read per wake-up: bounds one callback's work under a flood. */
#define MAX_READS_PER_WAKE 256
/* Ready sockets taken from the epoll set per epoll_wait (repeated while full). */
#define MAX_EVENTS 256
/* Datagrams per sendmmsg call (A+AAAA is 2; a few more query types fit). */
#define MAX_BATCH 16

#define NAPI_CHECK_CODE "EDNSNAPI"
#include "napi_check.h"

typedef struct dns_socket {
  napi_env env;
  napi_ref callback;
  napi_async_context async_ctx;
  int fd;
  int family;
  int closed;
  uint32_t slot;
} dns_socket_t;

/* The thread's epoll set: sockets by slot; an event carries (generation, slot)
 * so one for a socket closed (and its slot reused) earlier in the same batch
 * is dropped. */
typedef struct {
  int epfd;
  uv_poll_t poll;
  dns_socket_t **slots;
  uint32_t *gens;
  uint32_t *free_list;
  uint32_t cap, free_count;
} socket_set_t;

static _Thread_local socket_set_t *set = NULL;

/* One receive buffer per thread, not per socket: every read is copied into a
 * JS Buffer before the next, and a socket's memory lives until the GC
 * finalizes its wrapper. At 64 KiB a socket, the per-socket buffer made a
 * daemon of 1,000 lookups/s hold tens of MB of malloc'd buffers the GC never
 * saw (docs/benchmarks.md, Scale). Thread-local: the addon may be loaded in
 * worker threads too. */
static _Thread_local uint8_t recvbuf[RECV_BYTES];

/* Sockets whose fd is still open (closed in socket_shutdown): lets tests prove no leak. */
static int open_sockets = 0;

typedef union {
  struct sockaddr sa;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
} address_t;

static void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, key, n);
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_buf(napi_env env, napi_value obj, const char *key, const void *data, size_t n) {
  napi_value b;
  void *copy;
  napi_create_buffer_copy(env, n, data, &copy, &b);
  napi_set_named_property(env, obj, key, b);
}

/* Address text as Node prints it in rinfo.address (inet_ntop: compressed, lower case). */
static int address_text(const address_t *a, char *out, size_t len, int *port) {
  if (a->sa.sa_family == AF_INET) {
    *port = ntohs(a->v4.sin_port);
    return inet_ntop(AF_INET, &a->v4.sin_addr, out, (socklen_t)len) != NULL;
  }
  if (a->sa.sa_family == AF_INET6) {
    *port = ntohs(a->v6.sin6_port);
    return inet_ntop(AF_INET6, &a->v6.sin6_addr, out, (socklen_t)len) != NULL;
  }
  return 0;
}

static const char *errno_code(int err) {
  switch (err) {
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case ENOBUFS: return "ENOBUFS";
    case EMSGSIZE: return "EMSGSIZE";
    case EINVAL: return "EINVAL";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETDOWN: return "ENETDOWN";
    case EMFILE: return "EMFILE"; /* the daemon's own fd shortage, not the network's */
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    default: return "EOTHER";
  }
}

/* Error-queue entries -> "icmp" events (origin ICMP/ICMP6 only; local errors surface at send). */
static void drain_errqueue(dns_socket_t *s, napi_value events, uint32_t *count) {
  napi_env env = s->env;
  for (int i = 0; i < MAX_READS_PER_WAKE; i++) {
    address_t dst;
    char control[512];
    struct iovec iov = {recvbuf, sizeof recvbuf};
    struct msghdr msg = {&dst, sizeof dst, &iov, 1, control, sizeof control, 0};
    memset(&dst, 0, sizeof dst);
    ssize_t n = recvmsg(s->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    struct sock_extended_err *ee = NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
        ee = (struct sock_extended_err *)CMSG_DATA(c);
      }
    }
    if (!ee || (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)) continue;
    char addr[INET6_ADDRSTRLEN] = "", hop[INET6_ADDRSTRLEN] = "";
    int port = 0, hop_port = 0;
    address_text(&dst, addr, sizeof addr, &port);
    /* The offender (who sent the ICMP error) follows the extended error. */
    address_t off;
    memset(&off, 0, sizeof off);
    struct sockaddr *o = SO_EE_OFFENDER(ee);
    memcpy(&off, o, o->sa_family == AF_INET6 ? sizeof off.v6 : sizeof off.v4);
    address_text(&off, hop, sizeof hop, &hop_port);

    napi_value ev;
    napi_create_object(env, &ev);
    set_str(env, ev, "type", "icmp");
    set_str(env, ev, "addr", addr);
    set_num(env, ev, "port", port);
    set_str(env, ev, "hop", hop);
    set_num(env, ev, "icmpType", ee->ee_type);
    set_num(env, ev, "icmpCode", ee->ee_code);
    set_str(env, ev, "code", errno_code((int)ee->ee_errno));
    /* The original UDP payload: our query, id first. */
    set_buf(env, ev, "data", recvbuf, (size_t)n);
    napi_set_element(env, events, (*count)++, ev);
  }
}

static void deliver(dns_socket_t *s, napi_value events) {
  napi_env env = s->env;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, s->callback, &cb) != napi_ok || cb == NULL) return;
  napi_get_global(env, &recv);
  napi_status st = napi_make_callback(env, s->async_ctx, recv, cb, 1, &events, &result);
  if (st == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

/* One socket's readiness: its ICMP errors (only when epoll says EPOLLERR) and datagrams, in one callback. */
static void on_socket(dns_socket_t *s, uint32_t revents) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value events;
  napi_create_array(env, &events);
  uint32_t count = 0;
  if (revents & EPOLLERR) drain_errqueue(s, events, &count);
  for (int i = 0; i < MAX_READS_PER_WAKE; i++) {
    address_t from;
    struct iovec iov = {recvbuf, sizeof recvbuf};
    struct msghdr msg = {&from, sizeof from, &iov, 1, NULL, 0, 0};
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      /* The pending socket error that goes with an error-queue entry is
       * returned once here; the queue carries the detail. */
      continue;
    }
    char addr[INET6_ADDRSTRLEN];
    int port = 0;
    if (!address_text(&from, addr, sizeof addr, &port)) continue;
    napi_value ev;
    napi_create_object(env, &ev);
    set_str(env, ev, "type", "message");
    set_str(env, ev, "addr", addr);
    set_num(env, ev, "port", port);
    set_buf(env, ev, "data", recvbuf, (size_t)n);
    napi_set_element(env, events, count++, ev);
  }
  if (revents & EPOLLERR) drain_errqueue(s, events, &count);
  if (count > 0) deliver(s, events);
  napi_close_handle_scope(env, scope);
}

static void on_set(uv_poll_t *handle, int status, int events_mask) {
  (void)status;
  (void)events_mask;
  socket_set_t *set = (socket_set_t *)handle->data;
  struct epoll_event ready[MAX_EVENTS];
  int got;
  do {
    got = epoll_wait(set->epfd, ready, MAX_EVENTS, 0);
    for (int i = 0; i < got; i++) {
      uint32_t slot = (uint32_t)ready[i].data.u64, gen = (uint32_t)(ready[i].data.u64 >> 32);
      /* A callback earlier in this batch may have closed (or GC finalized) this socket. */
      if (slot >= set->cap || set->gens[slot] != gen || set->slots[slot] == NULL || set->slots[slot]->closed) continue;
      on_socket(set->slots[slot], ready[i].events);
    }
  } while (got == MAX_EVENTS);
}

static void set_closed(uv_handle_t *handle) {
  socket_set_t *t = (socket_set_t *)handle->data;
  close(t->epfd);
  free(t->slots);
  free(t->gens);
  free(t->free_list);
  free(t);
}

/* The environment is going away (a worker thread ending): the set's handle must not outlive its loop. */
static void set_cleanup(void *arg) {
  socket_set_t *t = (socket_set_t *)arg;
  if (set == t) set = NULL;
  uv_poll_stop(&t->poll);
  uv_close((uv_handle_t *)&t->poll, set_closed);
}

static socket_set_t *the_set(napi_env env) {
  if (set) return set;
  socket_set_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (t->epfd < 0) {
    free(t);
    return NULL;
  }
  struct uv_loop_s *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    close(t->epfd);
    free(t);
    return NULL;
  }
  uv_poll_init(loop, &t->poll, t->epfd);
  t->poll.data = t;
  uv_poll_start(&t->poll, UV_READABLE, on_set);
  napi_add_env_cleanup_hook(env, set_cleanup, t);
  /* Like an unref'd dgram socket: the lookup's timers keep the process alive. */
  uv_unref((uv_handle_t *)&t->poll);
  set = t;
  return set;
}

static int take_slot(uint32_t *slot) {
  if (set->free_count == 0) {
    uint32_t cap = set->cap ? set->cap * 2 : 64;
    dns_socket_t **slots = realloc(set->slots, cap * sizeof *slots);
    if (!slots) return 0;
    set->slots = slots;
    uint32_t *gens = realloc(set->gens, cap * sizeof *gens);
    if (!gens) return 0;
    set->gens = gens;
    uint32_t *free_list = realloc(set->free_list, cap * sizeof *free_list);
    if (!free_list) return 0;
    set->free_list = free_list;
    for (uint32_t i = cap; i > set->cap; i--) {
      set->slots[i - 1] = NULL;
      set->gens[i - 1] = 0;
      set->free_list[set->free_count++] = i - 1;
    }
    set->cap = cap;
  }
  *slot = set->free_list[--set->free_count];
  return 1;
}

/* Closes the fd (which leaves the epoll set) and frees the slot at once; the struct lives until finalized. */
static void socket_shutdown(dns_socket_t *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->callback) napi_delete_reference(s->env, s->callback);
  s->callback = NULL;
  if (s->async_ctx) napi_async_destroy(s->env, s->async_ctx);
  s->async_ctx = NULL;
  if (s->fd >= 0) {
    close(s->fd);
    open_sockets--;
    s->fd = -1;
    if (!set) return; /* finalized after the environment's cleanup took the set */
    set->slots[s->slot] = NULL;
    set->gens[s->slot]++;
    set->free_list[set->free_count++] = s->slot;
  }
}

static void socket_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  dns_socket_t *s = (dns_socket_t *)data;
  socket_shutdown(s);
  free(s);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, errno_code(err), message);
  return NULL;
}

/* new Socket(family: 4 | 6, onEvents) */
static napi_value socket_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_valuetype t = napi_undefined;
  if (argc >= 2) CHECK(napi_typeof(env, argv[1], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, NULL, "Socket(family, onEvents): onEvents must be a function");
    return NULL;
  }
  uint32_t fam = 0;
  CHECK(napi_get_value_uint32(env, argv[0], &fam));
  if (fam != 4 && fam != 6) {
    napi_throw_range_error(env, NULL, "family must be 4 or 6");
    return NULL;
  }
  int family = fam == 6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int on = 1;
  int rc = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on)
                              : setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
  if (rc < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(RECVERR)", err);
  }
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  /* Bind now to an ephemeral port, as the first sendto would, so `port` is known. */
  address_t any;
  memset(&any, 0, sizeof any);
  any.sa.sa_family = (sa_family_t)family;
  if (bind(fd, &any.sa, family == AF_INET6 ? sizeof any.v6 : sizeof any.v4) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  uint32_t slot;
  dns_socket_t *s = the_set(env) && take_slot(&slot) ? calloc(1, sizeof *s) : NULL;
  if (!s) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "out of memory (or no epoll set)");
    return NULL;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ((uint64_t)set->gens[slot] << 32) | slot};
  if (epoll_ctl(set->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    close(fd);
    free(s);
    set->free_list[set->free_count++] = slot;
    return throw_errno(env, "epoll_ctl", err);
  }
  s->env = env;
  s->fd = fd;
  s->slot = slot;
  set->slots[slot] = s;
  open_sockets++;
  s->family = family;
  napi_value name;
  CHECK(napi_create_reference(env, argv[1], 1, &s->callback));
  CHECK(napi_create_string_utf8(env, "netprobe:dns-udp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, self, name, &s->async_ctx));
  CHECK(napi_wrap(env, self, s, socket_finalize, NULL, NULL));
  return self;
}

static dns_socket_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return (dns_socket_t *)data;
}

/*
 * send(addr, port, [buf, ...]) -> { sent } or { sent, code } when the kernel
 * took only the first `sent` datagrams. All datagrams go out in ONE
 * sendmmsg() call (for one buffer it is a single sendmsg, the same thing).
 */
static napi_value socket_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  dns_socket_t *s = unwrap(env, info, &argc, argv);
  if (!s || s->closed) {
    napi_throw_error(env, "EDNSCLOSED", "DNS socket is closed");
    return NULL;
  }
  char addr[INET6_ADDRSTRLEN + 1];
  size_t l;
  uint32_t port, n;
  CHECK(napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &l));
  CHECK(napi_get_value_uint32(env, argv[1], &port));
  CHECK(napi_get_array_length(env, argv[2], &n));
  if (n < 1 || n > MAX_BATCH || port < 1 || port > 65535) {
    napi_throw_range_error(env, NULL, "send(addr, port, buffers): 1-16 buffers, port 1-65535");
    return NULL;
  }
  address_t dst;
  memset(&dst, 0, sizeof dst);
  socklen_t dlen;
  if (s->family == AF_INET6) {
    dst.v6.sin6_family = AF_INET6;
    dst.v6.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, addr, &dst.v6.sin6_addr) != 1) goto bad_addr;
    dlen = sizeof dst.v6;
  } else {
    dst.v4.sin_family = AF_INET;
    dst.v4.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &dst.v4.sin_addr) != 1) goto bad_addr;
    dlen = sizeof dst.v4;
  }
  struct iovec iov[MAX_BATCH];
  struct mmsghdr msgs[MAX_BATCH];
  memset(msgs, 0, sizeof msgs);
  for (uint32_t i = 0; i < n; i++) {
    napi_value b;
    void *data;
    size_t len;
    bool is_buf = false;
    CHECK(napi_get_element(env, argv[2], i, &b));
    CHECK(napi_is_buffer(env, b, &is_buf));
    if (!is_buf) {
      napi_throw_type_error(env, NULL, "send: every datagram must be a Buffer");
      return NULL;
    }
    CHECK(napi_get_buffer_info(env, b, &data, &len));
    iov[i].iov_base = data;
    iov[i].iov_len = len;
    msgs[i].msg_hdr.msg_name = &dst;
    msgs[i].msg_hdr.msg_namelen = dlen;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int sent = 0, err = 0, retried = 0;
  while (sent < (int)n) {
    int r = sendmmsg(s->fd, msgs + sent, n - (unsigned)sent, MSG_NOSIGNAL);
    if (r > 0) {
      sent += r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    err = r < 0 ? errno : EAGAIN;
    /* A socket error left by an earlier ICMP error (sk_err) fails the next
     * send once; reading the error queue clears it, so try once more. */
    if (!retried && (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH)) {
      char scratch[64];
      struct msghdr m = {0};
      struct iovec v = {scratch, sizeof scratch};
      m.msg_iov = &v;
      m.msg_iovlen = 1;
      while (recvmsg(s->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
      }
      retried = 1;
      err = 0;
      continue;
    }
    break;
  }
  napi_value out;
  CHECK(napi_create_object(env, &out));
  set_num(env, out, "sent", sent);
  if (sent < (int)n) set_str(env, out, "code", errno_code(err));
  return out;
bad_addr:
  napi_throw_type_error(env, NULL, "send: addr must be an IP address of the socket's family");
  return NULL;
}

static napi_value socket_port(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  dns_socket_t *s = unwrap(env, info, &argc, NULL);
  address_t a;
  socklen_t len = sizeof a;
  int port = 0;
  memset(&a, 0, sizeof a);
  if (s && s->fd >= 0 && getsockname(s->fd, &a.sa, &len) == 0) {
    port = a.sa.sa_family == AF_INET6 ? ntohs(a.v6.sin6_port) : ntohs(a.v4.sin_port);
  }
  napi_value v;
  napi_create_uint32(env, (uint32_t)port, &v);
  return v;
}

static napi_value socket_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  dns_socket_t *s = unwrap(env, info, &argc, NULL);
  if (s) socket_shutdown(s);
  return NULL;
}

static napi_value open_count(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, open_sockets, &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"send", NULL, socket_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, socket_close, NULL, NULL, NULL, napi_default, NULL},
      {"port", NULL, NULL, socket_port, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  CHECK(napi_define_class(env, "Socket", NAPI_AUTO_LENGTH, socket_new, NULL, sizeof props / sizeof props[0], props, &cls));
  CHECK(napi_set_named_property(env, exports, "Socket", cls));
  napi_value fn;
  CHECK(napi_create_function(env, "openSockets", NAPI_AUTO_LENGTH, open_count, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "openSockets", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
