// Answers must belong to the question: a record for another owner name, type
// or class makes the query `wrong_answer` (over UDP and TCP alike), a CNAME
// chain inside the answer is followed, and a record whose RDATA does not fit
// its type is not an answer at all (undecodable).
import { encode, type Answer, type DecodedPacket, type RecordType } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { lookup } from './helpers.ts';
import { TestServer } from './test-server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function reply(query: DecodedPacket, answers: (q: { name: string; type: string }) => Answer[]): Buffer {
  const q = query.questions![0]!;
  return encode({
    id: query.id!,
    type: 'response',
    flags: 0x0180,
    questions: [{ name: q.name, type: q.type as RecordType, class: 'IN' }],
    answers: answers(q),
  });
}

const ATTACKER = (): Answer[] => [{ name: 'attacker.example', type: 'A', class: 'IN', ttl: 30, data: '203.0.113.66' }];

describe('answer validation', () => {
  it.each(['udp', 'tcp'] as const)('%s: AAAA answered with "attacker.example A 203.0.113.66" is wrong_answer (owner), never success', async (transport) => {
    const frames = (query: DecodedPacket) => [reply(query, (q) => (q.type === 'AAAA' ? ATTACKER() : [{ name: q.name, type: 'A', class: 'IN', ttl: 30, data: '192.0.2.7' }]))];
    server = await TestServer.startTcp(frames, {}, (query, _raw, from, s) => s.reply(from, frames(query)[0]!));
    const r = await lookup(server.port, 'www.netprobe.test', { transport });
    expect(r.outcome).toBe('wrong_answer');
    expect(r.queries.map((q) => [q.qtype, q.outcome, q.answerMismatch])).toEqual([
      ['A', 'success', undefined],
      ['AAAA', 'wrong_answer', 'owner'],
    ]);
    expect(r.error).toBe('AAAA: answer record "attacker.example A" does not belong to www.netprobe.test AAAA (owner)');
  });

  it('a record of another type at the question name: wrong_answer (type)', async () => {
    server = await TestServer.start((query, _raw, from, s) =>
      s.reply(from, reply(query, (q) => [{ name: q.name, type: 'A', class: 'IN', ttl: 30, data: '192.0.2.7' }])),
    );
    const r = await lookup(server.port, 'www.netprobe.test', { mode: 'single', qtypes: ['AAAA'] });
    expect(r.queries[0]).toMatchObject({ outcome: 'wrong_answer', answerMismatch: 'type' });
  });

  it('a CNAME chain inside the answer is followed: success; a chain that ends elsewhere is not', async () => {
    server = await TestServer.start((query, _raw, from, s) =>
      s.reply(
        from,
        reply(query, (q) =>
          q.name.startsWith('good')
            ? [
                { name: q.name, type: 'CNAME', class: 'IN', ttl: 30, data: 'b.netprobe.test' },
                { name: 'B.netprobe.test', type: 'CNAME', class: 'IN', ttl: 30, data: 'c.netprobe.test' },
                { name: 'c.netprobe.test', type: 'A', class: 'IN', ttl: 30, data: '192.0.2.9' },
              ]
            : [
                { name: q.name, type: 'CNAME', class: 'IN', ttl: 30, data: 'b.netprobe.test' },
                { name: 'elsewhere.example', type: 'A', class: 'IN', ttl: 30, data: '203.0.113.66' },
              ],
        ),
      ),
    );
    const good = await lookup(server.port, 'good.netprobe.test', { mode: 'single' });
    expect(good.outcome).toBe('success');
    expect(good.queries[0]!.answers).toEqual(['CNAME b.netprobe.test', 'CNAME c.netprobe.test', '192.0.2.9']);
    const bad = await lookup(server.port, 'bad.netprobe.test', { mode: 'single' });
    expect(bad.queries[0]).toMatchObject({ outcome: 'wrong_answer', answerMismatch: 'owner' });
  });

  it('an A record with 3 bytes of RDATA is undecodable, not an answer: the lookup ends malformed', async () => {
    server = await TestServer.start((query, _raw, from, s) => {
      const msg = reply(query, (q) => [{ name: q.name, type: 'A', class: 'IN', ttl: 30, data: '192.0.2.7' }]);
      // RDLENGTH 4 -> 3 and the message one byte shorter: dns-packet alone reads "192.0.2.undefined".
      msg.writeUInt16BE(3, msg.length - 6);
      s.reply(from, msg.subarray(0, msg.length - 1));
    });
    const r = await lookup(server.port, 'www.netprobe.test', { mode: 'single', timeoutMs: 200, attempts: 1 });
    expect(r.outcome).toBe('malformed');
    expect(r.mismatched.undecodable).toBe(1);
  });
});
