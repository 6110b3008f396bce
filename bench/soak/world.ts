// What the soak's config holds at each generation, and how it churns: names
// and TCP targets come and go in the two steady probes, whole probes are
// added and removed, and every fifth reload is an invalid file (the daemon
// must keep the last good config and say so). Names and probe names are
// never reused, so a series that comes back would be a stale one.

export interface ChurnProbe {
  name: string;
  kind: 'dns' | 'tcp';
}

export interface World {
  gen: number;
  dnsPort: number;
  ports: number[];
  /** dns-a names: the first two stay for the whole run. */
  names: string[];
  /** tcp-a ports: the first four stay. */
  tcp: number[];
  bulkNames: number;
  churn: ChurnProbe[];
}

const KEEP_NAMES = 2;
const KEEP_PORTS = 4;

export function initialWorld(dnsPort: number, ports: number[], bulkNames: number): World {
  return {
    gen: 0,
    dnsPort,
    ports,
    names: ['keep0.soak.test', 'keep1.soak.test', 'c0.soak.test'],
    tcp: ports.slice(0, KEEP_PORTS + 2),
    bulkNames,
    churn: [{ name: 'churn-0', kind: 'tcp' }],
  };
}

const INVALID = [
  'probes:\n  - name: x\n    kind: dns\n    every: 1000d\n    servers: [127.0.0.1]\n    names: [a.soak.test]\n',
  'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nprobes: []\n',
];

/** The next generation, the owners it removed (probe|name, probe|target, probe|), or an invalid file. */
export function churn(world: World): { world: World; removed: string[]; invalid?: string } {
  const gen = world.gen + 1;
  if (gen % 5 === 0) return { world: { ...world, gen }, removed: [], invalid: INVALID[(gen / 5) % INVALID.length] };
  const removed: string[] = [];
  const names = [...world.names, `c${gen}.soak.test`];
  while (names.length > KEEP_NAMES + 2) {
    const [gone] = names.splice(KEEP_NAMES, 1);
    removed.push(`dns-a|${gone}`);
  }
  // Rotate one churned TCP port: the removed one may come back later (a reset then is legitimate).
  const spare = world.ports.slice(KEEP_PORTS).filter((p) => !world.tcp.includes(p));
  const tcp = [...world.tcp];
  if (tcp.length > KEEP_PORTS) removed.push(`tcp-a|127.0.0.1:${tcp.splice(KEEP_PORTS, 1)[0]}`);
  if (spare.length) tcp.push(spare[gen % spare.length]!);
  const churned = [...world.churn, { name: `churn-${gen}`, kind: gen % 2 ? 'dns' : 'tcp' } as ChurnProbe];
  while (churned.length > 2) removed.push(`${churned.shift()!.name}|`);
  return { world: { ...world, gen, names, tcp, churn: churned }, removed };
}

export function configYaml(w: World): string {
  const server = `127.0.0.1:${w.dnsPort}`;
  const dns = (name: string, names: string[], every: string) =>
    `  - name: ${name}\n    kind: dns\n    every: ${every}\n    servers: ["${server}"]\n    names: [${names.join(', ')}]\n    timeout: 2s\n    attempts: 2\n`;
  const tcp = (name: string, ports: number[], every: string) =>
    `  - name: ${name}\n    kind: tcp\n    every: ${every}\n    targets: [${ports.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n    count: 1\n    timeout: 2s\n`;
  const bulk = Array.from({ length: w.bulkNames }, (_, i) => `b${i}.soak.test`);
  return [
    'sourceNode: soak\nlisten: 127.0.0.1:0\nprobes:\n',
    dns('dns-a', w.names, '1s'),
    tcp('tcp-a', w.tcp, '1s'),
    w.bulkNames > 0 ? dns('dns-bulk', bulk, '5s') : '',
    ...w.churn.map((c) => (c.kind === 'dns' ? dns(c.name, [`${c.name}.soak.test`], '1s') : tcp(c.name, w.ports.slice(8, 10), '1s'))),
  ].join('');
}

/** Owners a series belongs to: its probe, and its name or target within the probe. */
export function ownerOf(labels: Record<string, string>): string[] {
  const probe = labels.probe;
  if (probe === undefined) return [];
  const owners = [`${probe}|`];
  if (labels.name) owners.push(`${probe}|${labels.name}`);
  if (labels.target && !labels.name) owners.push(`${probe}|${labels.target}`);
  return owners;
}

/** Whether a series with these labels belongs to something in the current config. */
export function isCurrent(w: World, labels: Record<string, string>): boolean {
  const probe = labels.probe;
  if (probe === undefined) return true; // daemon-wide series
  const bulk = w.bulkNames > 0 ? ['dns-bulk'] : [];
  const probes = ['dns-a', 'tcp-a', ...bulk, ...w.churn.map((c) => c.name)];
  if (!probes.includes(probe)) return false;
  if (probe === 'dns-a' && labels.name && !w.names.includes(labels.name)) return false;
  if (probe === 'tcp-a' && labels.target && !w.tcp.map((p) => `127.0.0.1:${p}`).includes(labels.target)) return false;
  return true;
}
