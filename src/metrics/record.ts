// Probe kind -> recorder. Each kind adds one line here.
import { dnsRecorder } from './record-dns.ts';
import { icmpRecorder } from './record-icmp.ts';
import { tcpRecorder } from './record-tcp.ts';
import type { AnyRecorder } from './recorder.ts';

export const RECORDERS: Record<string, AnyRecorder> = {
  dns: dnsRecorder,
  tcp: tcpRecorder,
  icmp: icmpRecorder,
};
