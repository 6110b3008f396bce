/*
 * ICMP packet building and parsing for the netprobe engine (icmp.c): pure
 * functions over byte buffers and the kernel's extended-error control
 * messages, kept apart from the Node-API and libuv glue so they can be tested
 * on their own (buildEchoRequest / parseEchoReply in the addon's exports).
 * Linux-specific: struct sock_extended_err from IP_RECVERR (linux/errqueue.h).
 */
#define _GNU_SOURCE
#include "packet.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <string.h>

uint16_t np_checksum(const uint8_t *data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)((data[i] << 8) | data[i + 1]);
  if (len & 1) sum += (uint32_t)(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/*
 * Writes an echo request for an IP packet of `size` bytes into buf: the ICMP
 * header and size - 28 bytes of payload (the kernel adds the 20-byte IP
 * header). The payload starts with the request's token. A datagram socket
 * fills in the checksum (and the id) itself. Returns the ICMP length.
 */
size_t np_build_echo(uint8_t *p, uint16_t ident, uint16_t seq, uint32_t size, uint32_t token, int with_checksum) {
  size_t len = size - 20;
  p[0] = ICMP_ECHO;
  p[1] = 0;
  p[2] = p[3] = 0;
  p[4] = (uint8_t)(ident >> 8);
  p[5] = (uint8_t)ident;
  p[6] = (uint8_t)(seq >> 8);
  p[7] = (uint8_t)seq;
  for (size_t i = 8; i < len; i++) p[i] = (uint8_t)(i & 0xff);
  if (len >= 12) {
    p[8] = (uint8_t)(token >> 24);
    p[9] = (uint8_t)(token >> 16);
    p[10] = (uint8_t)(token >> 8);
    p[11] = (uint8_t)token;
  }
  if (with_checksum) {
    uint16_t sum = np_checksum(p, len);
    p[2] = (uint8_t)(sum >> 8);
    p[3] = (uint8_t)sum;
  }
  return len;
}

/* Token: first 4 payload bytes after the ICMP header, written by send(). */
double np_token_of(const uint8_t *icmp, size_t len) {
  if (len < 12) return -1;
  return (double)(((uint32_t)icmp[8] << 24) | ((uint32_t)icmp[9] << 16) | ((uint32_t)icmp[10] << 8) | icmp[11]);
}

/*
 * Parses one datagram from the normal queue: an IPv4 header first on a raw
 * socket, the bare ICMP message on a datagram socket. 1 when it is an echo
 * reply to this engine (raw sockets see every reply in the namespace).
 */
int np_parse_reply(const uint8_t *buf, size_t len, int raw, uint16_t ident, reply_t *out) {
  const uint8_t *icmp = buf;
  if (raw) {
    if (len < 20) return 0;
    size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
    if ((buf[0] >> 4) != 4 || ihl < 20 || len < ihl + 8) return 0;
    icmp += ihl;
    len -= ihl;
  } else if (len < 8) {
    return 0;
  }
  if (icmp[0] != ICMP_ECHOREPLY || icmp[1] != 0) return 0;
  uint16_t id = (uint16_t)((icmp[4] << 8) | icmp[5]);
  /* A datagram socket only ever gets its own replies (the kernel matches the id). */
  if (raw && id != ident) return 0;
  out->seq = (uint16_t)((icmp[6] << 8) | icmp[7]);
  out->token = np_token_of(icmp, len);
  out->bytes = len + 20;
  return 1;
}

size_t np_build_echo6(uint8_t *p, uint16_t ident, uint16_t seq, uint32_t size, uint32_t token) {
  size_t len = size - 40;
  for (size_t i = 8; i < len; i++) p[i] = (uint8_t)(i & 0xff);
  p[0] = 128; /* ICMP6_ECHO_REQUEST */
  p[1] = 0;
  p[2] = p[3] = 0;
  p[4] = (uint8_t)(ident >> 8);
  p[5] = (uint8_t)ident;
  p[6] = (uint8_t)(seq >> 8);
  p[7] = (uint8_t)seq;
  if (len >= 12) {
    p[8] = (uint8_t)(token >> 24);
    p[9] = (uint8_t)(token >> 16);
    p[10] = (uint8_t)(token >> 8);
    p[11] = (uint8_t)token;
  }
  return len;
}

int np_parse_reply6(const uint8_t *buf, size_t len, uint16_t ident, reply_t *out) {
  if (len < 8 || buf[0] != 129 /* ICMP6_ECHO_REPLY */ || buf[1] != 0) return 0;
  if ((uint16_t)((buf[4] << 8) | buf[5]) != ident) return 0;
  out->seq = (uint16_t)((buf[6] << 8) | buf[7]);
  out->token = np_token_of(buf, len);
  out->bytes = len + 40;
  return 1;
}

/* The token leads the payload so a quoted probe can be matched even behind a port reuse. */
size_t np_build_udp(uint8_t *p, uint32_t size, size_t hdr, uint32_t token) {
  size_t len = size - hdr - 8;
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)((i + 8) & 0xff);
  if (len >= 4) {
    p[0] = (uint8_t)(token >> 24);
    p[1] = (uint8_t)(token >> 16);
    p[2] = (uint8_t)(token >> 8);
    p[3] = (uint8_t)token;
  }
  return len;
}

void np_parse_ext_err(struct msghdr *msg, ext_err_t *out) {
  out->origin = -1;
  out->hop[0] = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    int v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
    int v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
    if (!v4 && !v6) continue;
    struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
    out->origin = ee->ee_origin;
    out->errnum = (int)ee->ee_errno;
    out->type = ee->ee_type;
    out->code = ee->ee_code;
    out->info = ee->ee_info;
    struct sockaddr *off = SO_EE_OFFENDER(ee);
    if (off->sa_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)off)->sin_addr, out->hop, sizeof out->hop);
    else if (off->sa_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)off)->sin6_addr, out->hop, sizeof out->hop);
  }
}

