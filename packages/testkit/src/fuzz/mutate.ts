import fc from "fast-check";
import { deepNesting, hostileJson, hostileKey, jsonRoundTrip } from "./hostile-json.js";

/**
 * Structure-aware fuzzing: take a valid request and break it in a few places, so the decoder gets past
 * its first checks and the breakage lands deep inside (a wrong type three levels down, a missing field
 * in the fifth message, a 5000-element array where one was expected).
 */

type Path = readonly (string | number)[];

export type Mutation =
  | { kind: "delete"; at: number }
  | { kind: "replace"; at: number; value: unknown }
  | { kind: "retype"; at: number }
  | { kind: "wrap"; at: number }
  | { kind: "empty"; at: number; asArray: boolean }
  | { kind: "repeat"; at: number; times: number }
  | { kind: "add-key"; at: number; key: string; value: unknown }
  | { kind: "long-string"; at: number; length: number }
  | { kind: "deep"; at: number; value: unknown };

/**
 * Deep enough to break recursive code, shallow enough for `JSON.stringify` (which recurses) to frame the
 * body; the 100k-deep bodies of the HTTP edge are their own test.
 */
const MAX_MUTATION_DEPTH = 2000;

const MAX_REPEATED_CHARS = 300_000;

/** One mutation; `keys` are the field names worth adding (the schema's own, mostly). */
export function mutation(keys: readonly string[] = []): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), at }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("replace" as const),
        at,
        value: hostileJson({ depth: 2, keys }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("retype" as const), at }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("wrap" as const), at }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("empty" as const), at, asArray: fc.boolean() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("repeat" as const),
        at,
        times: fc.integer({ min: 2, max: 3000 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("add-key" as const),
        at,
        key: hostileKey(keys),
        value: hostileJson({ depth: 2, keys }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("long-string" as const),
        at,
        length: fc.integer({ min: 1000, max: 60_000 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("deep" as const),
        at,
        value: deepNesting(MAX_MUTATION_DEPTH),
      }),
    },
  );
}

/** `valid` with 1..`max` mutations applied, as JSON would deliver it. */
export function mutated<T>(
  valid: fc.Arbitrary<T>,
  options: { keys?: readonly string[]; max?: number } = {},
): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.array(mutation(options.keys), { minLength: 1, maxLength: options.max ?? 3 }))
    .map(([value, mutations]) => jsonRoundTrip(applyMutations(value, mutations)));
}

export function applyMutations(value: unknown, mutations: readonly Mutation[]): unknown {
  let root = jsonRoundTrip(value);
  for (const change of mutations) {
    const paths = pathsOf(root);
    const path = paths[change.at % paths.length] ?? [];
    const current = get(root, path);
    const next = applyOne(change, current);
    if (next === DELETE) root = remove(root, path);
    else root = set(root, path, next);
    // Repeated items are one object many times over: unshare them before the next change lands on one.
    root = jsonRoundTrip(root);
  }
  return root;
}

const DELETE = Symbol("delete");

function applyOne(change: Mutation, current: unknown): unknown {
  switch (change.kind) {
    case "delete":
      return DELETE;
    case "replace":
    case "deep":
      return change.value;
    case "retype":
      return retype(current);
    case "wrap":
      return [current];
    case "empty":
      return change.asArray ? [] : {};
    case "repeat": {
      // Long, but bounded: a body of a few MB at most, whatever was repeated.
      const size = JSON.stringify(current)?.length ?? 4;
      const times = Math.max(2, Math.min(change.times, Math.floor(MAX_REPEATED_CHARS / size)));
      if (Array.isArray(current) && current.length > 0)
        return Array.from({ length: times }, (_, index) => current[index % current.length]);
      if (typeof current === "string") return current.repeat(Math.min(times, 1000));
      return Array.from({ length: times }, () => current);
    }
    case "add-key":
      if (isObject(current)) {
        const copy = { ...current };
        Object.defineProperty(copy, change.key, {
          value: change.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return copy;
      }
      return { [change.key]: change.value };
    case "long-string":
      return typeof current === "string" && current !== ""
        ? current.repeat(Math.ceil(change.length / current.length)).slice(0, change.length)
        : "x".repeat(change.length);
    default: {
      const unknown: never = change;
      return unknown;
    }
  }
}

/** The same information in another JSON type: what a client with a wrong type mapping sends. */
function retype(value: unknown): unknown {
  if (typeof value === "string")
    return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value === "" ? 0 : [value];
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "true" : 0;
  if (value === null) return "";
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]));
  if (isObject(value)) return Object.values(value);
  return null;
}

function pathsOf(root: unknown): Path[] {
  const paths: Path[] = [];
  const walk = (value: unknown, path: Path): void => {
    paths.push(path);
    // Requests are shallow; below this only a deep mutation's own nesting lives.
    if (path.length >= 12) return;
    if (Array.isArray(value)) value.forEach((item, index) => walk(item, [...path, index]));
    else if (isObject(value)) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(root, []);
  return paths;
}

function get(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

function set(root: unknown, path: Path, next: unknown): unknown {
  if (path.length === 0) return next;
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  Object.defineProperty(parent, path[path.length - 1]!, {
    value: next,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return root;
}

function remove(root: unknown, path: Path): unknown {
  // JSON has no "nothing": a deleted body is null.
  if (path.length === 0) return null;
  const parent = get(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, unknown>)[key as string];
  return root;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
