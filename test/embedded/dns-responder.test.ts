import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsResponder } from '../../src/embedded/dns-responder.ts';

const query = (id: number, name: string, type: 'A' | 'AAAA') =>
  dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });

/** Sends queries from one socket (one flow) with `gapMs` between them; collects answers for `waitMs`. */
async function exchange(port: number, messages: Buffer[], gapMs: number, waitMs: number): Promise<dnsPacket.DecodedPacket[]> {
  const socket = dgram.createSocket('udp4');
  const answers: dnsPacket.DecodedPacket[] = [];
  socket.on('message', (m) => answers.push(dnsPacket.decode(m)));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  for (const message of messages) {
    socket.send(message, port, '127.0.0.1');
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  await new Promise((r) => setTimeout(r, waitMs));
  socket.close();
  return answers;
}

let responder: DnsResponder | undefined;
afterEach(async () => {
  await responder?.stop();
  responder = undefined;
});

describe('embedded DNS responder', () => {
  it('answers A and AAAA, NXDOMAIN inside its zones and REFUSED outside', async () => {
    responder = new DnsResponder({ port: 0, fault: 'none', answerDelayMs: 0 });
    const { port } = await responder.start();
    const answers = await exchange(
      port,
      [
        query(1, 'kubernetes.default.svc.cluster.local', 'A'),
        query(2, 'kubernetes.default.svc.cluster.local', 'AAAA'),
        query(3, 'missing.svc.cluster.local', 'A'),
        query(4, 'elsewhere.invalid', 'A'),
      ],
      0,
      100,
    );
    const byId = new Map(answers.map((a) => [a.id, a]));
    expect(byId.get(1)?.answers?.[0]).toMatchObject({ type: 'A', data: '127.0.0.1' });
    expect(byId.get(2)?.answers?.[0]).toMatchObject({ type: 'AAAA', data: '::1' });
    expect((byId.get(3) as { rcode?: string } | undefined)?.rcode).toBe('NXDOMAIN');
    expect((byId.get(4) as { rcode?: string } | undefined)?.rcode).toBe('REFUSED');
  });

  it('answers over TCP with length framing on the same port', async () => {
    responder = new DnsResponder({ port: 0, fault: 'none', answerDelayMs: 0 });
    const { port } = await responder.start();
    const socket = net.connect(port, '127.0.0.1');
    socket.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'example.com', class: 'IN' }] }));
    const reply = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.destroy();
    const decoded = dnsPacket.streamDecode(reply);
    expect(decoded.id).toBe(7);
    expect(decoded.answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.1' });
  });

  it('with conntrack-race drops the second query of a flow sent before the first answer', async () => {
    responder = new DnsResponder({ port: 0, fault: 'conntrack-race', answerDelayMs: 20 });
    const { port } = await responder.start();
    const name = 'kubernetes.default.svc.cluster.local';
    // Back to back from one socket (glibc parallel A+AAAA): AAAA is lost.
    const parallel = await exchange(port, [query(10, name, 'A'), query(11, name, 'AAAA')], 0, 100);
    expect(parallel.map((a) => a.id)).toEqual([10]);
    expect(responder.dropped).toBe(1);
    // Sequential on one socket (wait for the answer first): nothing is lost.
    const sequential = await exchange(port, [query(20, name, 'A'), query(21, name, 'AAAA')], 60, 100);
    expect(sequential.map((a) => a.id).sort()).toEqual([20, 21]);
    expect(responder.dropped).toBe(1);
  });

  it('without the fault answers both back-to-back queries', async () => {
    responder = new DnsResponder({ port: 0, fault: 'none', answerDelayMs: 20 });
    const { port } = await responder.start();
    const name = 'kubernetes.default.svc.cluster.local';
    const answers = await exchange(port, [query(30, name, 'A'), query(31, name, 'AAAA')], 0, 100);
    expect(answers.map((a) => a.id).sort()).toEqual([30, 31]);
  });
});
