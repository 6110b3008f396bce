// Seeded mutated DNS responses and an independent reference reader, shared by
// the fuzz test (10^4 cases in CI) and bench/dns/fuzz.ts (10^6).
//
// The property: no mutated response is judged `success` by the probe while the
// reference says it is malformed, or says one of its answer records belongs to
// another name, type or class. The reference is written apart from
// src/probes/dns/answer.ts on purpose (recursive names, a visited set, forward
// pointers allowed): two readers that agree by construction would prove nothing.
import { encode, type Answer, type RecordType } from 'dns-packet';
import { encodeQuery, matchedOutcome, matchResponse, type WireQuery } from '../../src/probes/dns/wire.ts';

/** mulberry32: small, fast, good enough to spread mutations; seeded for replay. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME = 'www.fuzz.example';
const SOA = { mname: 'ns.fuzz.example', rname: 'hostmaster.fuzz.example', serial: 1, refresh: 60, retry: 60, expire: 60, minimum: 60 };

interface Base {
  query: WireQuery;
  message: Buffer;
}

function response(query: WireQuery, answers: Answer[], extra: { rcode?: number; authorities?: Answer[]; additionals?: Answer[] } = {}): Buffer {
  const msg = encode({
    id: query.id,
    type: 'response',
    flags: 0x8180 | (extra.rcode ?? 0),
    questions: [{ name: query.name, type: query.qtype as RecordType, class: 'IN' }],
    answers,
    authorities: extra.authorities ?? [],
    additionals: extra.additionals ?? [],
  });
  return msg;
}

/** The answer's first owner name rewritten as a pointer to the question (as real servers compress). */
function compressFirstOwner(msg: Buffer): Buffer {
  const qnameEnd = msg.indexOf(0, 12) + 1;
  const nameLength = qnameEnd - 12;
  const answerAt = qnameEnd + 4;
  if (msg.readUInt16BE(6) === 0 || !msg.subarray(answerAt, answerAt + nameLength).equals(msg.subarray(12, qnameEnd))) return msg;
  return Buffer.concat([msg.subarray(0, answerAt), Buffer.from([0xc0, 0x0c]), msg.subarray(answerAt + nameLength)]);
}

/** Well-formed responses the probe must take as success (and wrong ones it must not). */
export function baseResponses(): Base[] {
  const q = (qtype: string, id: number) => encodeQuery(id, NAME, qtype);
  const a: Answer = { name: NAME, type: 'A', class: 'IN', ttl: 30, data: '192.0.2.1' };
  const aaaa: Answer = { name: NAME, type: 'AAAA', class: 'IN', ttl: 30, data: '2001:db8::1' };
  const chain: Answer[] = [
    { name: NAME, type: 'CNAME', class: 'IN', ttl: 30, data: 'b.fuzz.example' },
    { name: 'b.fuzz.example', type: 'CNAME', class: 'IN', ttl: 30, data: 'c.fuzz.example' },
    { name: 'c.fuzz.example', type: 'A', class: 'IN', ttl: 30, data: '192.0.2.3' },
  ];
  const bases: Base[] = [];
  const add = (query: WireQuery, message: Buffer) => bases.push({ query, message });
  let query = q('A', 0x1111);
  add(query, response(query, [a]));
  add(query, compressFirstOwner(response(query, [a, { ...a, data: '192.0.2.2' }])));
  add(query, response(query, chain));
  add(query, response(query, [], { rcode: 3, authorities: [{ name: 'fuzz.example', type: 'SOA', class: 'IN', ttl: 30, data: SOA }] }));
  add(query, response(query, [a], { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] } as unknown as Answer] }));
  query = q('AAAA', 0x2222);
  add(query, response(query, [aaaa]));
  add(query, compressFirstOwner(response(query, [aaaa])));
  add(query, response(query, [], { authorities: [{ name: 'fuzz.example', type: 'SOA', class: 'IN', ttl: 30, data: SOA }] }));
  query = q('TXT', 0x3333);
  add(query, response(query, [{ name: NAME, type: 'TXT', class: 'IN', ttl: 30, data: ['hello', 'world'] }]));
  query = q('SRV', 0x4444);
  add(query, response(query, [{ name: NAME, type: 'SRV', class: 'IN', ttl: 30, data: { priority: 1, weight: 2, port: 53, target: 'ns.fuzz.example' } }]));
  query = q('MX', 0x5555);
  add(query, response(query, [{ name: NAME, type: 'MX', class: 'IN', ttl: 30, data: { preference: 10, exchange: 'mx.fuzz.example' } }]));
  return bases;
}

