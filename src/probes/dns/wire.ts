// DNS message helpers shared by the UDP and TCP exchanges: query encoding,
// random ids, response validation and answer formatting. dns-packet does the
// encoding and decoding; the header and question checks below run on the raw
// bytes first so a spoofed or stray datagram costs almost nothing.
import { closeSync, openSync, readSync } from 'node:fs';
import { isIP, SocketAddress } from 'node:net';
import { decode, encode, RECURSION_DESIRED, type Answer, type DecodedPacket, type RecordType } from 'dns-packet';
import { checkAnswer, comparableName, type AnswerMismatch } from './answer.ts';
import type { DnsOutcome, MismatchReason } from './types.ts';

const HEADER_BYTES = 12;
const QR_BIT = 0x8000;
export const TC_BIT = 0x0200;

/** One query as it goes on the wire, plus what a matching answer must echo. */
export interface WireQuery {
  id: number;
  name: string;
  qtype: string;
  /** Whole encoded message; bytes HEADER_BYTES.. are the question section. */
  message: Buffer;
}

// Ids come from the kernel's CSPRNG in batches: a per-query source would cost
// more than the rest of the encoding. Read from /dev/urandom rather than
// through node:crypto: loading node:crypto costs the daemon ~3 MB of RSS, and
// the bytes are the same (getRandomValues is getrandom(2) underneath; the
// device never blocks once the kernel's pool is seeded, which it is long
// before a pod starts). test/shipped/builtins.test.ts keeps crypto unloaded.
const idPool = new Uint16Array(512);
let idNext = idPool.length;

function fillRandom(target: Uint16Array): void {
  const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let at = 0; at < bytes.length; ) {
      const n = readSync(fd, bytes, at, bytes.length - at, null);
      if (n <= 0) throw new Error('/dev/urandom returned no bytes');
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}

export function randomId(): number {
  if (idNext === idPool.length) {
    fillRandom(idPool);
    idNext = 0;
  }
  return idPool[idNext++]!;
}

/** A random id different from every id in `taken` (concurrent queries on one socket). */
export function freshId(taken: readonly { id: number }[]): number {
  for (;;) {
    const id = randomId();
    if (!taken.some((q) => q.id === id)) return id;
  }
}

// Encoded questions per name and type: a probe asks the same few names over
// and over, and dns-packet's encoder allocates a fresh (non-pooled) buffer and
// several objects each time. Only the id differs between lookups; it is
// written into a pooled copy. Bounded: cleared when full.
const templates = new Map<string, Buffer>();
const MAX_TEMPLATES = 1024;

export function encodeQuery(id: number, name: string, qtype: string): WireQuery {
  const key = `${qtype} ${name}`;
  let template = templates.get(key);
  if (template === undefined) {
    template = encode({
      id: 0,
      type: 'query',
      flags: RECURSION_DESIRED,
      questions: [{ name, type: qtype as RecordType, class: 'IN' }],
    });
    if (templates.size >= MAX_TEMPLATES) templates.clear();
    templates.set(key, template);
  }
  const message = Buffer.allocUnsafe(template.length);
  template.copy(message);
  message.writeUInt16BE(id, 0);
  return { id, name, qtype, message };
}

/** Same query under a new id (a retry from a fresh socket is a fresh resolver query). */
export function withId(query: WireQuery, id: number): WireQuery {
  const message = Buffer.allocUnsafe(query.message.length);
  query.message.copy(message);
  message.writeUInt16BE(id, 0);
  return { id, name: query.name, qtype: query.qtype, message };
}

/** Throws a setup error for names no resolver would send (empty labels, > 63-byte labels, > 253 bytes). */
export function checkName(name: string): void {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || Buffer.byteLength(bare) > 253) throw new Error(`invalid DNS name "${name}": length must be 1-253`);
  for (const label of bare.split('.')) {
    const bytes = Buffer.byteLength(label);
    if (bytes === 0 || bytes > 63) throw new Error(`invalid DNS name "${name}": every label must be 1-63 bytes`);
  }
}

export interface Matched {
  index: number;
  packet: DecodedPacket;
  /** Set when an answer record belongs to another name, type or class: the query is `wrong_answer`. */
  wrongAnswer?: { reason: AnswerMismatch; record: string };
}

/**
 * Finds which outstanding query `msg` answers. Returns the reason it answers
 * none of them otherwise. The source address is checked by the caller (UDP
 * only). Order of checks: length, QR bit, id, question, full decode.
 */
