import type { Parameters } from "fast-check";

/**
 * Run counts for property tests: small defaults keep `npm test` fast; `FUZZ_RUNS=N` runs every property
 * N times (hunting for bugs locally), `FUZZ_SEED=S` replays a failure fast-check reported.
 */
export function fuzzRuns(defaultRuns: number): number {
  const given = Number(process.env["FUZZ_RUNS"]);
  return Number.isSafeInteger(given) && given > 0 ? given : defaultRuns;
}

/** `fc.assert` parameters for a property that runs `defaultRuns` times in `npm test`. */
export function fuzzParameters<T>(defaultRuns: number): Parameters<T> {
  const seed = Number(process.env["FUZZ_SEED"]);
  return {
    numRuns: fuzzRuns(defaultRuns),
    ...(Number.isSafeInteger(seed) ? { seed } : {}),
    // A counterexample is printed whole: it becomes the regression test's input.
    endOnFailure: false,
  };
}

/** A test's timeout: vitest's default for `npm test`, an hour when `FUZZ_RUNS` asks for a long hunt. */
export function fuzzTimeout(): number {
  return process.env["FUZZ_RUNS"] === undefined ? 60_000 : 3_600_000;
}
