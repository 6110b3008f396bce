// Strict reading of a response's record sections, on the raw bytes, before an
// answer is believed. Two questions:
// 1. Is the message well formed? Every record inside the datagram, names with
//    backward-only compression pointers, RDATA lengths that fit their type (an
//    A record is 4 bytes), nothing after the last record. dns-packet alone
//    does not tell: it decodes A data past a short RDLENGTH and ignores
//    trailing bytes.
// 2. Does every answer record belong to the question? Its owner must be the
//    question name or a name the CNAME chain inside the answer leads to, its
//    class IN, its type the question's type (or CNAME, DNAME, RRSIG along the
//    chain). `attacker.example A 203.0.113.66` in an AAAA answer is not.

const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, DNAME: 39, RRSIG: 46 } as const;
const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TYPE).map(([k, v]) => [v, k]));
const CLASS_IN = 1;
const MAX_NAME_WIRE = 255;
/** Pointer hops allowed in one name: more is a loop or an attack. */
const MAX_HOPS = 64;

/** Why an answer record does not belong to the question. */
export type AnswerMismatch = 'owner' | 'type' | 'class';

export type AnswerCheck =
  | { ok: true }
  | { ok: false; malformed: string }
  | { ok: false; mismatch: AnswerMismatch; record: string };

interface NameRead {
  /** Lower-case labels joined by '.', dots and backslashes inside labels escaped. */
  name: string;
  /** Offset just after the name where it started (pointers followed elsewhere). */
  end: number;
}

/** Reads a name at `offset`; undefined when it is malformed. */
function readName(msg: Buffer, offset: number): NameRead | undefined {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let hops = 0;
  let wire = 0;
  for (;;) {
    if (pos >= msg.length) return undefined;
    const len = msg[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return undefined;
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      // Only backwards, into what was already read: no loops, no forward tricks.
      if (target >= pos || ++hops > MAX_HOPS) return undefined;
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) return undefined; // 0x40 / 0x80: extended label types, unused
    if (pos + 1 + len > msg.length) return undefined;
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE) return undefined;
    let label = '';
    for (let i = pos + 1; i <= pos + len; i++) {
      let c = msg[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      label += c === 0x2e ? '\\.' : c === 0x5c ? '\\\\' : String.fromCharCode(c);
    }
    labels.push(label);
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

/** Checks the RDATA of one record against its type; false = malformed. */
function rdataFits(msg: Buffer, type: number, start: number, length: number): boolean {
  const end = start + length;
  const nameFills = (at: number): boolean => readName(msg, at)?.end === end;
  switch (type) {
    case TYPE.A:
      return length === 4;
    case TYPE.AAAA:
      return length === 16;
    case TYPE.CNAME:
    case TYPE.NS:
    case TYPE.PTR:
    case TYPE.DNAME:
      return length > 0 && nameFills(start);
    case TYPE.MX:
      return length > 2 && nameFills(start + 2);
    case TYPE.SRV:
      return length > 6 && nameFills(start + 6);
    case TYPE.SOA: {
      const mname = readName(msg, start);
      const rname = mname && mname.end < end ? readName(msg, mname.end) : undefined;
      return rname !== undefined && rname.end + 20 === end;
    }
    case TYPE.TXT: {
      if (length === 0) return false;
      let pos = start;
      while (pos < end) pos += 1 + msg[pos]!;
      return pos === end;
    }
    default:
      return true;
  }
}

/** The question name as checkAnswer compares names (lower case, escaped labels). */
export function comparableName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function isBelow(name: string, ancestor: string): boolean {
  return ancestor === '' || name === ancestor || name.endsWith(`.${ancestor}`);
}

interface RecordRead {
  owner: string;
  type: number;
  cls: number;
  /** CNAME / DNAME target. */
  target?: string;
}

/**
 * Reads every record section of `msg` (question already matched) and checks
 * the answer section against (`qname`, `qtype`). `qname` in comparableName form.
 */
export function checkAnswer(msg: Buffer, qname: string, qtype: string): AnswerCheck {
  if (msg.length < 12) return { ok: false, malformed: 'shorter than a header' };
  const qd = msg.readUInt16BE(4);
  const counts = [msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)];
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    const q = readName(msg, pos);
    if (!q || q.end + 4 > msg.length) return { ok: false, malformed: 'question' };
    pos = q.end + 4;
  }
  const answers: RecordRead[] = [];
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const owner = readName(msg, pos);
      if (!owner || owner.end + 10 > msg.length) return { ok: false, malformed: `record ${i + 1} of section ${section + 1}: header` };
      const type = msg.readUInt16BE(owner.end);
      const cls = msg.readUInt16BE(owner.end + 2);
      const rdlength = msg.readUInt16BE(owner.end + 8);
      const rdata = owner.end + 10;
      if (rdata + rdlength > msg.length) return { ok: false, malformed: `record ${i + 1} of section ${section + 1}: RDATA past the end` };
      if (type !== TYPE.OPT && !rdataFits(msg, type, rdata, rdlength)) {
        return { ok: false, malformed: `record ${i + 1} of section ${section + 1}: RDATA does not fit type ${TYPE_NAMES[type] ?? type}` };
      }
      if (section === 0) {
        const r: RecordRead = { owner: owner.name, type, cls };
        if (type === TYPE.CNAME || type === TYPE.DNAME) r.target = readName(msg, rdata)!.name;
        answers.push(r);
      }
      pos = rdata + rdlength;
    }
  }
  if (pos !== msg.length) return { ok: false, malformed: `${msg.length - pos} bytes after the last record` };
  return checkOwners(answers, qname, qtype);
}

function checkOwners(answers: readonly RecordRead[], qname: string, qtype: string): AnswerCheck {
  const wanted = TYPE[qtype as keyof typeof TYPE];
  // The names the answer's CNAME chain (and DNAME substitutions) lead to.
  const chain = new Set([qname]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of answers) {
      if (r.type === TYPE.CNAME && r.target !== undefined && chain.has(r.owner) && !chain.has(r.target) && qtype !== 'CNAME') {
        chain.add(r.target);
        grew = true;
      }
    }
  }
  for (const r of answers) {
    const text = `${r.owner || '.'} ${TYPE_NAMES[r.type] ?? `TYPE${r.type}`}`;
    if (r.cls !== CLASS_IN) return { ok: false, mismatch: 'class', record: text };
    if (r.type === TYPE.DNAME) {
      // A DNAME sits at an ancestor of the name it rewrites (RFC 6672).
      if (![...chain].some((n) => n !== r.owner && isBelow(n, r.owner))) return { ok: false, mismatch: 'owner', record: text };
      continue;
    }
    if (!chain.has(r.owner)) return { ok: false, mismatch: 'owner', record: text };
    if (r.type === wanted || r.type === TYPE.RRSIG) continue;
    if (r.type === TYPE.CNAME && qtype !== 'CNAME') continue;
    return { ok: false, mismatch: 'type', record: text };
  }
  return { ok: true };
}
