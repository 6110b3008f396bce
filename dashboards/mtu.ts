// Path MTU: the DF ceiling per path against the expected MTU, black holes, and
// ICMP loss per packet size.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard } from './lib/dashboard.ts';
import { GOOD_BAD_RATIO, SEL, row, stat, table, timeseries } from './lib/panels.ts';

const BYTES = 'suffix: B';

export function mtuDashboard(): dashboard.Dashboard {
  return baseDashboard({
    uid: 'netprobe-mtu',
    title: 'netprobe / Path MTU',
    description: 'DF ICMP sweeps: the largest packet that crosses each path vs the expected MTU, PMTU black holes, loss per size.',
    probeMetric: 'netprobe_path_mtu_bytes',
  })
    .withRow(row('Overview'))
    .withPanel(
      stat({
        title: 'Paths below expected MTU',
        description: 'Paths whose measured ceiling is below the configured expected MTU (tunnel overhead, wrong NIC or CNI MTU).',
        unit: 'none',
        width: 8,
        height: 4,
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        queries: [{ expr: `count(netprobe:path_mtu_shortfall:bytes{${SEL}} > 0) or vector(0)` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Black holes',
        description: 'Paths where sizes above the ceiling vanish without an ICMP "fragmentation needed" reply.',
        unit: 'none',
        width: 8,
        height: 4,
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        queries: [{ expr: `count(netprobe_path_mtu_blackhole{${SEL}} == 1) or vector(0)` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Smallest ceiling',
        description: 'The smallest path MTU measured over the selected paths.',
        unit: BYTES,
        width: 8,
        height: 4,
        queries: [{ expr: `min(netprobe_path_mtu_bytes{${SEL}} > 0)` }],
      }),
    )
    .withRow(row('Ceiling vs expected'))
    .withPanel(
      timeseries({
        title: 'Path MTU ceiling vs expected',
        description: 'Largest IP packet (headers included) answered with DF set, per path, and the MTU the config expects (dashed). IP-in-IP costs 20 bytes, VXLAN 50.',
        unit: BYTES,
        width: 24,
        queries: [
          {
            expr: `min by (source_node, target, target_node) (netprobe_path_mtu_bytes{${SEL}})`,
            legend: '{{source_node}} → {{target}} ceiling',
          },
          {
            expr: `max by (source_node, target, target_node) (netprobe_path_mtu_expected_bytes{${SEL}})`,
            legend: '{{source_node}} → {{target}} expected',
          },
        ],
      }).overrideByRegexp('.* expected$', [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }]),
    )
    .withPanel(
      table({
        title: 'Shortfall per path',
        description: 'Expected MTU minus the measured ceiling, in bytes, worst first. 0 is right; 20 smells of IP-in-IP, 50 of VXLAN overhead not accounted for.',
        unit: BYTES,
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        sortBy: 'Value',
        queries: [{ expr: `sort_desc(netprobe:path_mtu_shortfall:bytes{${SEL}})`, instant: true }],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Black holes over time',
        description: '1 while a path drops packets above its ceiling silently (no frag-needed): large TCP transfers hang there.',
        unit: 'bool_yes_no',
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        min: 0,
        max: 1,
        queries: [
          {
            expr: `max by (source_node, target, target_node) (netprobe_path_mtu_blackhole{${SEL}})`,
            legend: '{{source_node}} → {{target}}',
          },
        ],
      }),
    )
    .withRow(row('ICMP'))
    .withPanel(
      timeseries({
        title: 'ICMP loss by packet size',
        description: 'Share of DF echo requests without a reply, per path and IP packet size. Loss only at the large sizes = MTU; at every size = reachability.',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        min: 0,
        max: 1,
        queries: [
          {
            expr: `max by (source_node, target, size) (netprobe:icmp_loss:ratio_rate5m{${SEL}})`,
            legend: '{{source_node}} → {{target}} {{size}} B',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'ICMP RTT p99',
        description: '99th percentile round-trip time of DF echo requests per path (all sizes).',
        unit: 's',
        queries: [
          {
            expr: `netprobe:icmp_rtt_seconds:p99_rate5m{${SEL}}`,
            legend: '{{source_node}} → {{target}}',
          },
        ],
      }),
    )
    .build();
}
