// A fake ICMP engine at the prober's seam: a path of hops with MTUs, each of
// which either answers "fragmentation needed" or drops silently (black hole).
import type { EchoOutcome, IcmpPinger } from '../../src/native/icmp.ts';

export interface FakeHop {
  addr: string;
  /** Largest IP packet this hop forwards. */
  mtu: number;
  /** false: oversize packets vanish (frag-needed filtered). */
  fragNeeded: boolean;
}

export interface FakePathOptions {
  hops: FakeHop[];
  /** Outgoing interface MTU: larger sizes fail locally at once. */
  localMtu: number;
  rttMs?: number;
  /** Drop this request (n counts requests of this size from 0). */
  lose?: (size: number, n: number) => boolean;
}

export class FakePath implements IcmpPinger {
  readonly mode = 'raw' as const;
  readonly sent: number[] = [];
  readonly #opts: FakePathOptions;
  readonly #perSize = new Map<number, number>();

  constructor(opts: FakePathOptions) {
    this.#opts = opts;
  }

  echo(_addr: string, size: number, timeoutMs: number, signal?: AbortSignal): Promise<EchoOutcome> {
    const { hops, localMtu, rttMs = 1, lose } = this.#opts;
    if (size > localMtu) return Promise.resolve({ kind: 'local_too_big', localMtu });
    this.sent.push(size);
    const n = this.#perSize.get(size) ?? 0;
    this.#perSize.set(size, n + 1);
    const blocker = hops.find((h) => size > h.mtu);
    let outcome: EchoOutcome;
    let after = rttMs;
    if (lose?.(size, n) || (blocker && !blocker.fragNeeded)) {
      outcome = { kind: 'timeout' };
      after = timeoutMs;
    } else if (blocker) {
      outcome = { kind: 'frag_needed', hop: blocker.addr, mtu: blocker.mtu };
    } else {
      outcome = { kind: 'reply', rttMs, bytes: size };
    }
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve({ kind: 'aborted' });
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      }, after);
      const onAbort = () => {
        clearTimeout(timer);
        resolve({ kind: 'aborted' });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Client at 1500, a router whose far side is at `mtu`. */
export function routerPath(mtu: number, fragNeeded: boolean, extra: Partial<FakePathOptions> = {}): FakePath {
  return new FakePath({ hops: [{ addr: '198.18.0.1', mtu: 1500, fragNeeded: true }, { addr: '198.18.1.1', mtu, fragNeeded }], localMtu: 1500, ...extra });
}
