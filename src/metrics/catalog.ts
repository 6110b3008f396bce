// The one list of instruments netprobe exports. Exporters (prom-client,
// OpenTelemetry) build their instruments from this table, so names, help,
// labels and buckets cannot drift between them. Every series also carries
// `source_node`, added by the exporters.

export type InstrumentType = 'counter' | 'gauge' | 'histogram';

export interface InstrumentSpec {
  name: string;
  type: InstrumentType;
  help: string;
  unit?: 's' | 'By' | '1';
  labels: readonly string[];
  buckets?: readonly number[];
}

/** Buckets that bracket the resolver timeout (5 s) so stalls land in their own band. */
export const DNS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 4.5, 5.5, 10] as const;
export const CONNECT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3, 5] as const;
export const RTT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;
export const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] as const;

// `name` makes every DNS series belong to exactly one target (server x name):
// removing a name from a probe then removes its series and resets no other.
const DNS_LABELS = ['probe', 'server', 'name', 'target_kind', 'transport', 'mode', 'qtype', 'name_class'] as const;
const DNS_LOOKUP_LABELS = ['probe', 'server', 'name', 'target_kind', 'transport', 'mode', 'name_class'] as const;
const TCP_LABELS = ['probe', 'target', 'target_kind', 'target_node'] as const;
const ICMP_LABELS = ['probe', 'target', 'target_node', 'size'] as const;
const PATH_LABELS = ['probe', 'target', 'target_node'] as const;

