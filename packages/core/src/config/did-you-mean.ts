/** Edit distance (insertions, deletions, substitutions), used to suggest the key someone meant. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// `defragAfterCycles` and `Defrag-After-Cycles` should still find `defrag_after_cycles`.
function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

// A shortened key (`context` for `context_size`) is as plausible as a typo at the edge of the limit.
function isAbbreviation(input: string, candidate: string): boolean {
  const short = normalizeKey(input);
  return short.length >= 4 && normalizeKey(candidate).startsWith(short);
}

/**
 * The candidate closest to `input`, or undefined when none is close enough to be a plausible typo
 * (at most a third of the input's length, and at least one edit, may differ) or abbreviation.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(input.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = Math.min(
      levenshtein(input, candidate),
      levenshtein(normalizeKey(input), normalizeKey(candidate)),
      isAbbreviation(input, candidate) ? limit : Infinity,
    );
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
