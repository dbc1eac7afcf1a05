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
