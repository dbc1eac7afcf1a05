import { formatBytes } from "@cortex/core";

const BAR_WIDTH = 24;

/**
 * Pure: one line on how a download is going: "org/repo:Q4_K_M [#########---------------] 38%
 * 1.2 GiB / 3.1 GiB, 45 MiB/s". `gainedBytes` over `elapsedMs` is this run's rate (bytes resumed from an
 * earlier run arrived before it started).
 */
export function formatPullProgress(progress: {
  label: string;
  done: number;
  total: number;
  gainedBytes: number;
  elapsedMs: number;
}): string {
  const { label, done, total } = progress;
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
  const rate =
    progress.elapsedMs >= 1000 && progress.gainedBytes > 0
      ? `, ${formatBytes((progress.gainedBytes * 1000) / progress.elapsedMs)}/s`
      : "";
  return `${label} ${bar} ${Math.floor(fraction * 100)}% ${formatBytes(done)} / ${formatBytes(total)}${rate}`;
}