/** Semantic mutations: records re-encoded with another owner, type or class (what a spoofer or broken cache sends). */
function semantic(base: Base, r: () => number): Buffer {
  const { query } = base;
  const owners = ['attacker.example', 'fuzz.example', `x.${NAME}`, 'c.fuzz.example', NAME.toUpperCase()];
  const owner = owners[Math.floor(r() * owners.length)]!;
  const kind = Math.floor(r() * 4);
  let record: Answer;
  if (kind === 0) record = { name: owner, type: 'A', class: 'IN', ttl: 30, data: '203.0.113.66' };
  else if (kind === 1) record = { name: NAME, type: 'A', class: 'IN', ttl: 30, data: '203.0.113.66' };
  else if (kind === 2 && query.qtype === 'AAAA') record = { name: NAME, type: 'AAAA', class: 'CH', ttl: 30, data: '2001:db8::66' };
  else if (kind === 2) record = { name: NAME, type: 'A', class: 'CH', ttl: 30, data: '203.0.113.66' };
  else record = { name: NAME, type: 'CNAME', class: 'IN', ttl: 30, data: owner };
  const follow: Answer[] = kind === 3 ? [{ name: owner, type: 'A', class: 'IN', ttl: 30, data: '203.0.113.67' }] : [];
  return response(query, [record, ...follow]);
}

/** One mutated response for case number `n` (deterministic in the seed). */
export function mutate(bases: readonly Base[], r: () => number): Base {
  const base = bases[Math.floor(r() * bases.length)]!;
  if (r() < 0.15) return { query: base.query, message: semantic(base, r) };
  let msg = Buffer.from(base.message);
  const qEnd = 12 + base.query.message.length - 12;
  const steps = 1 + Math.floor(r() * 3);
  for (let s = 0; s < steps; s++) {
    // Mostly after the question, where the probe's id and question checks do not stop it.
    const at = (lo: number) => lo + Math.floor(r() * Math.max(1, msg.length - lo));
    const from = r() < 0.9 ? Math.min(qEnd, msg.length) : 0;
    switch (Math.floor(r() * 8)) {
      case 0: {
        const i = at(from);
        if (i < msg.length) msg[i] = msg[i]! ^ (1 << Math.floor(r() * 8));
        break;
      }
      case 1: {
        const i = at(from);
        if (i < msg.length) msg[i] = Math.floor(r() * 256);
        break;
      }
      case 2:
        msg = msg.subarray(0, at(Math.min(qEnd, msg.length)));
        break;
      case 3:
        msg = Buffer.concat([msg, Buffer.from(Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256)))]);
        break;
      case 4: {
        const field = 6 + 2 * Math.floor(r() * 3);
        if (msg.length >= 12) msg.writeUInt16BE((msg.readUInt16BE(field) + (r() < 0.5 ? 1 : 0xffff)) & 0xffff, field);
        break;
      }
      case 5: {
        const i = at(from);
        msg = Buffer.concat([msg.subarray(0, i), Buffer.from([Math.floor(r() * 256)]), msg.subarray(i)]);
        break;
      }
      case 6: {
        // A compression pointer somewhere after the question.
        const i = at(from);
        if (i + 1 < msg.length) {
          msg[i] = 0xc0 | Math.floor(r() * 2);
          msg[i + 1] = Math.floor(r() * 256);
        }
        break;
      }
      default: {
        const i = at(from);
        msg = Buffer.concat([msg.subarray(0, i), msg.subarray(Math.min(msg.length, i + 1 + Math.floor(r() * 4)))]);
      }
    }
  }
  return { query: base.query, message: msg };
}

// ---- the reference reader -------------------------------------------------

class Malformed extends Error {}

function refName(msg: Buffer, offset: number, visited = new Set<number>(), depth = 0): { labels: string[]; next: number } {
  if (visited.has(offset) || depth > 128) throw new Malformed('pointer loop');
  visited.add(offset);
  if (offset >= msg.length) throw new Malformed('name past end');
  const len = msg[offset]!;
  if (len === 0) return { labels: [], next: offset + 1 };
  if (len >= 0xc0) {
    if (offset + 2 > msg.length) throw new Malformed('pointer past end');
    const target = ((len & 0x3f) << 8) | msg[offset + 1]!;
    return { labels: refName(msg, target, visited, depth + 1).labels, next: offset + 2 };
  }
  if (len > 63) throw new Malformed('label type');
  if (offset + 1 + len > msg.length) throw new Malformed('label past end');
  const label = msg.subarray(offset + 1, offset + 1 + len).toString('latin1').toLowerCase();
  const rest = refName(msg, offset + 1 + len, visited, depth + 1);
  const labels = [label, ...rest.labels];
  if (labels.reduce((n, l) => n + l.length + 1, 1) > 255) throw new Malformed('name too long');
  return { labels, next: rest.next };
}

