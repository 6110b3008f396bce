// `netprobe trace` over a real three-hop namespace path (client -> r1 -> r2 ->
// far) where the middle hop r2 lowers the MTU to 1400, drops packets, or
// filters its frag-needed: each fault traced to hop 2 exactly, by the CLI
// as a user runs it, inside the client namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHopLab, clearMiddleHopFault, Lab, netprobeArgv, requireLab, runNetprobe, setMiddleHopFault, type HopLab } from './harness/index.ts';

const labAvailable = requireLab();
const FAST = ['-c', '3', '-i', '50ms', '--timeout', '300ms'];

interface HopJson {
  hop: number;
  address: string | null;
  sent: number;
  received: number;
  loss: number;
  rtt_p50_ms: number | null;
  rtt_p90_ms: number | null;
  mtu: { reported: number | null; ceiling: number; blackhole: boolean } | null;
}

describe.skipIf(!labAvailable)('netprobe trace through client -> r1 -> r2 -(1400)- far', () => {
  let lab: Lab;
  let h: HopLab;

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    h = await buildHopLab(lab, { midMtu: 1400 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  async function trace(args: string[]) {
    const r = await runNetprobe(lab, h.clientNs, ['trace', ...args, '--json'], { allowFailure: true });
    return { code: r.code, out: JSON.parse(r.stdout) as { hops: HopJson[]; [k: string]: unknown }, stderr: r.stderr };
  }

  it('ICMP: the three hops in order, no loss, RTTs, and hop 2 reporting mtu 1400', async () => {
    const { code, out } = await trace([h.farIp, ...FAST]);
    expect(code).toBe(0);
    expect(out.hops.map((x) => x.address)).toEqual(h.hops);
    expect(out).toMatchObject({ reached: true, destination_hop: 3, first_bad_hop: null, rounds: 3 });
    for (const hop of out.hops) {
      expect(hop).toMatchObject({ sent: 3, received: 3, loss: 0 });
      expect(hop.rtt_p50_ms).toBeGreaterThan(0);
      expect(hop.rtt_p90_ms).toBeGreaterThanOrEqual(hop.rtt_p50_ms!);
    }
    expect(out.hops[1]!.mtu).toEqual({ reported: 1400, ceiling: 1400, blackhole: false });
    expect(out.hops[0]!.mtu).toBeNull();
    expect(out.path_mtu).toMatchObject({ ceiling_bytes: 1400, first_failing_bytes: 1401, blackhole: false, hop: 2 });
  });

  it('UDP (--udp): the same hops, the destination answering port unreachable', async () => {
    const { code, out } = await trace([h.farIp, ...FAST, '--udp', '--no-mtu']);
    expect(code).toBe(0);
    expect(out.hops.map((x) => x.address)).toEqual(h.hops);
    expect(out).toMatchObject({ protocol: 'udp', reached: true, destination_hop: 3, path_mtu: null });
    expect(out.hops.every((x) => x.loss === 0)).toBe(true);
  });

  it('an unprivileged datagram ICMP socket (ping_group_range) traces the same hops', async () => {
    // Datagram sockets return a pending ICMP error from the next sendto():
    // the engine must drain it and still send every TTL of the round.
    await lab.sysctl(h.clientNs, 'net.ipv4.ping_group_range', '0 0');
    try {
      const { code, out } = await trace([h.farIp, ...FAST, '--socket', 'dgram']);
      expect(code).toBe(0);
      expect(out.hops.map((x) => x.address)).toEqual(h.hops);
      expect(out.hops.every((x) => x.loss === 0)).toBe(true);
      expect(out.hops[1]!.mtu).toEqual({ reported: 1400, ceiling: 1400, blackhole: false });
    } finally {
      await lab.sysctl(h.clientNs, 'net.ipv4.ping_group_range', '1 0');
    }
  });

  it('the middle hop drops every 3rd packet: loss starts at hop 2, hop 1 clean', async () => {
    await setMiddleHopFault(h, { lossEvery: 3 });
    try {
      const { code, out } = await trace([h.farIp, '-c', '6', '-i', '20ms', '--timeout', '300ms', '--no-mtu']);
      expect(code).toBe(0);
      expect(out).toMatchObject({ reached: true, first_bad_hop: 2, bad_hop_reason: 'loss' });
      expect(out.hops[0]!.loss).toBe(0);
      expect(out.hops[1]!.loss).toBeGreaterThan(0);
      expect(out.hops[2]!.loss).toBeGreaterThan(0);
    } finally {
      await clearMiddleHopFault(h);
    }
  });

  it('the middle hop filters its frag-needed: black hole placed at hop 2', async () => {
    await setMiddleHopFault(h, { silentTooBig: true });
    try {
      const { code, out } = await trace([h.farIp, '-c', '2', '-i', '20ms', '--timeout', '300ms']);
      expect(code).toBe(0);
      expect(out.hops[1]!.mtu).toEqual({ reported: null, ceiling: 1400, blackhole: true });
      expect(out.path_mtu).toMatchObject({ ceiling_bytes: 1400, blackhole: true, hop: 2, frag_needed: [] });
    } finally {
      await clearMiddleHopFault(h);
    }
  });

  it('piped text: one line per round, the table and the summary naming hop 2', async () => {
    const r = await runNetprobe(lab, h.clientNs, ['trace', h.farIp, ...FAST]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^round 1\/3: 1 198\.18\.10\.2 0%, 2 198\.18\.11\.2 0%, 3 198\.18\.12\.2 0%$/m);
    expect(r.stdout).toMatch(/^ {2}2\. 198\.18\.11\.2 +0\.0% +3 +3 .* mtu 1400 \(reported\)$/m);
    expect(r.stdout).toMatch(/destination 198\.18\.12\.2 reached at hop 3/);
    expect(r.stdout).toMatch(/path MTU: 1400 bytes, lowered at hop 2 \(198\.18\.11\.2\)/);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no cursor movement when not a TTY
  });

  it('on a terminal: a live table redrawn after each round (cursor up, clear), then the final one', async () => {
    // script(1) gives the CLI a pseudo-terminal, as an interactive shell would.
    const cmd = netprobeArgv(['trace', h.farIp, '-c', '3', '-i', '50ms', '--timeout', '300ms', '--no-mtu']).join(' ');
    const r = await lab.exec(h.clientNs, ['script', '-qec', cmd, '/dev/null'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/round 1\/3/);
    expect(r.stdout).toMatch(/\x1b\[\d+A\x1b\[J/);
    expect(r.stdout).not.toMatch(/^round 1\/3: /m); // no piped-style lines on a TTY
    expect(r.stdout).toMatch(/destination 198\.18\.12\.2 reached at hop 3/);
  });

  it('r2 silently drops what it would forward: exit 1, answers stop after hop 2', async () => {
    await setMiddleHopFault(h, { forward: 'drop' });
    try {
      const { code, out } = await trace([h.farIp, '-c', '1', '--timeout', '300ms', '-m', '4']);
      expect(code).toBe(1);
      expect(out).toMatchObject({ reached: false, destination_hop: null, first_bad_hop: 3, bad_hop_reason: 'no_reply_beyond' });
      expect(out.hops.map((x) => x.address)).toEqual([h.hops[0], h.hops[1], null]) // the first silent TTL, not all 4;
    } finally {
      await clearMiddleHopFault(h);
    }
  });

  it('r2 rejects with host-unreachable: exit 1, the trace stops at hop 3 with r2 as the sender', async () => {
    await setMiddleHopFault(h, { forward: 'reject' });
    try {
      const { code, out } = await trace([h.farIp, '-c', '1', '--timeout', '300ms', '-m', '6']);
      expect(code).toBe(1);
      expect(out).toMatchObject({ reached: false, first_bad_hop: 3, bad_hop_reason: 'unreachable' });
      expect(out.hops.map((x) => x.address)).toEqual([h.hops[0], h.hops[1], h.hops[1]]);
      expect(out.hops[2]).toMatchObject({ errors: ['3/1'] });
    } finally {
      await clearMiddleHopFault(h);
    }
  });

  it('a host name is a usage error (exit 2, names HOST); no lookup is made', async () => {
    const r = await runNetprobe(lab, h.clientNs, ['trace', 'far.example'], { allowFailure: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/netprobe trace: HOST: expected an IPv4 or IPv6 address, got "far\.example"/);
  });
});
