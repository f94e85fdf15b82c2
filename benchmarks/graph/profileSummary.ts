/** A V8 CPU profile (.cpuprofile) read as tables: top frames by self time, and self time per package. */

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The package a script belongs to (node_modules/<pkg> or a workspace folder), or a V8/Node category. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const match = /\/(gateway|packages\/[^/]+|subgraphs\/[^/]+|benchmarks)\/(.*)$/.exec(url);
  return match ? match[1]! : url;
}

const shortUrl = (url: string) =>
  url.replace(/^.*?node_modules\//, '').replace(/^file:\/\/.*?\/(gateway|packages)\//, '$1/');

const keyOf = ({ functionName, url, lineNumber }: CpuProfile['nodes'][number]['callFrame']) =>
  `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();

export function summarizeProfile(profile: CpuProfile, options: { top: number; requests: number }): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = profile.endTime - profile.startTime;
  const frames = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const key = keyOf({ functionName, url, lineNumber });
    frames.set(key, (frames.get(key) ?? 0) + us);
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  // Inclusive time: each function counted once per sample, however deep it recurses.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(byId.get(at)!.callFrame);
      if (seen.has(key) || key.startsWith('(')) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const idle = packages.get('(idle)') ?? 0;
  const busy = total - idle;
  const perRequest = (us: number) => (options.requests > 0 ? `${(us / options.requests).toFixed(1)} µs/req` : '');
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`.padStart(6);
  const lines = [
    `window ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(2)} s${options.requests > 0 ? ` (${perRequest(busy)})` : ''}, idle ${(idle / 1e6).toFixed(2)} s`,
    'self time by package (% of busy):',
    ...[...packages]
      .filter(([pkg]) => pkg !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([pkg, us]) => `  ${pct(us)} ${perRequest(us).padStart(14)}  ${pkg}`),
    `top ${options.top} frames by self time (% of busy):`,
    ...[...frames]
      .filter(([key]) => !key.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top)
      .map(([key, us]) => `  ${pct(us)} ${perRequest(us).padStart(14)}  ${key}`),
    `top ${options.top} frames by inclusive time (% of busy), from node_modules or the project:`,
    ...[...inclusive]
      .filter(([key]) => /node_modules|\.ts:|\/(gateway|packages)\//.test(key) || /@|\.js:/.test(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top)
      .map(([key, us]) => `  ${pct(us)} ${perRequest(us).padStart(14)}  ${key}`),
  ];
  return lines.join('\n');
}
