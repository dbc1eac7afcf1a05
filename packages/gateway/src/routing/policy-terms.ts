import type { NodeSnapshot } from "./fleet-snapshot.js";

/**
 * The terms the pure placement policies share: a deterministic order (the same fleet always gives the
 * same decision), the memory a node has spare, and sizes as the decision log writes them.
 */

/** Ascending order that stays well-defined for infinities (a - b is NaN for -Infinity - -Infinity). */
export function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-unit order: deterministic tie-breaks that do not depend on the host's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Bytes a new load may take on the node now. Unloading models still count as used on the node, so their
 * memory is not here until the node reports it freed.
 */
export function spareMemory(node: NodeSnapshot, extraHeadroom: number): number {
  return node.memory.free - node.memory.headroom - extraHeadroom;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** "1.2 GiB", "800 MiB": one decimal at most, for decision reasons that people read in logs. */
export function humanBytes(bytes: number): string {
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sign}${Number(value.toFixed(1))} ${UNITS[unit]}`;
}
