// Discovery events -> instruments: API errors, watch state, this node's
// Node object, and the readiness of the peers this pod probes. Peer series
// are removed when the peer leaves this pod's share, so pod churn leaves no
// stale series behind.
import type { Discovery } from '../targets/kubernetes/discovery.ts';
import type { DiscoveredPeer } from '../targets/types.ts';
import type { Labels, MetricSink } from './catalog.ts';

function peerLabels(p: DiscoveredPeer): Labels {
  return { target: p.label, target_node: p.node };
}

/** Subscribes the sink to a running discovery; returns the unsubscribe function. */
export function attachDiscoveryMetrics(sink: MetricSink, discovery: Discovery): () => void {
  const offs: (() => void)[] = [];
  for (const s of discovery.status()) sink.set('discoveryWatching', { resource: s.resource }, s.watching ? 1 : 0);
  offs.push(discovery.onError((resource, reason) => sink.add('discoveryErrors', { resource, reason })));
  offs.push(discovery.onWatching((resource, watching) => sink.set('discoveryWatching', { resource }, watching ? 1 : 0)));

  let zone: string | undefined;
  const onNode = () => {
    const node = discovery.node.current()[0];
    // Kept as last known when the Node vanishes from a watch: the pod is still on it.
    if (!node) return;
    sink.set('nodeCreated', {}, node.createdSeconds);
    sink.set('nodeReady', {}, node.ready ? 1 : 0);
    if (zone !== undefined && zone !== node.zone) void sink.remove('nodeInfo', { zone });
    zone = node.zone;
    sink.set('nodeInfo', { zone }, 1);
  };
  offs.push(discovery.node.onChange(onNode));
  onNode();

  let known = new Map<string, DiscoveredPeer>();
  const onPeers = () => {
    const now = new Map(discovery.peers.current().map((p) => [p.id, p]));
    for (const [id, old] of known) {
      const cur = now.get(id);
      if (!cur || cur.node !== old.node || cur.label !== old.label) void sink.remove('peerReady', peerLabels(old));
    }
    for (const p of now.values()) sink.set('peerReady', peerLabels(p), p.ready ? 1 : 0);
    known = now;
  };
  offs.push(discovery.peers.onChange(onPeers));
  onPeers();

  return () => {
    for (const off of offs) off();
  };
}
