// Packet building and parsing of the C engine, through its pure helpers: the
// same functions send() and the poll loop use, checked against an independent
// RFC 1071 checksum and hand-built datagrams.
import { describe, expect, it } from 'vitest';
import { buildEchoRequest, parseEchoReply } from '../../src/native/icmp.ts';

/** RFC 1071 one's-complement sum; 0xffff over a packet whose checksum field is right. */
function onesSum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += (buf[i]! << 8) | (buf[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function ipv4Header(totalLength: number, ihlWords = 5): Buffer {
  const h = Buffer.alloc(ihlWords * 4);
  h[0] = 0x40 | ihlWords;
  h.writeUInt16BE(totalLength, 2);
  h[8] = 64;
  h[9] = 1; // ICMP
  Buffer.from([198, 18, 0, 2]).copy(h, 12);
  Buffer.from([198, 18, 0, 1]).copy(h, 16);
  return h;
}

/** An echo reply as a peer would send it back: the request with type 0. */
function replyTo(request: Buffer): Buffer {
  const r = Buffer.from(request);
  r[0] = 0;
  return r;
}

describe('buildEchoRequest', () => {
  it.each([28, 29, 31, 32, 84, 1400, 1500, 9000, 65535])('size %i: ICMP length size-20, valid checksum', (size) => {
    const pkt = buildEchoRequest(0xbeef, 0x1234, size, 0xdeadbeef);
    expect(pkt.length).toBe(size - 20);
    expect(pkt[0]).toBe(8); // echo request
    expect(pkt[1]).toBe(0);
    expect(pkt.readUInt16BE(4)).toBe(0xbeef);
    expect(pkt.readUInt16BE(6)).toBe(0x1234);
    expect(onesSum(pkt)).toBe(0xffff);
    if (size >= 32) expect(pkt.readUInt32BE(8)).toBe(0xdeadbeef);
  });

  it('leaves the checksum to the kernel for datagram sockets', () => {
    const pkt = buildEchoRequest(1, 2, 84, 3, false);
    expect(pkt.readUInt16BE(2)).toBe(0);
  });

  it('changes the checksum with the sequence number', () => {
    const a = buildEchoRequest(7, 1, 84, 9);
    const b = buildEchoRequest(7, 2, 84, 9);
    expect(a.readUInt16BE(2)).not.toBe(b.readUInt16BE(2));
  });

  it('rejects sizes that are not IP packet sizes', () => {
    expect(() => buildEchoRequest(1, 1, 27, 0)).toThrow(/28 to 65535/);
    expect(() => buildEchoRequest(1, 1, 65536, 0)).toThrow(/28 to 65535/);
  });
});

describe('parseEchoReply', () => {
  const request = buildEchoRequest(0x4242, 77, 84, 0xcafef00d);

  it('reads seq, token and the IP size from a raw datagram (IPv4 header first)', () => {
    const reply = replyTo(request);
    const datagram = Buffer.concat([ipv4Header(20 + reply.length), reply]);
    expect(parseEchoReply(datagram, true, 0x4242)).toEqual({ seq: 77, token: 0xcafef00d, bytes: 84 });
  });

  it('skips IP options (ihl > 5)', () => {
    const reply = replyTo(request);
    const datagram = Buffer.concat([ipv4Header(24 + reply.length, 6), reply]);
    expect(parseEchoReply(datagram, true, 0x4242)).toEqual({ seq: 77, token: 0xcafef00d, bytes: 84 });
  });

  it('reads a bare ICMP message from a datagram socket', () => {
    expect(parseEchoReply(replyTo(request), false, 0)).toEqual({ seq: 77, token: 0xcafef00d, bytes: 84 });
  });

  it('has no token when the payload is too short to carry one', () => {
    const short = replyTo(buildEchoRequest(0x4242, 5, 28, 0));
    expect(parseEchoReply(short, false, 0)).toEqual({ seq: 5, token: -1, bytes: 28 });
  });

  it.each([
    ['another process\'s reply on a raw socket (other id)', () => Buffer.concat([ipv4Header(84), replyTo(buildEchoRequest(0x4243, 77, 84, 1))]), true],
    ['an echo request (type 8), as raw sockets also see', () => Buffer.concat([ipv4Header(84), request]), true],
    ['a truncated ICMP header', () => Buffer.concat([ipv4Header(27), replyTo(request).subarray(0, 7)]), true],
    ['an IPv4 header shorter than 20 bytes', () => Buffer.from([0x44, 0, 0, 30, ...Buffer.alloc(26)]), true],
    ['not IPv4', () => Buffer.concat([Buffer.from([0x65]), ipv4Header(84).subarray(1), replyTo(request)]), true],
    ['a non-zero code', () => {
      const r = replyTo(request);
      r[1] = 1;
      return r;
    }, false],
    ['fewer than 8 bytes', () => Buffer.alloc(7), false],
  ])('ignores %s', (_name, make, raw) => {
    expect(parseEchoReply(make(), raw as boolean, 0x4242)).toBeNull();
  });
});
