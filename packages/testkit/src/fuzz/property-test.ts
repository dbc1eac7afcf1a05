import fc from "fast-check";
import { it } from "vitest";
import { fuzzParameters, fuzzTimeout } from "./fuzz-runs.js";

/**
 * One vitest test checking one property `runs` times (or `FUZZ_RUNS`), with the timeout a long hunt
 * needs. The predicate fails by throwing (an `expect`) or returning false.
 */
export function propertyTest<T>(
  name: string,
  runs: number,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => boolean | void,
): void {
  it(name, () => fc.assert(fc.property(arbitrary, predicate), fuzzParameters(runs)), fuzzTimeout());
}

/** `propertyTest` for a predicate that awaits (an HTTP request, a stream). */
export function asyncPropertyTest<T>(
  name: string,
  runs: number,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<boolean | void>,
): void {
  it(name, () => fc.assert(fc.asyncProperty(arbitrary, predicate), fuzzParameters(runs)), fuzzTimeout());
}
