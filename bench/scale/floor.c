/*
 * The scale bench's floor: the same socket work as the daemon under test,
 * with no runtime around it. Per period (--every) it makes N DNS lookups (a
 * fresh UDP socket per query, as a resolver and the daemon do: socket, send,
 * read the answer, close), N TCP connects (non-blocking connect, wait until
 * writable, SO_ERROR, close) and N ICMP echoes of 84 bytes with DF (one ICMP
 * socket, datagram when ping_group_range allows, else raw, IP_PMTUDISC_PROBE
 * as the daemon's engine), each spread evenly over the period and started
 * from one timer wake-up every 5 ms (the daemon's coalescing window), with a
 * 1 s timeout. Single-threaded epoll. What it costs is what the kernel
 * charges any prober for that work on loopback; the bench reads its CPU from
 * /proc like the daemon's.
 *
 *   floor DNS_IP DNS_PORT N_DNS FARM_PORT N_TCP N_ICMP EVERY_MS SECONDS
 * Targets: TCP and ICMP go to 127.1.(1+i/250).(1+i%250) (bench/scale/farm.ts),
 * DNS asks A for n<i>.scale.test. Prints "ready" at start and one line of
 * counts at the end (after SECONDS, or at SIGTERM). Built by
 * bench/scale/run.ts with cc -O2; Linux only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 20000
#define TIMEOUT_NS 1000000000LL
#define TICK_NS 5000000LL

enum { KIND_DNS = 1, KIND_TCP = 2, KIND_ICMP = 3, KIND_TIMER = 4 };

typedef struct {
  int fd;
  int64_t deadline;
  uint16_t id;
} flight_t;

static flight_t dns_flight[MAX_TARGETS], tcp_flight[MAX_TARGETS];
static int64_t icmp_deadline[MAX_TARGETS];
static long dns_ok, dns_timeout, tcp_ok, tcp_refused, tcp_timeout, icmp_sent, icmp_replies, send_errors;
static int epfd, icmp_fd, icmp_raw;
static struct sockaddr_in dns_addr;
static int farm_port;

/* SIGTERM ends the loop and still prints the counts: the bench stops the floor when its window ends. */
static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) { (void)sig; stopping = 1; }

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t tag(int kind, int i) { return ((uint64_t)kind << 32) | (uint32_t)i; }

static void farm_address(int i, struct sockaddr_in *a) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)farm_port);
  a->sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | ((uint32_t)(1 + i / 250) << 8) | (uint32_t)(1 + i % 250));
}

static void watch(int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void close_flight(flight_t *f) {
  close(f->fd); /* also leaves the epoll set */
  f->fd = -1;
}

static void start_dns(int i) {
  flight_t *f = &dns_flight[i];
  if (f->fd >= 0) { dns_timeout++; close_flight(f); }
  uint8_t q[64];
  char name[32];
  int len = snprintf(name, sizeof name, "n%d", i);
  uint16_t id = (uint16_t)rand();
  size_t n = 0;
  q[n++] = id >> 8; q[n++] = id & 0xff;
  q[n++] = 0x01; q[n++] = 0x00;            /* RD */
  q[n++] = 0; q[n++] = 1;                  /* QDCOUNT 1 */
  memset(q + n, 0, 6); n += 6;
  q[n++] = (uint8_t)len; memcpy(q + n, name, (size_t)len); n += (size_t)len;
  q[n++] = 5; memcpy(q + n, "scale", 5); n += 5;
  q[n++] = 4; memcpy(q + n, "test", 4); n += 4;
  q[n++] = 0;
  q[n++] = 0; q[n++] = 1; q[n++] = 0; q[n++] = 1; /* A IN */
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { send_errors++; return; }
  if (sendto(fd, q, n, 0, (struct sockaddr *)&dns_addr, sizeof dns_addr) < 0) { send_errors++; close(fd); return; }
  f->fd = fd; f->id = id; f->deadline = now_ns() + TIMEOUT_NS;
  watch(fd, EPOLLIN, tag(KIND_DNS, i));
}

static void on_dns(int i) {
  flight_t *f = &dns_flight[i];
  uint8_t buf[1500];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  ssize_t r = recvfrom(f->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  if (r < 12 || ((buf[0] << 8) | buf[1]) != f->id || from.sin_port != dns_addr.sin_port) return;
  dns_ok++;
  close_flight(f);
}

static void start_tcp(int i) {
  flight_t *f = &tcp_flight[i];
  if (f->fd >= 0) { tcp_timeout++; close_flight(f); }
  struct sockaddr_in a;
  farm_address(i, &a);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { send_errors++; return; }
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
    if (errno == ECONNREFUSED) tcp_refused++; else send_errors++;
    close(fd);
    return;
  }
  f->fd = fd; f->deadline = now_ns() + TIMEOUT_NS;
  watch(fd, EPOLLOUT, tag(KIND_TCP, i));
}

static void on_tcp(int i) {
  flight_t *f = &tcp_flight[i];
  int err = 0;
  socklen_t el = sizeof err;
  getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &el);
  if (err == 0) tcp_ok++; else if (err == ECONNREFUSED) tcp_refused++; else send_errors++;
  close_flight(f);
}

