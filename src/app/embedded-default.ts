// What `netprobe run` probes outside a cluster when no config is given: only
// netprobe's own DNS responder on 127.0.0.1, in every resolver mode, so the
// difference between modes (and the F1 stall with --fault) can be seen locally.

/** [probe name, transport, mode]: the four ways that tell the conntrack race from plain loss. */
const PROBES: readonly (readonly [string, 'udp' | 'tcp', string])[] = [
  ['dns-udp-parallel', 'udp', 'parallel'],
  ['dns-udp-sequential', 'udp', 'sequential'],
  ['dns-udp-reopen', 'udp', 'reopen'],
  ['dns-tcp', 'tcp', 'parallel'],
];

const probeYaml = ([name, transport, mode]: (typeof PROBES)[number]) => `  - name: ${name}
    kind: dns
    every: 10s
    servers: [embedded]
    targetKind: loopback
    names: [kubernetes.default.svc.cluster.local, example.com]
    transport: ${transport}
    mode: ${mode}
`;

export const EMBEDDED_DEFAULT_YAML = `# netprobe embedded default: probes only its own loopback DNS responder.
listen: 127.0.0.1:9810
embedded:
  dns:
    fault: none
probes:
${PROBES.map(probeYaml).join('')}`;
