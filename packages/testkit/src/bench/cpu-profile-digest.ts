/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the digest reads. */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Microseconds from the previous sample (the first one: from `startTime`). */
  timeDeltas?: number[];
}

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
  /** 1-based source lines inside the function, with their sample counts. */
  positionTicks?: { line: number; ticks: number }[];
}

export interface Hotspot {
  functionName: string;
  /** `file:line` of the function (source-mapped when possible); for the hottest line see `hotLine`. */
  location: string;
  /** `file:line` of the line inside it that took most samples, when V8 recorded lines. */
  hotLine: string | undefined;
  selfMs: number;
  selfPercent: number;
  /** Time with this function anywhere on the stack. */
  totalMs: number;
  totalPercent: number;
}

export interface AreaShare {
  area: string;
  selfMs: number;
  percent: number;
}

export interface ProfileDigest {
  durationMs: number;
  /** Sampled time not spent idle. */
  busyMs: number;
  /** Sorted by self time; percentages are of busy time. */
  top: Hotspot[];
  /** Functions whose URL `focus` accepts (our own code), sorted by inclusive time. */
  focused: Hotspot[];
  byArea: AreaShare[];
}

export interface DigestOptions {
  top: number;
  /** Maps a script URL and 0-based line/column to `file:line`. */
  locate: (url: string, line: number, column: number) => string;
  /** Buckets a script URL: "gateway", "core", "node_modules/fastify", "node:internal", … */
  areaOf: (url: string, functionName: string) => string;
  /**
   * Only samples taken in this window count (V8's monotonic microseconds, the clock of
   * `process.hrtime`), so start-up and shutdown do not drown the steady state.
   */
  window?: { startUs: number; endUs: number };
  /** Selects the functions listed in `focused` (e.g. the workspace's own files). */
  focus?: (url: string) => boolean;
}

/** Self and inclusive time per function, and self time per area, from one CPU profile. */
export function digestCpuProfile(profile: CpuProfile, options: DigestOptions): ProfileDigest {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const hits = sampleHits(profile, options.window);
  const totalHits = [...hits.values()].reduce((sum, count) => sum + count, 0);
  const span = options.window ?? { startUs: profile.startTime, endUs: profile.endTime };
  const durationMs =
    (Math.min(span.endUs, profile.endTime) - Math.max(span.startUs, profile.startTime)) / 1000;
  const msPerHit = totalHits > 0 ? durationMs / totalHits : 0;

  const keyOf = (node: CpuProfileNode): string => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    return `${functionName}\u0000${url}\u0000${lineNumber}\u0000${columnNumber}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const lines = new Map<string, Map<number, number>>();
  const area = new Map<string, number>();
  let idleHits = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id);
    if (!node || count === 0) continue;
    if (node.callFrame.functionName === "(idle)") {
      idleHits += count;
      continue;
    }
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + count);
    const bucket = options.areaOf(node.callFrame.url, node.callFrame.functionName);
    area.set(bucket, (area.get(bucket) ?? 0) + count);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at);
      if (!frame) break;
      const frameKey = keyOf(frame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      total.set(frameKey, (total.get(frameKey) ?? 0) + count);
    }
  }
  for (const node of profile.nodes) {
    // positionTicks cover the whole profile, not the window: good enough to name the hot line.
    if (!node.positionTicks) continue;
    const perLine = lines.get(keyOf(node)) ?? new Map<number, number>();
    for (const { line, ticks } of node.positionTicks) perLine.set(line, (perLine.get(line) ?? 0) + ticks);
    lines.set(keyOf(node), perLine);
  }
  const busyHits = totalHits - idleHits;
  const percent = (count: number): number => (busyHits > 0 ? (count / busyHits) * 100 : 0);
  const frames = new Map(profile.nodes.map((node) => [keyOf(node), node.callFrame]));
  const hotspot = (key: string): Hotspot => {
    const frame = frames.get(key) ?? { functionName: "?", url: "", lineNumber: 0, columnNumber: 0 };
    const hottest = [...(lines.get(key) ?? new Map<number, number>())].sort((a, b) => b[1] - a[1])[0];
    const selfCount = self.get(key) ?? 0;
    const totalCount = total.get(key) ?? selfCount;
    return {
      functionName: frame.functionName === "" ? "(anonymous)" : frame.functionName,
      location: options.locate(frame.url, frame.lineNumber, frame.columnNumber),
      hotLine: hottest === undefined ? undefined : options.locate(frame.url, hottest[0] - 1, 0),
      selfMs: selfCount * msPerHit,
      selfPercent: percent(selfCount),
      totalMs: totalCount * msPerHit,
      totalPercent: percent(totalCount),
    };
  };
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.top)
    .map(([key]) => hotspot(key));
  const focus = options.focus;
  const focused = focus
    ? [...total]
        .filter(([key]) => focus(frames.get(key)?.url ?? ""))
        .sort((a, b) => b[1] - a[1])
        .slice(0, options.top)
        .map(([key]) => hotspot(key))
    : [];
  const byArea = [...area]
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => ({ area: name, selfMs: count * msPerHit, percent: percent(count) }));
  return { durationMs, busyMs: busyHits * msPerHit, top, focused, byArea };
}

/** Samples per node id, within `window` when the profile has per-sample timestamps. */
function sampleHits(profile: CpuProfile, window: DigestOptions["window"]): Map<number, number> {
  const hits = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (!samples) {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
    return hits;
  }
  let at = profile.startTime;
  for (const [index, id] of samples.entries()) {
    at += timeDeltas?.[index] ?? 0;
    if (window && timeDeltas && (at < window.startUs || at > window.endUs)) continue;
    hits.set(id, (hits.get(id) ?? 0) + 1);
  }
  return hits;
}
