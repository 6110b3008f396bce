// Target types shared by every target source (static config, resolv.conf,
// Kubernetes discovery). A source is a live set: the daemon reads current()
// and re-expands the probes that use it when onChange fires. Ids are stable for as long
// as the thing they name exists, so the daemon can diff two sets and remove
// the metric series of targets that left.
import type { TargetInfo } from '../probes/types.ts';

export interface TargetSource<T> {
  /** The set as last known; kept unchanged while its source is unreachable. */
  current(): readonly T[];
  /** Called after every change of current(); returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/**
 * The live targets of a config's probes, by probe name: a probe that lists
 * discovered targets gets its current form (`P`, targets filled in) from here,
 * and onChange names the probes whose sources changed, so the daemon
 * re-expands those alone and the config is not loaded again.
 */
export interface ProbeSources<P> {
  /** Names of the probes whose targets come from here. */
  readonly probes: ReadonlySet<string>;
  /** The probe as its targets stand now; undefined while it has none (it runs nothing and waits). Throws when it no longer validates. */
  current(probe: string): P | undefined;
  /** Called with the probes whose sources changed (a burst of changes may come as one call); returns an unsubscribe function. */
  onChange(listener: (probes: ReadonlySet<string>) => void): () => void;
}

/** A DNS server found through discovery: the Service VIP or one ready CoreDNS pod. */
export interface DiscoveredDnsServer extends TargetInfo {
  /** `service_vip` or `endpoint`. */
  kind: 'service_vip' | 'endpoint';
  server: { host: string; port: number };
}

/** One netprobe pod on another node, as listed in the headless Service's EndpointSlices. */
export interface DiscoveredPeer extends TargetInfo {
  kind: 'peer';
  /** Pod IP. */
  ip: string;
  /** Pod name, when the EndpointSlice names it ("" otherwise). */
  pod: string;
  /**
   * EndpointSlice `ready` condition. A pod on a node that joined broken may
   * never become ready: it is still probed, and this says so.
   */
  ready: boolean;
}

/** The Node object of the node this pod runs on. */
export interface NodeInfo {
  name: string;
  /** metadata.creationTimestamp as seconds since the epoch. */
  createdSeconds: number;
  /** topology.kubernetes.io/zone label ("" when absent). */
  zone: string;
  /** The Ready condition is True. */
  ready: boolean;
}

/** A listenable holder of one value set. */
export class MutableSource<T> implements TargetSource<T> {
  #items: readonly T[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #same: (a: readonly T[], b: readonly T[]) => boolean;

  constructor(same: (a: readonly T[], b: readonly T[]) => boolean = (a, b) => JSON.stringify(a) === JSON.stringify(b)) {
    this.#same = same;
  }

  current(): readonly T[] {
    return this.#items;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces the set; listeners run only when it really changed. */
  set(items: readonly T[]): boolean {
    if (this.#same(this.#items, items)) return false;
    this.#items = items;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch {
        // A listener's bug must not stop the others or the watch loop.
      }
    }
    return true;
  }
}
