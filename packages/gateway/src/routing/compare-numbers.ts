/** Ascending order that stays well-defined for infinities (a - b is NaN for -Infinity - -Infinity). */
export function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