export const INSTRUMENTS = {
  dnsLookupDuration: {
    name: 'netprobe_dns_lookup_duration_seconds',
    type: 'histogram',
    help: 'Time from the start of a lookup to the final answer for one query type, resolver retries included.',
    unit: 's',
    labels: DNS_LABELS,
    buckets: DNS_BUCKETS,
  },
  dnsLookups: {
    name: 'netprobe_dns_lookups_total',
    type: 'counter',
    help:
      'DNS queries completed (per query type), by outcome: success, nxdomain, servfail, refused, timeout, malformed, network_error, port_unreachable (ICMP: nothing listens on the UDP port), wrong_answer (a record for another name, type or class).',
    labels: [...DNS_LABELS, 'result'],
  },
  dnsStalled: {
    name: 'netprobe_dns_stalled_lookups_total',
    type: 'counter',
    help: 'Lookups answered only after at least one resolver timeout: the 5-second stall users feel.',
    labels: DNS_LOOKUP_LABELS,
  },
  dnsAttemptTimeouts: {
    name: 'netprobe_dns_attempt_timeouts_total',
    type: 'counter',
    help: 'Single query attempts that got no answer within the per-attempt timeout.',
    labels: DNS_LOOKUP_LABELS,
  },
  dnsQueriesPerLookup: {
    name: 'netprobe_dns_queries_per_lookup',
    type: 'histogram',
    help: 'Queries one lookup sent: one per name tried (search list, ndots) and query type, resends not counted. The search-path amplification.',
    labels: DNS_LOOKUP_LABELS,
    buckets: [1, 2, 3, 4, 6, 8, 10, 12],
  },
  dnsMismatched: {
    name: 'netprobe_dns_mismatched_responses_total',
    type: 'counter',
    help: 'Datagrams ignored because id, question, QR bit or source did not match (or did not decode).',
    labels: ['probe', 'server', 'name', 'reason'],
  },
  dnsTcpFallbacks: {
    name: 'netprobe_dns_tcp_fallbacks_total',
    type: 'counter',
    help: 'Truncated UDP answers retried over TCP.',
    labels: ['probe', 'server', 'name'],
  },
  tcpConnectDuration: {
    name: 'netprobe_tcp_connect_duration_seconds',
    type: 'histogram',
    help: 'Time from SYN to established for successful TCP connects.',
    unit: 's',
    labels: TCP_LABELS,
    buckets: CONNECT_BUCKETS,
  },
  tcpConnects: {
    name: 'netprobe_tcp_connects_total',
    type: 'counter',
    help: 'TCP connect attempts, by result (connected, refused, timeout, unreachable, error; with tls also tls_untrusted, tls_error).',
    labels: [...TCP_LABELS, 'result'],
  },
  tlsHandshakeDuration: {
    name: 'netprobe_tls_handshake_duration_seconds',
    type: 'histogram',
    help: 'Time from established to a verified TLS handshake, for tcp probes with `tls` (e.g. the API server Service VIP).',
    unit: 's',
    labels: TCP_LABELS,
    buckets: CONNECT_BUCKETS,
  },
  icmpRtt: {
    name: 'netprobe_icmp_rtt_seconds',
    type: 'histogram',
    help: 'ICMP echo round-trip time with the Don\'t Fragment bit set, per IP packet size.',
    unit: 's',
    labels: ICMP_LABELS,
    buckets: RTT_BUCKETS,
  },
  icmpRequests: {
    name: 'netprobe_icmp_requests_total',
    type: 'counter',
    help: 'ICMP echo requests sent, per IP packet size.',
    labels: ICMP_LABELS,
  },
  icmpReplies: {
    name: 'netprobe_icmp_replies_total',
    type: 'counter',
    help: 'ICMP echo replies received, per IP packet size (loss = 1 - replies/requests).',
    labels: ICMP_LABELS,
  },
  pathMtu: {
    name: 'netprobe_path_mtu_bytes',
    type: 'gauge',
    help: 'Largest IP packet (headers included) answered with DF set on the last sweep.',
    unit: 'By',
    labels: PATH_LABELS,
  },
  pathMtuExpected: {
    name: 'netprobe_path_mtu_expected_bytes',
    type: 'gauge',
    help: 'Path MTU the configuration expects for this path.',
    unit: 'By',
    labels: PATH_LABELS,
  },
  interfaceMtu: {
    name: 'netprobe_interface_mtu_bytes',
    type: 'gauge',
    help: 'MTU of this host\'s interface on the route to the target (main routing table); above netprobe_path_mtu_bytes means the pod sends larger packets than the path carries.',
    unit: 'By',
    labels: PATH_LABELS,
  },
  pathFirstBadHop: {
    name: 'netprobe_path_first_bad_hop',
    type: 'gauge',
    help: 'TTL of the first bad hop found by the trace made when this target started failing or its MTU ceiling dropped (reason: loss, unreachable, no_reply_beyond, mtu, blackhole); absent when the last trace found the path clean.',
    labels: [...PATH_LABELS, 'reason'],
  },
  pathTraces: {
    name: 'netprobe_path_traces_total',
    type: 'counter',
    help: 'Traces on failure, by trigger (failing, ceiling_drop) and result (done, error, rate_limited, busy).',
    labels: ['probe', 'trigger', 'result'],
  },
  pathMtuBlackhole: {
    name: 'netprobe_path_mtu_blackhole',
    type: 'gauge',
    help: '1 when sizes above the ceiling vanish without a fragmentation-needed reply (PMTU black hole).',
    labels: PATH_LABELS,
  },
  probeSuccess: {
    name: 'netprobe_probe_success',
    type: 'gauge',
    help: '1 if the last run of this probe against this target succeeded, else 0 (DNS: per server and name).',
    labels: ['probe', 'target', 'target_kind', 'name', 'name_class'],
  },
  probeRuns: {
    name: 'netprobe_probe_runs_total',
    type: 'counter',
    help: 'Probe runs, by result (success or the failure reason).',
    labels: ['probe', 'result'],
  },
  probeSkipped: {
    name: 'netprobe_probe_skipped_total',
    type: 'counter',
    help: 'Runs skipped, by reason (overlap: the previous run of the same target was still going; fd_exhausted, daemon_stalled: a failed run not reported because the daemon itself was short of fds or CPU).',
    labels: ['probe', 'reason'],
  },
  scheduleLag: {
    name: 'netprobe_schedule_lag_seconds',
    type: 'histogram',
    help: 'Delay between when a run was due and when it started (event-loop or concurrency pressure).',
    unit: 's',
    labels: ['probe'],
    buckets: LAG_BUCKETS,
  },
  nodeCreated: {
    name: 'netprobe_node_created_timestamp_seconds',
    type: 'gauge',
    help: 'Creation time of the node this probe pod runs on (from the Node object).',
    unit: 's',
    labels: [],
  },
  nodeReady: {
    name: 'netprobe_node_ready',
    type: 'gauge',
    help: '1 while the Ready condition of the node this probe pod runs on is True (from the Node object).',
    labels: [],
  },
  nodeInfo: {
    name: 'netprobe_node_info',
    type: 'gauge',
    help: 'Always 1; the zone label of the node this probe pod runs on.',
    labels: ['zone'],
  },
  peerReady: {
    name: 'netprobe_peer_ready',
    type: 'gauge',
    help: 'Readiness of each peer pod this pod probes (EndpointSlice serving condition); not-ready peers are still probed.',
    labels: ['target', 'target_node'],
  },
  discoveryErrors: {
    name: 'netprobe_discovery_errors_total',
    type: 'counter',
    help: 'Failed Kubernetes API lists and watches, by watched resource and reason; the last known targets stay probed meanwhile.',
    labels: ['resource', 'reason'],
  },
  discoveryWatching: {
    name: 'netprobe_discovery_watching',
    type: 'gauge',
    help: '1 while the watch of this resource is open, 0 while it is retrying (targets are then the last known ones).',
    labels: ['resource'],
  },
  targets: {
    name: 'netprobe_targets',
    type: 'gauge',
    help: 'Targets currently probed, per probe and target kind.',
    labels: ['probe', 'target_kind'],
  },
  verdict: {
    name: 'netprobe_verdict',
    type: 'gauge',
    help: 'This node\'s verdicts (docs/diagnosis.md): 1 while failure mode `failure` holds; target="" for the mode as a whole (0 when healthy).',
    labels: ['failure', 'target'],
  },
  verdictSince: {
    name: 'netprobe_verdict_since_timestamp_seconds',
    type: 'gauge',
    help: 'When the verdict that holds now started (Unix seconds); present only while it holds.',
    unit: 's',
    labels: ['failure', 'target'],
  },
  daemonErrors: {
    name: 'netprobe_daemon_errors_total',
    type: 'counter',
    help: 'Problems of the daemon itself, not of the network, each skipping a run instead of reporting it (fd_exhausted: no socket to be had; event_loop_stalled: the process stood still >= 1 s during a failed run).',
    labels: ['reason'],
  },
  configLastReloadSuccessful: {
    name: 'netprobe_config_last_reload_successful',
    type: 'gauge',
    help: '1 if the last configuration load (start, SIGHUP, discovery change) succeeded, 0 if it failed and the previous config is still running.',
    labels: [],
  },
  configLastReloadSuccessTimestamp: {
    name: 'netprobe_config_last_reload_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last successful configuration load.',
    unit: 's',
    labels: [],
  },
  buildInfo: {
    name: 'netprobe_build_info',
    type: 'gauge',
    help: 'Always 1; labels carry the netprobe version and the runtime.',
    labels: ['version', 'runtime'],
  },
} as const satisfies Record<string, InstrumentSpec>;

export type InstrumentKey = keyof typeof INSTRUMENTS;
export type Labels = Record<string, string>;

/**
 * Where measurements go. One implementation per exporter; the recorder fans
 * out to all of them, so every exporter sees the same values.
 */
export interface MetricSink {
  add(key: InstrumentKey, labels: Labels, value?: number): void;
  set(key: InstrumentKey, labels: Labels, value: number): void;
  observe(key: InstrumentKey, labels: Labels, value: number): void;
  /** Drop every series of `key` whose labels include all of `match` (stale targets). */
  remove(key: InstrumentKey, match: Labels): void | Promise<void>;
}