const CODES: Record<number, string> = { 1: 'A', 5: 'CNAME', 6: 'SOA', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 46: 'RRSIG', 39: 'DNAME' };

export type Verdict = 'ok' | 'malformed' | 'foreign';

/** The reference: is `msg` well formed, and does every answer record belong to (name, qtype)? */
export function reference(msg: Buffer, name: string, qtype: string): Verdict {
  try {
    if (msg.length < 12) throw new Malformed('header');
    let pos = 12;
    for (let i = 0; i < msg.readUInt16BE(4); i++) {
      pos = refName(msg, pos).next + 4;
      if (pos > msg.length) throw new Malformed('question');
    }
    const answers: { owner: string; type: string; cls: number; target?: string }[] = [];
    const sections = [msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)];
    sections.forEach((count, section) => {
      for (let i = 0; i < count; i++) {
        const owner = refName(msg, pos);
        const head = owner.next;
        if (head + 10 > msg.length) throw new Malformed('record header');
        const type = CODES[msg.readUInt16BE(head)] ?? 'OTHER';
        const rdlength = msg.readUInt16BE(head + 8);
        const start = head + 10;
        const end = start + rdlength;
        if (end > msg.length) throw new Malformed('rdata past end');
        const nameAt = (o: number) => {
          const n = refName(msg, o);
          if (n.next !== end) throw new Malformed('rdata name length');
          return n.labels.join('.');
        };
        let target: string | undefined;
        if (type === 'A' && rdlength !== 4) throw new Malformed('A length');
        if (type === 'AAAA' && rdlength !== 16) throw new Malformed('AAAA length');
        if (type === 'CNAME' || type === 'DNAME') target = nameAt(start);
        if (type === 'MX') nameAt(start + 2);
        if (type === 'SRV') nameAt(start + 6);
        if (type === 'SOA') {
          const rname = refName(msg, refName(msg, start).next);
          if (rname.next + 20 !== end) throw new Malformed('SOA length');
        }
        if (type === 'TXT') {
          let p = start;
          if (rdlength === 0) throw new Malformed('empty TXT');
          while (p < end) p += 1 + msg[p]!;
          if (p !== end) throw new Malformed('TXT strings');
        }
        if (section === 0) answers.push({ owner: owner.labels.join('.'), type, cls: msg.readUInt16BE(head + 2), ...(target === undefined ? {} : { target }) });
        pos = end;
      }
    });
    if (pos !== msg.length) throw new Malformed('trailing bytes');
    const names = new Set([name.toLowerCase()]);
    for (let round = 0; round < answers.length; round++) {
      for (const a of answers) if (qtype !== 'CNAME' && a.type === 'CNAME' && names.has(a.owner) && a.target) names.add(a.target);
    }
    for (const a of answers) {
      if (a.cls !== 1) return 'foreign';
      if (a.type === 'DNAME' && [...names].some((n) => n.endsWith(`.${a.owner}`))) continue;
      if (!names.has(a.owner)) return 'foreign';
      if (a.type !== qtype && a.type !== 'RRSIG' && !(a.type === 'CNAME' && qtype !== 'CNAME')) return 'foreign';
    }
    return 'ok';
  } catch (error) {
    if (error instanceof Malformed || error instanceof RangeError) return 'malformed';
    throw error;
  }
}

export interface FuzzCounts {
  cases: number;
  /** Probe outcome (or mismatch reason) -> count. */
  probe: Record<string, number>;
  reference: Record<Verdict, number>;
  /** The property violations: probe success while the reference says malformed / foreign. */
  malformedSuccess: number;
  foreignSuccess: number;
  /** First few violating messages (hex), for a failure message. */
  examples: string[];
}

/** Runs `cases` mutated responses through the probe's own response judgement. */
export function runFuzz(seed: number, cases: number): FuzzCounts {
  const r = rng(seed);
  const bases = baseResponses();
  const counts: FuzzCounts = { cases, probe: {}, reference: { ok: 0, malformed: 0, foreign: 0 }, malformedSuccess: 0, foreignSuccess: 0, examples: [] };
  for (let i = 0; i < cases; i++) {
    const { query, message } = mutate(bases, r);
    const match = matchResponse(message, [query]);
    const outcome = typeof match === 'string' ? match : matchedOutcome(match);
    counts.probe[outcome] = (counts.probe[outcome] ?? 0) + 1;
    const verdict = reference(message, query.name, query.qtype);
    counts.reference[verdict]++;
    if (outcome === 'success' && verdict !== 'ok') {
      if (verdict === 'malformed') counts.malformedSuccess++;
      else counts.foreignSuccess++;
      if (counts.examples.length < 5) counts.examples.push(`${query.qtype} ${verdict}: ${message.toString('hex')}`);
    }
  }
  return counts;
}
