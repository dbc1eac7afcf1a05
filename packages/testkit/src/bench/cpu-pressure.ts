import { readFile } from "node:fs/promises";

/** Linux PSI for the CPU: how often some runnable task had to wait for one. */
export interface CpuPressure {
  /** Percent over the last 10 s. */
  avg10: number;
  /** Cumulative stall time, µs. */
  totalUs: number;
  /** performance.now() when read. */
  at: number;
}

/** Undefined where PSI is unavailable (not Linux, or an old kernel). */
export async function readCpuPressure(): Promise<CpuPressure | undefined> {
  try {
    return parseCpuPressure(await readFile("/proc/pressure/cpu", "utf8"), performance.now());
  } catch {
    return undefined;
  }
}

export function parseCpuPressure(text: string, at: number): CpuPressure | undefined {
  const some = /^some avg10=([\d.]+) avg60=[\d.]+ avg300=[\d.]+ total=(\d+)/m.exec(text);
  if (!some?.[1] || !some[2]) return undefined;
  return { avg10: Number(some[1]), totalUs: Number(some[2]), at };
}

/** Percent of the wall time between two readings during which some task waited for a CPU. */
export function pressureBetween(from: CpuPressure | undefined, to: CpuPressure | undefined): number {
  if (!from || !to || to.at <= from.at) return Number.NaN;
  return ((to.totalUs - from.totalUs) / 1000 / (to.at - from.at)) * 100;
}

/**
 * Waits (up to `maxWaitMs`) until the 10-second CPU pressure is at most `quietPercent`, so a run on a
 * shared machine starts in a quiet moment when there is one. Returns the last reading.
 */
export async function waitForQuietCpu(
  maxWaitMs: number,
  quietPercent: number,
  log: (line: string) => void,
): Promise<CpuPressure | undefined> {
  const until = performance.now() + maxWaitMs;
  let reading = await readCpuPressure();
  let told = false;
  while (reading && reading.avg10 > quietPercent && performance.now() < until) {
    if (!told)
      log(
        `bench: CPU pressure ${reading.avg10}% (other load); waiting up to ${Math.round(maxWaitMs / 1000)} s for ≤ ${quietPercent}%`,
      );
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    reading = await readCpuPressure();
  }
  if (reading && reading.avg10 > quietPercent)
    log(`bench: CPU still busy (${reading.avg10}%); running anyway`);
  return reading;
}
