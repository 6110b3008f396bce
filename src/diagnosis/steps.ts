// The next commands for each failure mode: what an engineer types on the node
// (or with kubectl) to confirm the verdict and find the broken piece, each
// linked to its runbook section. Values from the evidence (VIP, pod IP, sizes)
// are filled in so a step can be pasted as it is.
import type { FailureMode, NextStep } from './types.ts';
import { hostOf } from './observations.ts';

export const RUNBOOK_BASE = 'https://github.com/netprobe/netprobe/blob/main/docs/runbooks.md';

export const RUNBOOK_ANCHORS: Record<FailureMode, string> = {
  F1: 'f1-conntrack-race',
  F2: 'f2-vip-not-translated',
  F3: 'f3-cross-node-route',
  F4: 'f4-mtu-mismatch',
  F5: 'f5-pmtu-blackhole',
  F6: 'f6-upstream-dns',
  F7: 'f7-coredns-replica',
  F8: 'f8-new-node',
  F9: 'f9-port-closed',
};

export function runbook(failure: FailureMode): string {
  return `${RUNBOOK_BASE}#${RUNBOOK_ANCHORS[failure]}`;
}

function step(failure: FailureMode, command: string, why: string): NextStep {
  return { command, why, runbook: runbook(failure) };
}

const ENDPOINTSLICES = 'kubectl get endpointslices -n kube-system -l k8s.io/service-name=kube-dns -o wide';
/** ICMP payload for an IP packet of `size` bytes (20 IP + 8 ICMP header bytes), as `ping -s` wants it. */
const payload = (size: number): number => Math.max(0, size - 28);

export function f1Steps(servers: readonly string[]): NextStep[] {
  const vip = hostOf(servers[0] ?? '<VIP>');
  return [
    step('F1', 'conntrack -S', 'on the node: insert_failed (and drop) rising with each stall confirms the conntrack insert race'),
    step('F1', `conntrack -L -p udp --dport 53 -d ${vip}`, 'the DNS flows through the VIP; two queries on one tuple race for one entry'),
    step('F1', 'kubectl exec <pod> -- cat /etc/resolv.conf', 'add "options single-request-reopen" (glibc) or use TCP / NodeLocal DNSCache; musl needs NodeLocal DNSCache'),
  ];
}

export function f2Steps(vips: readonly string[], node: string): NextStep[] {
  const vip = hostOf(vips[0] ?? '<VIP>');
  return [
    step('F2', `iptables-save | grep ${vip}`, 'on the node: kube-proxy (iptables mode) must have KUBE-SERVICES rules for the VIP'),
    step('F2', `ipvsadm -Ln -t ${vip}:53; ipvsadm -Ln -u ${vip}:53`, 'on the node (IPVS mode): the virtual server and its real servers (the CoreDNS pods)'),
    step('F2', `kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${node}`, 'is kube-proxy running (not evicted, not crash-looping) on this node'),
    step('F2', `kubectl -n kube-system logs -l k8s-app=kube-proxy --field-selector spec.nodeName=${node} --tail=100`, 'sync errors of kube-proxy on this node'),
  ];
}

export function f3Steps(targets: readonly string[], targetNodes: readonly string[]): NextStep[] {
  const ip = hostOf(targets[0] ?? '<pod IP>');
  const node = targetNodes[0] ?? '<node>';
  return [
    step('F3', `ip route get ${ip}`, 'on the source node: which route and device (tunnel) carries traffic to that pod; "unreachable" = route missing'),
    step('F3', `kubectl get node ${node} -o jsonpath='{.spec.podCIDRs}'`, 'the pod subnet of the target node, to compare with the route table (ip route)'),
    step('F3', 'ip -d link show type vxlan; ip -d link show type ipip', 'the overlay device exists and is up (vxlan.calico, flannel.1, cilium_vxlan, tunl0)'),
    step('F3', `ping -c 3 ${ip}`, 'small packets across the path: failing here and not to same-node pods is the route or tunnel'),
  ];
}

/** F3 when the host network reaches the target nodes and the pod network does not: the overlay. */
export function f3OverlaySteps(podTargets: readonly string[], node: string, targetNodes: readonly string[]): NextStep[] {
  const ip = hostOf(podTargets[0] ?? '<pod IP>');
  return [
    step('F3', 'ip -d link show type vxlan; ip -d link show type ipip; ip -d link show type geneve', 'on the source node: the tunnel device is up with the right local address and port (vxlan.calico, flannel.1, cilium_vxlan, tunl0)'),
    step('F3', `ip route get ${ip}`, 'the route to that pod must leave through the tunnel device, not the default route'),
    step('F3', 'tcpdump -ni any udp port 4789 or udp port 8472 or proto 4', `on ${node} and ${targetNodes[0] ?? 'the target node'} while a probe runs: encapsulated packets leaving and not arriving means the node firewall or a security group drops the tunnel's port (VXLAN 4789/8472, IP-in-IP protocol 4), which plain node traffic does not use`),
    step('F3', `kubectl -n kube-system get pods -o wide --field-selector spec.nodeName=${node}`, 'the CNI agent (calico-node, cilium, kube-flannel) on the node: running, ready, not restarting'),
  ];
}

