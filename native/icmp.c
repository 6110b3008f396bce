/*
 * netprobe ICMP engine: one non-blocking ICMP socket per engine, driven by
 * libuv (uv_poll on the fd), many echo requests in flight, events handed to
 * JavaScript in batches. Packet bytes are built and parsed in packet.c; the
 * codec's test exports are in codec.c.
 *
 * Linux only, and why:
 * - ICMP "ping" datagram sockets (SOCK_DGRAM, IPPROTO_ICMP) are a Linux
 *   feature, allowed when the process's gid is inside the per-network-
 *   namespace sysctl net.ipv4.ping_group_range. They need no privilege.
 * - Otherwise the engine opens SOCK_RAW/IPPROTO_ICMP, which needs CAP_NET_RAW
 *   (root, or the capability granted to the pod). A raw socket sees every ICMP
 *   packet of the namespace, so replies are filtered by our identifier, and an
 *   ICMP_FILTER lets only echo replies through to the read queue.
 * - IP_MTU_DISCOVER = IP_PMTUDISC_PROBE sets DF but ignores the kernel's cached
 *   path MTU, so every requested size really goes on the wire (with
 *   IP_PMTUDISC_DO a frag-needed answer poisons the route cache and later
 *   sizes fail locally).
 * - IP_RECVERR + MSG_ERRQUEUE (sock_extended_err) give "fragmentation needed"
 *   with the MTU the hop reports (ee_info) and the hop's address (offender),
 *   other ICMP errors, and local EMSGSIZE with the local MTU.
 * - setns(2) (optional `netns` path) creates the socket inside another network
 *   namespace; it needs CAP_SYS_ADMIN and is used by tests and benches.
 * - IPv6 (family 6): the same with ICMPv6 (ping6 datagram sockets under the
 *   same ping_group_range, or SOCK_RAW/IPPROTO_ICMPV6, where the kernel
 *   computes the checksum), IPV6_MTU_DISCOVER = IPV6_PMTUDISC_PROBE plus
 *   IPV6_DONTFRAG (IPv6 routers never fragment, but the sending host would:
 *   DONTFRAG makes an oversized send fail with EMSGSIZE instead), and
 *   IPV6_RECVERR for Packet Too Big (ee_info = MTU) and the other errors.
 * - Hop limit per request (traceroute): IP_TTL / IPV6_UNICAST_HOPS set just
 *   before sendto() and reset to the default (-1) after, so one socket serves
 *   TTL-limited and normal requests. "Time exceeded" comes back through the
 *   error queue with the router's address as the offender, on datagram and
 *   raw sockets alike (no raw packet parsing needed).
 * - protocol "udp": a plain UDP socket (no privilege) sending to port
 *   33434 + seq as traceroute does, for paths that filter echo. Errors quote
 *   the UDP payload (the request's token) and the destination port (its seq);
 *   the destination answers "port unreachable".
 *
 * Times are CLOCK_REALTIME milliseconds relative to the engine's creation: the
 * receive time is the kernel's SO_TIMESTAMPNS stamp, the send time is taken
 * just before sendto(), as iputils ping does, so event-loop delay does not
 * inflate round-trip times.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include "napi_check.h"
#include "packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PACKET 65536
/* Packets read per poll wake-up: bounds one callback's work under floods. */
#define MAX_READS_PER_WAKE 512

typedef struct engine {
  napi_env env;
  napi_ref callback;
  napi_async_context async_ctx;
  uv_poll_t poll;
  int fd;
  int raw;
  int family; /* AF_INET or AF_INET6 */
  int udp;    /* UDP probes instead of ICMP echo */
  int ttl;    /* hop limit currently set on the socket; -1 = kernel default */
  uint16_t ident;
  int closed;     /* stopped: no more events, sends refused */
  int closing;    /* uv_close() requested on the poll handle */
  int released;   /* libuv is done with the handle (fd closed) */
  int finalized;  /* the JS wrapper is gone */
  double base_ms;
  uint8_t sendbuf[MAX_PACKET];
  uint8_t recvbuf[MAX_PACKET];
} engine_t;


static double realtime_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void set_prop_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, key, n);
}

static void set_prop_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

static double timestamp_of(engine_t *e, struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 - e->base_ms;
    }
  }
  return realtime_ms() - e->base_ms;
}

