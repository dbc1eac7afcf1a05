// Number and time formatting for the dashboard.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1288490188 → "1.2 GiB". */
export function formatBytes(bytes) {
  if (typeof bytes !== "number" || !Number.isFinite(bytes)) return "–";
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 || Number.isInteger(value) ? 0 : 1;
  return value.toFixed(digits) + " " + UNITS[unit];
}

export function formatPercent(fraction) {
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100) + "%";
}

export function formatRate(tokensPerSecond) {
  if (tokensPerSecond === null || tokensPerSecond === undefined) return "–";
  return (tokensPerSecond >= 100 ? tokensPerSecond.toFixed(0) : tokensPerSecond.toFixed(1)) + " tok/s";
}

export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 1) return Math.round(seconds * 1000) + " ms";
  return seconds.toFixed(seconds < 10 ? 2 : 1) + " s";
}

/** Epoch ms → "14:03:27" in the browser's time zone. */
export function formatClock(epochMs) {
  return new Date(epochMs).toLocaleTimeString([], { hour12: false });
}

/** How long ago, coarse: "3s ago", "12m ago", "2h ago". */
export function formatAge(epochMs, now) {
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 60) return seconds + "s ago";
  if (seconds < 3600) return Math.floor(seconds / 60) + "m ago";
  return Math.floor(seconds / 3600) + "h ago";
}

/** A span of time, coarse: "45s", "30m", "2h". */
export function formatSpan(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return seconds + "s";
  if (seconds < 3600) return Math.floor(seconds / 60) + "m";
  return Math.floor(seconds / 3600) + "h";
}

/** The last non-null sample, or null. */
export function latest(samples) {
  for (let i = samples.length - 1; i >= 0; i--) {
    if (samples[i] !== null) return samples[i];
  }
  return null;
}
