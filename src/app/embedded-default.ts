// What `netprobe run` probes outside a cluster when no config is given: only
// netprobe's own DNS responder on 127.0.0.1, in every resolver mode, so the
// difference between modes (and the F1 stall with --fault) can be seen locally.
export const EMBEDDED_DEFAULT_YAML = `# netprobe embedded default: probes only its own loopback DNS responder.
listen: 127.0.0.1:9810
embedded:
  dns:
    fault: none
probes:
  - name: dns-udp-parallel
    kind: dns
    every: 10s
    servers: [embedded]
    targetKind: loopback
    names: [kubernetes.default.svc.cluster.local, example.com]
    transport: udp
    mode: parallel
  - name: dns-udp-sequential
    kind: dns
    every: 10s
    servers: [embedded]
    targetKind: loopback
    names: [kubernetes.default.svc.cluster.local, example.com]
    transport: udp
    mode: sequential
  - name: dns-udp-reopen
    kind: dns
    every: 10s
    servers: [embedded]
    targetKind: loopback
    names: [kubernetes.default.svc.cluster.local, example.com]
    transport: udp
    mode: reopen
  - name: dns-tcp
    kind: dns
    every: 10s
    servers: [embedded]
    targetKind: loopback
    names: [kubernetes.default.svc.cluster.local, example.com]
    transport: tcp
    mode: parallel
`;
