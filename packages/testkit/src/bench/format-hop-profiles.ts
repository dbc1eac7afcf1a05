import type { Hotspot } from "./cpu-profile-digest.js";
import { formatNumber, markdownTable } from "./format-markdown.js";
import type { HopProfile, HopProfiles } from "./gateway-bench-types.js";

const AREA_ROWS = 16;

/** Markdown for the cortex-vs-proxy CPU profiles: per-request CPU by area, then cortex's hot spots. */
export function formatHopProfiles(profiles: HopProfiles): string[] {
  const { cortex, proxy } = profiles;
  const perRequest = (profile: HopProfile, ms: number): number =>
    profile.load.requests > 0 ? (ms * 1000) / profile.load.requests : Number.NaN;
  const areas = new Map<string, { cortex: number; proxy: number }>();
  for (const [side, profile] of [
    ["cortex", cortex],
    ["proxy", proxy],
  ] as const) {
    for (const area of profile.digest.byArea) {
      const row = areas.get(area.area) ?? { cortex: 0, proxy: 0 };
      row[side] = perRequest(profile, area.selfMs);
      areas.set(area.area, row);
    }
  }
  const areaRows = [...areas]
    .sort((a, b) => b[1].cortex - b[1].proxy - (a[1].cortex - a[1].proxy))
    .slice(0, AREA_ROWS)
    .map(([area, row]) => [
      area,
      formatNumber(row.cortex),
      formatNumber(row.proxy),
      formatNumber(row.cortex - row.proxy),
    ]);
  const describe = (profile: HopProfile): string =>
    `${profile.kind}: ${profile.load.reqPerS.toFixed(0)} req/s, ` +
    `${formatNumber(perRequest(profile, profile.digest.busyMs))} µs of main-thread samples per request ` +
    `(busy ${(profile.digest.busyMs / 1000).toFixed(2)} s of ${(profile.digest.durationMs / 1000).toFixed(2)} s), ` +
    `raw profile \`${profile.file}\``;
  return [
    `### CPU profiles: cortex vs the minimal proxy (${profiles.reason})`,
    "",
    `\`node --cpu-prof\` on each hop in turn, fake backend, ${cortex.load.clients} clients, only the measured ` +
      "phase counted (start-up, warm-up and shutdown cut off).",
    "",
    `- ${describe(cortex)}`,
    `- ${describe(proxy)}`,
    "",
    `Self time per request by area, µs (largest extra first; "(native) writev" is the socket write syscall, ` +
      "loopback delivery included; wall-clock samples, see docs/benchmarks.md):",
    "",
    markdownTable(["area", "cortex", "proxy", "extra"], areaRows),
    "",
    "cortex, top functions by self time:",
    "",
    hotspotTable(cortex.digest.top, (ms) => perRequest(cortex, ms)),
    "",
    "cortex's own functions by inclusive time (everything they call included):",
    "",
    hotspotTable(cortex.digest.focused, (ms) => perRequest(cortex, ms)),
  ];
}

function hotspotTable(spots: readonly Hotspot[], perRequest: (ms: number) => number): string {
  return markdownTable(
    ["function", "location", "hottest line", "self %", "total %", "total µs/req"],
    spots.map((spot) => [
      `\`${spot.functionName}\``,
      spot.location,
      spot.hotLine ?? "",
      `${spot.selfPercent.toFixed(1)}%`,
      `${spot.totalPercent.toFixed(1)}%`,
      formatNumber(perRequest(spot.totalMs)),
    ]),
  );
}