/* One normal-queue datagram -> an echo-reply event, or NULL when it is not ours. */
static napi_value read_reply(engine_t *e, struct msghdr *msg, ssize_t n) {
  napi_env env = e->env;
  reply_t r;
  if (e->udp) return NULL; /* a UDP service answering our probe: not an ICMP event */
  char addr[INET6_ADDRSTRLEN];
  if (e->family == AF_INET6) {
    if (!np_parse_reply6(e->recvbuf, (size_t)n, e->ident, &r)) return NULL;
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)msg->msg_name)->sin6_addr, addr, sizeof addr);
  } else {
    if (!np_parse_reply(e->recvbuf, (size_t)n, e->raw, e->ident, &r)) return NULL;
    inet_ntop(AF_INET, &((struct sockaddr_in *)msg->msg_name)->sin_addr, addr, sizeof addr);
  }

  napi_value ev;
  napi_create_object(env, &ev);
  set_prop_str(env, ev, "type", "reply");
  set_prop_str(env, ev, "addr", addr);
  set_prop_num(env, ev, "seq", r.seq);
  set_prop_num(env, ev, "token", r.token);
  set_prop_num(env, ev, "time", timestamp_of(e, msg));
  set_prop_num(env, ev, "bytes", (double)r.bytes);
  return ev;
}

/*
 * Drains the error queue. ICMP-origin errors about our echo requests become
 * events pushed onto `events`; the MTU of the last local-origin error (our
 * own EMSGSIZE) is returned through `local_mtu` (0 when none was queued).
 */
static void drain_errqueue(engine_t *e, napi_value events, uint32_t *count, uint32_t *local_mtu) {
  napi_env env = e->env;
  for (int i = 0; i < MAX_READS_PER_WAKE; i++) {
    struct sockaddr_storage dst;
    char control[512];
    struct iovec iov = {e->recvbuf, sizeof e->recvbuf};
    struct msghdr msg = {&dst, sizeof dst, &iov, 1, control, sizeof control, 0};
    ssize_t n = recvmsg(e->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    ext_err_t err;
    np_parse_ext_err(&msg, &err);
    if (err.origin == SO_EE_ORIGIN_LOCAL) {
      if (local_mtu) *local_mtu = err.info;
      continue;
    }
    if (err.origin != SO_EE_ORIGIN_ICMP && err.origin != SO_EE_ORIGIN_ICMP6) continue;
    char addr[INET6_ADDRSTRLEN];
    uint16_t port;
    if (dst.ss_family == AF_INET6) {
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&dst)->sin6_addr, addr, sizeof addr);
      port = ntohs(((struct sockaddr_in6 *)&dst)->sin6_port);
    } else {
      inet_ntop(AF_INET, &((struct sockaddr_in *)&dst)->sin_addr, addr, sizeof addr);
      port = ntohs(((struct sockaddr_in *)&dst)->sin_port);
    }
    double seq, token;
    if (e->udp) {
      /* The queued data is the quoted UDP payload (maybe empty); the port is the seq. */
      if (port < NP_UDP_BASE_PORT || port >= NP_UDP_BASE_PORT + NP_UDP_SEQS) continue;
      seq = port - NP_UDP_BASE_PORT;
      const uint8_t *b = e->recvbuf;
      token = n >= 4 ? (double)(((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3]) : -1;
    } else {
      /* The queued data is the ICMP header of the request that caused the error. */
      const uint8_t *icmp = e->recvbuf;
      if (n < 8 || icmp[0] != (e->family == AF_INET6 ? 128 : ICMP_ECHO)) continue;
      uint16_t id = (uint16_t)((icmp[4] << 8) | icmp[5]);
      if (id != e->ident) continue;
      seq = (double)((icmp[6] << 8) | icmp[7]);
      token = np_token_of(icmp, (size_t)n);
    }

    napi_value ev;
    napi_create_object(env, &ev);
    set_prop_str(env, ev, "type", "error");
    set_prop_str(env, ev, "addr", addr);
    set_prop_num(env, ev, "seq", seq);
    set_prop_num(env, ev, "token", token);
    set_prop_num(env, ev, "time", timestamp_of(e, &msg));
    set_prop_num(env, ev, "icmpType", err.type);
    set_prop_num(env, ev, "icmpCode", err.code);
    set_prop_num(env, ev, "errno", err.errnum);
    /* ee_info carries the next-hop MTU only for "fragmentation needed" (v4 type 3
     * code 4) and "packet too big" (v6 type 2). */
    int too_big = err.origin == SO_EE_ORIGIN_ICMP6 ? err.type == 2 : (err.type == ICMP_DEST_UNREACH && err.code == ICMP_FRAG_NEEDED);
    set_prop_num(env, ev, "mtu", too_big ? err.info : 0);
    set_prop_str(env, ev, "hop", err.hop);
    napi_set_element(env, events, (*count)++, ev);
  }
}