/** F3 when the host network fails to the same nodes too: the underlay (node network, routing, firewall). */
export function f3UnderlaySteps(hostTargets: readonly string[], targetNodes: readonly string[]): NextStep[] {
  const ip = hostOf(hostTargets[0] ?? '<node InternalIP>');
  return [
    step('F3', `ping -c 3 ${ip}`, `from the source node itself: the other node's own address (${targetNodes[0] ?? 'target node'}) must answer; failing here, no CNI setting can help`),
    step('F3', `netprobe trace ${ip}`, 'per-hop loss and latency (as mtr): the first hop where replies stop is where the underlay drops'),
    step('F3', `ip route get ${ip}; ip neigh show`, 'the route and next hop towards the other node, and whether its ARP/ND entry resolves'),
    step('F3', `kubectl get node ${targetNodes[0] ?? '<node>'} -o wide`, 'the InternalIP the cluster uses for that node; then the cloud firewall / security groups / NACLs between the two nodes'),
  ];
}

export function f4Steps(target: string, expected: number | null, ceiling: number | null, iface: number | null): NextStep[] {
  const size = expected ?? iface ?? 1500;
  const steps = [
    step('F4', `ping -M do -s ${payload(size)} -c 3 ${target}`, `DF at ${size}-byte packets: "Frag needed" / "message too long" confirms the path carries only ${ceiling ?? '?'} bytes`),
    step('F4', `ip route get ${target}; ip link show`, 'the MTU of the pod interface and of the device on the route (tunnel overhead: VXLAN 50 B, IP-in-IP 20 B)'),
    step(
      'F4',
      "kubectl -n kube-system get configmap calico-config -o jsonpath='{.data.veth_mtu}'; kubectl -n kube-system get configmap cilium-config -o jsonpath='{.data.mtu}'",
      'the CNI MTU setting: it must be the host NIC MTU minus the encapsulation overhead',
    ),
  ];
  return steps;
}

export function f5Steps(target: string, ceiling: number | null): NextStep[] {
  const above = (ceiling ?? 1400) + 1;
  return [
    step('F5', `ping -M do -s ${payload(above)} -c 3 ${target}`, `one byte above the ${ceiling ?? '?'}-byte ceiling: silence instead of "Frag needed" is the black hole`),
    step('F5', "tcpdump -ni any 'icmp[icmptype] == 3 and icmp[icmpcode] == 4'", 'on the sending node: no fragmentation-needed messages arrive'),
    step('F5', 'iptables-save | grep -i icmp', 'firewall rules (node, cloud security group) that drop ICMP type 3 code 4'),
    step('F5', 'iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', 'mitigation for TCP while the filter is fixed: MSS clamping'),
  ];
}

export function f6Steps(servers: readonly string[]): NextStep[] {
  const server = hostOf(servers[0] ?? '<server>');
  return [
    step('F6', `dig @${server} example.com +tries=1 +time=5`, 'external names time out while cluster names answer: CoreDNS cannot reach its upstream'),
    step('F6', 'kubectl -n kube-system get configmap coredns -o yaml', 'the "forward" line: which upstream CoreDNS uses (/etc/resolv.conf of the node, or a listed IP)'),
    step('F6', 'kubectl -n kube-system logs -l k8s-app=kube-dns --tail=100', 'CoreDNS logs "i/o timeout" / SERVFAIL for the upstream'),
  ];
}

export function f7Steps(endpoints: readonly string[]): NextStep[] {
  const ip = hostOf(endpoints[0] ?? '<endpoint IP>');
  return [
    step('F7', ENDPOINTSLICES, 'is the failing endpoint still listed as ready behind the kube-dns Service'),
    step('F7', 'kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide', `which CoreDNS pod owns ${ip}, its restarts and node`),
    step('F7', `dig @${ip} kubernetes.default.svc.cluster.local +tries=1 +time=2`, 'ask that replica directly, bypassing the Service'),
    step('F7', `kubectl -n kube-system logs <coredns pod on ${ip}> --tail=100`, 'what the replica says (crash, plugin errors, overload)'),
  ];
}

export function f8Steps(nodes: readonly string[]): NextStep[] {
  const node = nodes[0] ?? '<node>';
  return [
    step('F8', `kubectl get node ${node} -o wide; kubectl get node ${node} -o jsonpath='{.status.addresses}'`, 'two InternalIPs (DHCP plus static) or a wrong one on the new node'),
    step('F8', `kubectl get pods -A -o wide --field-selector spec.nodeName=${node}`, 'kube-proxy and the CNI pod on the new node: Pending, crash-looping or not yet ready'),
    step('F8', 'ip -4 addr; ip route', 'on the new node: addresses and the routes to the other nodes\' pod subnets'),
  ];
}

export function f9Steps(target: string): NextStep[] {
  const host = hostOf(target);
  const port = /:(\d+)$/.exec(target)?.[1] ?? '<port>';
  return [
    step('F9', `nc -vz -w 2 ${host} ${port}`, '"refused" = nothing listens (or a REJECT rule); a timeout with ping working = a firewall drops SYNs'),
    step('F9', `ss -ltnp | grep ':${port}'`, 'on the target: is the process listening, and on which address'),
    step('F9', 'kubectl get networkpolicy -A', `a NetworkPolicy that does not allow port ${port}`),
  ];
}