export function matchResponse(msg: Buffer, pending: readonly (WireQuery | undefined)[]): Matched | MismatchReason {
  if (msg.length < HEADER_BYTES) return 'undecodable';
  const flags = msg.readUInt16BE(2);
  if ((flags & QR_BIT) === 0) return 'not_response';
  const id = msg.readUInt16BE(0);
  let index = -1;
  for (let i = 0; i < pending.length; i++) {
    if (pending[i]?.id === id) {
      index = i;
      break;
    }
  }
  if (index < 0) return 'wrong_id';
  const query = pending[index]!;
  const fastMatch = msg.readUInt16BE(4) === 1 && sameQuestionBytes(msg, query.message);
  let packet: DecodedPacket;
  try {
    packet = decode(msg);
  } catch {
    return fastMatch ? 'undecodable' : 'wrong_question';
  }
  // dns-packet reads past the end of a cut message instead of throwing
  // (a 3-byte A record comes out as "192.undefined..."): check it stayed inside.
  if (decode.bytes > msg.length) return fastMatch ? 'undecodable' : 'wrong_question';
  if (!fastMatch && !sameQuestion(packet, query)) return 'wrong_question';
  // Our own strict walk of every record: dns-packet accepts short RDATA and trailing bytes.
  const check = checkAnswer(msg, comparableName(query.name), query.qtype);
  if (!check.ok && 'malformed' in check) return 'undecodable';
  if (!check.ok) return { index, packet, wrongAnswer: { reason: check.mismatch, record: check.record } };
  return { index, packet };
}

/** The outcome of a matched response: wrong_answer before the rcode. */
export function matchedOutcome(match: Matched): DnsOutcome {
  return match.wrongAnswer ? 'wrong_answer' : outcomeOfRcode(match.packet.flags ?? 0);
}

// The common case: the server echoed our question byte for byte, apart from
// letter case (0x20-bit randomisation style servers may flip it).
function sameQuestionBytes(msg: Buffer, query: Buffer): boolean {
  const end = query.length;
  if (msg.length < end) return false;
  for (let i = HEADER_BYTES; i < end; i++) {
    const a = msg[i]!;
    const b = query[i]!;
    if (a !== b && (a | 0x20) !== (b | 0x20)) return false;
    // Only letters may differ by case; 0x20 also links e.g. '@' and '`'.
    if (a !== b && !((a | 0x20) >= 0x61 && (a | 0x20) <= 0x7a)) return false;
  }
  return true;
}

// Slow path: compressed or otherwise differently encoded question.
function sameQuestion(packet: DecodedPacket, query: WireQuery): boolean {
  const q = packet.questions?.[0];
  if (packet.questions?.length !== 1 || !q) return false;
  return (
    q.type === query.qtype &&
    (q.class ?? 'IN') === 'IN' &&
    q.name.replace(/\.$/, '').toLowerCase() === query.name.replace(/\.$/, '').toLowerCase()
  );
}

export function outcomeOfRcode(flags: number): DnsOutcome {
  switch (flags & 0x000f) {
    case 0:
      return 'success';
    case 3:
      return 'nxdomain';
    case 5:
      return 'refused';
    // SERVFAIL and everything else (FORMERR, NOTIMP, YXDOMAIN...): the server
    // answered without resolving the name, which is what servfail stands for
    // here; the real rcode is kept in DnsQueryResult.rcode.
    default:
      return 'servfail';
  }
}

export function isTruncated(msg: Buffer): boolean {
  return (msg.readUInt16BE(2) & TC_BIT) !== 0;
}

/** Answers as text: records of the asked type as their value, others (CNAME chain) as "TYPE value". */
export function formatAnswers(packet: DecodedPacket, qtype: string): string[] {
  const answers = packet.answers ?? [];
  const out = new Array<string>(answers.length);
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i]!;
    const value = formatData(a);
    out[i] = a.type === qtype ? value : `${a.type} ${value}`;
  }
  return out;
}

function formatData(a: Answer): string {
  const data = (a as { data?: unknown }).data;
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString();
  if (Array.isArray(data)) return data.map((d) => (Buffer.isBuffer(d) ? d.toString() : String(d))).join('');
  if (data && typeof data === 'object') return Object.values(data).map(String).join(' ');
  return String(data);
}

const canonical = new Map<string, string>();

/** The address as the kernel reports it in rinfo (IPv6 compressed, lower case). */
export function canonicalAddress(host: string): string {
  if (isIP(host) !== 6) return host;
  let c = canonical.get(host);
  if (c === undefined) {
    c = new SocketAddress({ address: host, family: 'ipv6' }).address;
    if (canonical.size < 1024) canonical.set(host, c);
  }
  return c;
}