static void deliver(engine_t *e, napi_value events) {
  napi_env env = e->env;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, e->callback, &cb) != napi_ok || cb == NULL) return;
  napi_get_global(env, &recv);
  /* make_callback (not call_function) so promise jobs run right after the batch. */
  napi_status st = napi_make_callback(env, e->async_ctx, recv, cb, 1, &events, &result);
  if (st == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static void on_poll(uv_poll_t *handle, int status, int events_mask) {
  (void)events_mask;
  engine_t *e = (engine_t *)handle->data;
  if (e->closed) return;
  napi_env env = e->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value events;
  napi_create_array(env, &events);
  uint32_t count = 0;

  /* A queued error raises POLLERR; libuv then stops the handle and reports a
   * negative status, so drain the error queue first and restart below. */
  drain_errqueue(e, events, &count, NULL);
  for (int i = 0; i < MAX_READS_PER_WAKE; i++) {
    struct sockaddr_storage from;
    char control[256];
    struct iovec iov = {e->recvbuf, sizeof e->recvbuf};
    struct msghdr msg = {&from, sizeof from, &iov, 1, control, sizeof control, 0};
    ssize_t n = recvmsg(e->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      /* A pending socket error (set alongside an errqueue entry) is returned
       * once by recvmsg; the errqueue already carries the detail. */
      continue;
    }
    napi_value ev = read_reply(e, &msg, n);
    if (ev) napi_set_element(env, events, count++, ev);
  }
  drain_errqueue(e, events, &count, NULL);
  if (status < 0 && !e->closed) uv_poll_start(&e->poll, UV_READABLE, on_poll);
  if (count > 0) deliver(e, events);
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t *handle) {
  engine_t *e = (engine_t *)handle->data;
  if (e->fd >= 0) close(e->fd);
  e->fd = -1;
  e->released = 1;
  if (e->finalized) free(e);
}

/* Stops polling, closes the socket and releases JS references. Memory stays
 * until both libuv (on_closed) and the JS wrapper (finalizer) let go. */
static void engine_shutdown(engine_t *e) {
  if (!e->closed) {
    e->closed = 1;
    uv_poll_stop(&e->poll);
    if (e->callback) napi_delete_reference(e->env, e->callback);
    e->callback = NULL;
    if (e->async_ctx) napi_async_destroy(e->env, e->async_ctx);
    e->async_ctx = NULL;
  }
  if (!e->closing) {
    e->closing = 1;
    uv_close((uv_handle_t *)&e->poll, on_closed);
  }
}

static void engine_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  engine_t *e = (engine_t *)data;
  engine_shutdown(e);
  e->finalized = 1;
  if (e->released) free(e);
}

static int open_socket(int family, int udp, int want_raw, int *is_raw, int *err) {
  int fd = -1;
  int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
  if (udp) {
    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) *err = errno;
    *is_raw = 0;
    return fd;
  }
  if (want_raw != 1) {
    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd >= 0) {
      *is_raw = 0;
      return fd;
    }
    *err = errno;
    if (want_raw == 0) return -1;
  }
  fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) *err = errno;
  *is_raw = 1;
  return fd;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, "EICMPSOCKET", message);
  return NULL;
}

