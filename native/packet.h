/* Packet building and parsing of the netprobe ICMP engine (see packet.c). */
#ifndef NETPROBE_PACKET_H
#define NETPROBE_PACKET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
  uint16_t seq;
  double token;
  size_t bytes; /* IP packet size of the reply */
} reply_t;

typedef struct {
  int origin; /* SO_EE_ORIGIN_* or -1 */
  int errnum;
  int type;
  int code;
  uint32_t info;
  char hop[INET6_ADDRSTRLEN];
} ext_err_t;

/* First destination port of UDP probes (as traceroute): port = base + seq. */
#define NP_UDP_BASE_PORT 33434
/* UDP probes in flight at once have distinct ports in [base, base + NP_UDP_SEQS). */
#define NP_UDP_SEQS 1024

/* RFC 1071 Internet checksum. */
uint16_t np_checksum(const uint8_t *data, size_t len);

/* Echo request for an IP packet of `size` bytes; returns the ICMP length (size - 20). */
size_t np_build_echo(uint8_t *p, uint16_t ident, uint16_t seq, uint32_t size, uint32_t token, int with_checksum);

/* The request token in the first 4 payload bytes, or -1 when the payload is shorter. */
double np_token_of(const uint8_t *icmp, size_t len);

/* 1 when buf is an echo reply for `ident` (IPv4 header first when raw). */
int np_parse_reply(const uint8_t *buf, size_t len, int raw, uint16_t ident, reply_t *out);

/* ICMPv6 echo request for an IPv6 packet of `size` bytes (40-byte header); the
 * kernel fills in the checksum on both ICMPv6 socket types. Returns the ICMPv6 length. */
size_t np_build_echo6(uint8_t *p, uint16_t ident, uint16_t seq, uint32_t size, uint32_t token);

/* 1 when buf is an ICMPv6 echo reply for `ident` (no IPv6 header on either socket type). */
int np_parse_reply6(const uint8_t *buf, size_t len, uint16_t ident, reply_t *out);

/* UDP probe payload for an IP packet of `size` bytes behind a `hdr`-byte IP header. */
size_t np_build_udp(uint8_t *p, uint32_t size, size_t hdr, uint32_t token);

/* Extracts the IP_RECVERR extended error (origin -1 when there is none). */
void np_parse_ext_err(struct msghdr *msg, ext_err_t *out);

#ifdef NAPI_VERSION
#include <node_api.h>
/* Adds buildEchoRequest / parseEchoReply to the addon's exports (codec.c). */
napi_status np_export_codec(napi_env env, napi_value exports);
#endif

#endif