static void start_icmp(int i) {
  uint8_t pkt[64];
  memset(pkt, 0, sizeof pkt);
  struct icmphdr *h = (struct icmphdr *)pkt;
  h->type = ICMP_ECHO;
  h->un.echo.id = htons(0x4e50);
  h->un.echo.sequence = htons((uint16_t)i);
  if (icmp_raw) {
    uint32_t sum = 0;
    for (size_t k = 0; k < sizeof pkt; k += 2) sum += (uint32_t)(pkt[k] << 8 | pkt[k + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    h->checksum = htons((uint16_t)~sum);
  }
  struct sockaddr_in a;
  farm_address(i, &a);
  a.sin_port = 0;
  if (sendto(icmp_fd, pkt, sizeof pkt, 0, (struct sockaddr *)&a, sizeof a) < 0) { send_errors++; return; }
  icmp_sent++;
  icmp_deadline[i] = now_ns() + TIMEOUT_NS;
}

static void on_icmp(void) {
  uint8_t buf[1500];
  for (int k = 0; k < 256; k++) {
    ssize_t r = recv(icmp_fd, buf, sizeof buf, 0);
    if (r < 0) return;
    const uint8_t *p = buf;
    if (icmp_raw) { size_t ihl = (size_t)(buf[0] & 0x0f) * 4; if ((size_t)r < ihl + 8) continue; p += ihl; }
    if (p[0] != ICMP_ECHOREPLY) continue;
    int seq = (p[6] << 8) | p[7];
    if (seq < MAX_TARGETS && icmp_deadline[seq]) { icmp_deadline[seq] = 0; icmp_replies++; }
  }
}

static int open_icmp(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  icmp_raw = 0;
  if (fd < 0) { fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP); icmp_raw = 1; }
  if (fd < 0) return -1;
  int probe = IP_PMTUDISC_PROBE;
  setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 9) { fprintf(stderr, "usage: floor DNS_IP DNS_PORT N_DNS FARM_PORT N_TCP N_ICMP EVERY_MS SECONDS\n"); return 2; }
  memset(&dns_addr, 0, sizeof dns_addr);
  dns_addr.sin_family = AF_INET;
  inet_pton(AF_INET, argv[1], &dns_addr.sin_addr);
  dns_addr.sin_port = htons((uint16_t)atoi(argv[2]));
  int n[4] = {0, atoi(argv[3]), atoi(argv[5]), atoi(argv[6])};
  farm_port = atoi(argv[4]);
  int64_t every = (int64_t)atoi(argv[7]) * 1000000LL;
  int64_t end = now_ns() + (int64_t)atoi(argv[8]) * 1000000000LL;
  for (int k = 1; k <= 3; k++) if (n[k] < 0 || n[k] > MAX_TARGETS) { fprintf(stderr, "floor: 0..%d targets per kind\n", MAX_TARGETS); return 2; }
  if (every <= 0 || end <= now_ns() || (int64_t)atoi(argv[8]) > 3600) { fprintf(stderr, "floor: EVERY_MS > 0, SECONDS 1..3600\n"); return 2; }
  srand((unsigned)now_ns());
  for (int i = 0; i < MAX_TARGETS; i++) dns_flight[i].fd = tcp_flight[i].fd = -1;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (n[KIND_ICMP] > 0) {
    if ((icmp_fd = open_icmp()) < 0) { perror("floor: ICMP socket"); return 1; }
    watch(icmp_fd, EPOLLIN, tag(KIND_ICMP, 0));
  }
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  struct itimerspec its = {.it_interval = {0, TICK_NS}, .it_value = {0, TICK_NS}};
  timerfd_settime(tfd, 0, &its, NULL);
  watch(tfd, EPOLLIN, tag(KIND_TIMER, 0));
  printf("ready %s\n", icmp_raw ? "raw" : "dgram");
  fflush(stdout);

  int64_t t0 = now_ns();
  long started[4] = {0, 0, 0, 0};
  long sweeps = 0;
  struct epoll_event events[256];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  while (!stopping && now_ns() < end) {
    int got = epoll_wait(epfd, events, 256, 100);
    for (int e = 0; e < got; e++) {
      int kind = (int)(events[e].data.u64 >> 32);
      int i = (int)(uint32_t)events[e].data.u64;
      if (kind == KIND_DNS) on_dns(i);
      else if (kind == KIND_TCP) on_tcp(i);
      else if (kind == KIND_ICMP) on_icmp();
      else if (kind == KIND_TIMER) {
        uint64_t ticks;
        if (read(tfd, &ticks, sizeof ticks) < 0) continue;
        int64_t now = now_ns();
        /* Run j of a kind is due at t0 + j * every / n: evenly spread, like the daemon's phases. */
        for (int k = 1; k <= 3; k++) {
          while (n[k] > 0 && t0 + started[k] * every / n[k] <= now) {
            int target = (int)(started[k] % n[k]);
            if (k == KIND_DNS) start_dns(target); else if (k == KIND_TCP) start_tcp(target); else start_icmp(target);
            started[k]++;
          }
        }
        if (++sweeps % 20 != 0) continue; /* timeouts swept every 100 ms */
        for (int i2 = 0; i2 < n[KIND_DNS]; i2++) if (dns_flight[i2].fd >= 0 && dns_flight[i2].deadline < now) { dns_timeout++; close_flight(&dns_flight[i2]); }
        for (int i2 = 0; i2 < n[KIND_TCP]; i2++) if (tcp_flight[i2].fd >= 0 && tcp_flight[i2].deadline < now) { tcp_timeout++; close_flight(&tcp_flight[i2]); }
      }
    }
  }
  printf("dns ok %ld timeout %ld; tcp ok %ld refused %ld timeout %ld; icmp sent %ld replies %ld; errors %ld\n", dns_ok, dns_timeout, tcp_ok,
         tcp_refused, tcp_timeout, icmp_sent, icmp_replies, send_errors);
  return 0;
}