/* new Engine({ mode: 'auto'|'raw'|'dgram', ident, netns, family: 4|6, protocol: 'icmp'|'udp' }, onEvents) */
static napi_value engine_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "Engine(options, onEvents) needs two arguments");
    return NULL;
  }
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[1], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, NULL, "onEvents must be a function");
    return NULL;
  }
  int want_raw = -1; /* -1 auto, 0 dgram, 1 raw */
  uint32_t ident = 0;
  char netns[4096] = {0};
  napi_value v;
  bool has;
  CHECK(napi_has_named_property(env, argv[0], "mode", &has));
  if (has) {
    char mode[16] = {0};
    size_t l;
    CHECK(napi_get_named_property(env, argv[0], "mode", &v));
    CHECK(napi_get_value_string_utf8(env, v, mode, sizeof mode, &l));
    if (strcmp(mode, "raw") == 0) want_raw = 1;
    else if (strcmp(mode, "dgram") == 0) want_raw = 0;
  }
  CHECK(napi_has_named_property(env, argv[0], "ident", &has));
  if (has) {
    CHECK(napi_get_named_property(env, argv[0], "ident", &v));
    CHECK(napi_get_value_uint32(env, v, &ident));
  }
  int family = AF_INET, udp = 0;
  CHECK(napi_has_named_property(env, argv[0], "family", &has));
  if (has) {
    uint32_t f;
    CHECK(napi_get_named_property(env, argv[0], "family", &v));
    CHECK(napi_get_value_uint32(env, v, &f));
    if (f == 6) family = AF_INET6;
  }
  CHECK(napi_has_named_property(env, argv[0], "protocol", &has));
  if (has) {
    char proto[8] = {0};
    size_t l;
    CHECK(napi_get_named_property(env, argv[0], "protocol", &v));
    CHECK(napi_get_value_string_utf8(env, v, proto, sizeof proto, &l));
    udp = strcmp(proto, "udp") == 0;
  }
  CHECK(napi_has_named_property(env, argv[0], "netns", &has));
  if (has) {
    size_t l;
    CHECK(napi_get_named_property(env, argv[0], "netns", &v));
    CHECK(napi_get_value_string_utf8(env, v, netns, sizeof netns, &l));
  }

  int home_ns = -1, target_ns = -1;
  if (netns[0]) {
    home_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    target_ns = open(netns, O_RDONLY | O_CLOEXEC);
    if (home_ns < 0 || target_ns < 0 || setns(target_ns, CLONE_NEWNET) != 0) {
      int err = errno;
      if (home_ns >= 0) close(home_ns);
      if (target_ns >= 0) close(target_ns);
      return throw_errno(env, "cannot enter network namespace (needs CAP_SYS_ADMIN)", err);
    }
  }
  int is_raw = 0, err = 0;
  int fd = open_socket(family, udp, want_raw, &is_raw, &err);
  if (netns[0]) {
    /* Back to our own namespace; the socket stays in the one it was born in. */
    int rc = setns(home_ns, CLONE_NEWNET);
    close(home_ns);
    close(target_ns);
    if (rc != 0) abort(); /* the JS thread must never stay in a foreign namespace */
  }
  if (fd < 0) {
    if (udp) return throw_errno(env, "cannot open a UDP socket", err);
    return throw_errno(env,
                       want_raw == 0 ? "ICMP datagram socket refused (gid outside net.ipv4.ping_group_range)"
                                     : "cannot open an ICMP socket: needs net.ipv4.ping_group_range to include "
                                       "this gid, or CAP_NET_RAW for a raw socket",
                       err);
  }

  int one = 1, probe = IP_PMTUDISC_PROBE, probe6 = IPV6_PMTUDISC_PROBE, rcvbuf = 4 << 20;
  int opts_ok = family == AF_INET6
                    ? setsockopt(fd, SOL_IPV6, IPV6_MTU_DISCOVER, &probe6, sizeof probe6) == 0 &&
                          setsockopt(fd, SOL_IPV6, IPV6_DONTFRAG, &one, sizeof one) == 0 &&
                          setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof one) == 0
                    : setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &probe, sizeof probe) == 0 &&
                          setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof one) == 0;
  if (!opts_ok || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
    err = errno;
    close(fd);
    return throw_errno(env, "setsockopt on the ICMP socket failed", err);
  }
  /* Many targets answer at once; a small buffer would drop replies (best effort). */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

  uint16_t id;
  if (is_raw && family == AF_INET6) {
    struct icmp6_filter filt;
    ICMP6_FILTER_SETBLOCKALL(&filt);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
    setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof filt);
    id = (uint16_t)ident;
  } else if (is_raw) {
    struct icmp_filter filt = {~(1U << ICMP_ECHOREPLY)};
    setsockopt(fd, SOL_RAW, ICMP_FILTER, &filt, sizeof filt);
    id = (uint16_t)ident;
  } else {
    /* The kernel owns the identifier of a ping socket: it is the bound "port"
     * (for UDP, the source port: reported, not matched on). */
    struct sockaddr_storage any = {0};
    any.ss_family = (sa_family_t)family;
    socklen_t sl = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&any, sl) != 0 || getsockname(fd, (struct sockaddr *)&any, &sl) != 0) {
      err = errno;
      close(fd);
      return throw_errno(env, udp ? "cannot bind the UDP socket" : "cannot bind the ICMP datagram socket", err);
    }
    id = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&any)->sin6_port : ((struct sockaddr_in *)&any)->sin_port);
  }

  engine_t *e = calloc(1, sizeof *e);
  if (!e) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  e->env = env;
  e->fd = fd;
  e->raw = is_raw;
  e->family = family;
  e->udp = udp;
  e->ttl = -1;
  e->ident = id;
  e->base_ms = realtime_ms();
  struct uv_loop_s *loop;
  napi_value name;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_reference(env, argv[1], 1, &e->callback));
  CHECK(napi_create_string_utf8(env, "netprobe:icmp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, self, name, &e->async_ctx));
  uv_poll_init(loop, &e->poll, fd);
  e->poll.data = e;
  uv_poll_start(&e->poll, UV_READABLE, on_poll);
  /* The socket alone never keeps the process alive; pending requests' timers do. */
  uv_unref((uv_handle_t *)&e->poll);
  CHECK(napi_wrap(env, self, e, engine_finalize, NULL, NULL));
  return self;
}

static engine_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return (engine_t *)data;
}

static napi_value send_error(napi_env env, int err, uint32_t mtu, napi_value events) {
  napi_value out;
  napi_create_object(env, &out);
  set_prop_num(env, out, "errno", err);
  set_prop_str(env, out, "code", err == EMSGSIZE ? "EMSGSIZE" : err == ENETUNREACH ? "ENETUNREACH"
                                 : err == EHOSTUNREACH ? "EHOSTUNREACH" : err == EPERM ? "EPERM"
                                 : err == EAGAIN ? "EAGAIN" : err == ENOBUFS ? "ENOBUFS"
                                 : err == EACCES ? "EACCES" : err == EINVAL ? "EINVAL" : "EOTHER");
  set_prop_num(env, out, "mtu", mtu);
  napi_set_named_property(env, out, "events", events);
  return out;
}

/* Sets the hop limit for the next send; -1 restores the kernel default. */
static int set_ttl(engine_t *e, int ttl) {
  if (ttl == e->ttl) return 0;
  int rc = e->family == AF_INET6 ? setsockopt(e->fd, SOL_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl)
                                 : setsockopt(e->fd, SOL_IP, IP_TTL, &ttl, sizeof ttl);
  if (rc == 0) e->ttl = ttl;
  return rc;
}

/*
 * send(addr, seq, size, token[, ttl]) -> { time[, events] } when the request left, or
 * { errno, code, mtu, events } when sendto() failed; `events` holds ICMP
 * errors read while fetching the local MTU (deliver them like a batch).
 * `size` is the IP packet size: 20-byte (IPv6: 40-byte) header + 8-byte
 * ICMP or UDP header + payload. `ttl` 0 or absent: the default hop limit.
 * For UDP, `seq` must be below NP_UDP_SEQS (it picks the port).
 */
static napi_value engine_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  engine_t *e = unwrap(env, info, &argc, argv);
  if (!e || e->closed) {
    napi_throw_error(env, "EICMPCLOSED", "ICMP engine is closed");
    return NULL;
  }
  char addr[64];
  size_t l;
  uint32_t seq, size, token;
  CHECK(napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &l));
  CHECK(napi_get_value_uint32(env, argv[1], &seq));
  CHECK(napi_get_value_uint32(env, argv[2], &size));
  CHECK(napi_get_value_uint32(env, argv[3], &token));
  uint32_t ttl = 0;
  if (argc >= 5) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[4], &t));
    if (t == napi_number) CHECK(napi_get_value_uint32(env, argv[4], &ttl));
  }
  if (ttl > 255) {
    napi_throw_range_error(env, NULL, "ttl must be 1 to 255 (0: default)");
    return NULL;
  }
  struct sockaddr_storage dst = {0};
  socklen_t dst_len;
  size_t hdr = e->family == AF_INET6 ? 40 : 20;
  uint16_t port = e->udp ? (uint16_t)(NP_UDP_BASE_PORT + seq) : 0;
  if (e->family == AF_INET6) {
    struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;
    d->sin6_family = AF_INET6;
    d->sin6_port = htons(port);
    dst_len = sizeof *d;
    if (inet_pton(AF_INET6, addr, &d->sin6_addr) != 1) {
      napi_throw_type_error(env, NULL, "addr must be an IPv6 address");
      return NULL;
    }
  } else {
    struct sockaddr_in *d = (struct sockaddr_in *)&dst;
    d->sin_family = AF_INET;
    d->sin_port = htons(port);
    dst_len = sizeof *d;
    if (inet_pton(AF_INET, addr, &d->sin_addr) != 1) {
      napi_throw_type_error(env, NULL, "addr must be an IPv4 address");
      return NULL;
    }
  }
  if (size < hdr + 8 || size > 65535) {
    napi_throw_range_error(env, NULL, e->family == AF_INET6 ? "size must be an IP packet size from 48 to 65535"
                                                            : "size must be an IP packet size from 28 to 65535");
    return NULL;
  }
  if (e->udp && seq >= NP_UDP_SEQS) {
    napi_throw_range_error(env, NULL, "seq of a UDP probe must be below 1024");
    return NULL;
  }
  size_t len = e->udp ? np_build_udp(e->sendbuf, size, hdr, token)
               : e->family == AF_INET6 ? np_build_echo6(e->sendbuf, e->ident, (uint16_t)seq, size, token)
                                       : np_build_echo(e->sendbuf, e->ident, (uint16_t)seq, size, token, e->raw);
  uint8_t *p = e->sendbuf;
  if (set_ttl(e, ttl > 0 ? (int)ttl : -1) != 0) {
    napi_value events;
    CHECK(napi_create_array(env, &events));
    return send_error(env, errno, 0, events);
  }
  napi_value events;
  uint32_t count = 0, mtu = 0;
  CHECK(napi_create_array(env, &events));
  double sent_at = 0;
  ssize_t n = -1;
  int err = 0;
  /*
   * An ICMP error that arrived since the last read (time exceeded from a
   * traceroute hop, frag-needed...) leaves a pending socket error, and on
   * datagram sockets (ping, UDP) the next sendto() returns it instead of
   * sending. It belongs to an earlier request and is in the error queue: drain
   * it, then send once more. Only a failure with nothing queued is this send's.
   */
  for (int attempt = 0; attempt < 2; attempt++) {
    sent_at = realtime_ms() - e->base_ms;
    do {
      n = sendto(e->fd, p, len, 0, (struct sockaddr *)&dst, dst_len);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) break;
    err = errno;
    uint32_t before = count;
    /* Local errors are queued with the MTU that was exceeded. */
    drain_errqueue(e, events, &count, &mtu);
    if (count == before) break;
  }
  if (n < 0) return send_error(env, err, mtu, events);
  napi_value out;
  CHECK(napi_create_object(env, &out));
  set_prop_num(env, out, "time", sent_at);
  if (count > 0) napi_set_named_property(env, out, "events", events);
  return out;
}

static napi_value engine_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  engine_t *e = unwrap(env, info, &argc, NULL);
  if (e) engine_shutdown(e);
  return NULL;
}

static napi_value engine_mode(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  engine_t *e = unwrap(env, info, &argc, NULL);
  napi_value v;
  napi_create_string_utf8(env, e && e->raw ? "raw" : "dgram", NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value engine_ident(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  engine_t *e = unwrap(env, info, &argc, NULL);
  napi_value v;
  napi_create_uint32(env, e ? e->ident : 0, &v);
  return v;
}

static napi_value engine_now(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  engine_t *e = unwrap(env, info, &argc, NULL);
  napi_value v;
  napi_create_double(env, e ? realtime_ms() - e->base_ms : 0, &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"send", NULL, engine_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, engine_close, NULL, NULL, NULL, napi_default, NULL},
      {"now", NULL, engine_now, NULL, NULL, NULL, napi_default, NULL},
      {"mode", NULL, NULL, engine_mode, NULL, NULL, napi_default, NULL},
      {"ident", NULL, NULL, engine_ident, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  CHECK(napi_define_class(env, "Engine", NAPI_AUTO_LENGTH, engine_new, NULL, sizeof props / sizeof props[0], props, &cls));
  CHECK(napi_set_named_property(env, exports, "Engine", cls));
  if (np_export_codec(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
