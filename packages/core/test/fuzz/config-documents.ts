import { mutated } from "@cortex/testkit/fuzz";
import fc from "fast-check";
import { stringify } from "smol-toml";

/**
 * TOML documents for the three config files: valid ones built from the schemas, the same broken in a
 * few places (wrong types, unknown keys, out-of-range values), and their text broken in a few places
 * (syntax errors, redefined tables, cut-off strings).
 */

const duration = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(
      "250ms",
      "5s",
      "1.5m",
      "2h",
      "10S",
      "0.5h",
      "596h",
      "600h",
      "1000000h",
      "1e3s",
      "5 s",
      "-1s",
    ),
    fc.integer({ min: 0, max: 5_000_000_000 }),
    fc.constantFrom(1e300, 0.4, 2 ** 31, 2 ** 31 - 1),
  );

const byteSize = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom("32MiB", "1.5GiB", "800k", "512MB", "1TiB", "99999999TiB", "1e3", "-5MiB", "0"),
    fc.integer({ min: 0, max: 2 ** 40 }),
  );

const listen = (): fc.Arbitrary<unknown> =>
  fc.constantFrom(
    "127.0.0.1:0",
    ":31313",
    "0.0.0.0:31313",
    "[::1]:8080",
    "localhost:65535",
    "host:65536",
    "x",
    "[::1]",
  );

const nodeName = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom("gpu-1", "gpu-2", "node.a", "n_3", "bad name", "a\nb"),
    fc.string({ maxLength: 8 }),
  );

const secret = (): fc.Arbitrary<string> =>
  fc.oneof(fc.constantFrom("sk-1", "sk-2", "admin", ""), fc.string({ maxLength: 12 }));

const endpoint = (): fc.Arbitrary<string> =>
  fc.constantFrom(
    "http://127.0.0.1:13131",
    "http://127.0.0.1:13131/",
    "https://gpu-1.lan:13131",
    "http://gpu-2:1",
    "htp:/x",
    "http://x?y=1",
    "file:///tmp",
    "http://a\nb",
  );

function cortexDocument(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      gateway: fc.record(
        {
          listen: listen(),
          metrics_listen: listen(),
          api_keys: fc.array(
            fc.oneof(
              secret(),
              fc.record(
                {
                  key: secret(),
                  name: fc.string({ maxLength: 8 }),
                  priority: fc.constantFrom("high", "normal", "low", "urgent", ""),
                  priority_header: fc.boolean(),
                },
                { requiredKeys: [] },
              ),
            ),
            { maxLength: 3 },
          ),
          admin_key: secret(),
          neuron_token: secret(),
          default_model: fc.constantFrom("qwen3-tiny", ""),
          body_limit: byteSize(),
          models_file: fc.constantFrom("models.toml", "/etc/cortex/models.toml", ""),
        },
        { requiredKeys: [] },
      ),
      timeouts: fc.record(
        { connect: duration(), first_byte: duration(), idle: duration(), load: duration() },
        { requiredKeys: [] },
      ),
      eviction: fc.record(
        {
          strategy: fc.constantFrom("lru", "priority", "random"),
          defrag_after_cycles: fc.integer({ min: -1, max: 100 }),
        },
        { requiredKeys: [] },
      ),
      fleet: fc.record(
        { poll_interval: duration(), down_after: fc.integer({ min: 0, max: 10 }) },
        { requiredKeys: [] },
      ),
      scheduler: fc.record(
        {
          queue_limit: fc.integer({ min: 0, max: 100 }),
          headroom: byteSize(),
          routing: fc.constantFrom("prefix", "least-busy", "random", "round-robin"),
          idle_unload: fc.oneof(duration(), fc.constant("0")),
          replica_after: duration(),
          replica_idle: duration(),
          swap_quantum: duration(),
        },
        { requiredKeys: [] },
      ),
      neurons: fc.array(
        fc.record(
          { name: nodeName(), endpoint: endpoint(), token: secret() },
          { requiredKeys: ["name", "endpoint"] },
        ),
        {
          maxLength: 4,
        },
      ),
    },
    { requiredKeys: [] },
  );
}

const modelName = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      "qwen3-tiny",
      "llama-tiny",
      "org/model",
      "claude-*",
      "claude-*-x",
      "*",
      "a\nb",
      "__proto__",
    ),
    fc.string({ maxLength: 8 }),
  );

function modelsDocument(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      models: fc.array(
        fc.record(
          {
            id: modelName(),
            aliases: fc.array(modelName(), { maxLength: 3 }),
            allowed_nodes: fc.array(nodeName(), { maxLength: 2 }),
            preferred_nodes: fc.array(nodeName(), { maxLength: 2 }),
            priority: fc.integer({ min: -10, max: 10 }),
            pinned: fc.boolean(),
            context_size: fc.integer({ min: 0, max: 1_000_000 }),
            expected_memory: byteSize(),
            replicas: fc.record(
              { min: fc.integer({ min: -1, max: 70 }), max: fc.integer({ min: -1, max: 70 }) },
              { requiredKeys: [] },
            ),
            idle_unload: fc.oneof(duration(), fc.constant("0")),
            sampling: fc.record(
              {
                temperature: fc.double({ min: 0, max: 3, noNaN: true }),
                top_p: fc.double({ min: 0, max: 1.5, noNaN: true }),
                top_k: fc.integer({ min: -1, max: 100 }),
                max_tokens: fc.integer({ min: 0, max: 10_000 }),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: ["id"] },
        ),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: [] },
  );
}

const threads = (): fc.Arbitrary<unknown> =>
  fc.oneof(fc.constant("auto"), fc.integer({ min: -1, max: 2000 }));

function neuronDocument(): fc.Arbitrary<Record<string, unknown>> {
  const override = fc.record(
    {
      context_size: fc.integer({ min: 0, max: 100_000 }),
      gpu_layers: fc.oneof(fc.constantFrom("auto", "max", "all"), fc.integer({ min: -1, max: 100 })),
      parallel: fc.integer({ min: 0, max: 70 }),
    },
    { requiredKeys: [] },
  );
  return fc.record(
    {
      name: nodeName(),
      listen: listen(),
      models_dir: fc.constantFrom("./models", "/var/lib/models", ""),
      cache_dir: fc.constantFrom("./cache", ""),
      threads: threads(),
      batch_threads: threads(),
      parallel: fc.integer({ min: 0, max: 70 }),
      context_size: fc.integer({ min: 0, max: 1_000_000 }),
      memory_budget: byteSize(),
      memory_headroom: byteSize(),
      gpu: fc.constantFrom("auto", "cuda", "vulkan", "metal", "cpu", "rocm"),
      gpu_layers: fc.oneof(fc.constantFrom("auto", "max"), fc.integer({ min: -1, max: 100 })),
      queue_limit: fc.integer({ min: -1, max: 100 }),
      auth_token: secret(),
      models: fc.dictionary(modelName(), override, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  );
}

/** A JSON value TOML can hold: no null (dropped, as a missing key). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === null) continue;
      Object.defineProperty(copy, key, {
        value: withoutNulls(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}

function toToml(document: unknown): string {
  const table = withoutNulls(document);
  try {
    // A mutation may have replaced the whole document with a scalar or an array: TOML's root is a table.
    return stringify(
      typeof table === "object" && table !== null && !Array.isArray(table) ? table : { value: table },
    );
  } catch {
    // Nested deeper than smol-toml writes: the same nesting as text, for the parser's own limit.
    return `models = ${"[".repeat(2000)}${"]".repeat(2000)}\n`;
  }
}

/** Character-level damage to TOML text: what a hand-edited file looks like half-way through an edit. */
function damagedText(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    remove: fc.integer({ min: 0, max: 8 }),
    insert: fc.oneof(
      fc.constantFrom(
        "[",
        "]",
        "[[",
        "]]",
        "=",
        '"',
        "'",
        '"""',
        "{",
        "}",
        ",",
        ".",
        "#",
        "\n",
        "\\",
        "\r",
        "\u0000",
        "\uFEFF",
        "=\n",
        "[gateway]\n",
        "[[neurons]]\n",
        "a.b.c = 1\n",
      ),
      fc.string({ maxLength: 6 }),
    ),
  });
  return fc.tuple(text, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([source, edits]) =>
    edits.reduce((current, { at, remove, insert }) => {
      const position = current.length === 0 ? 0 : at % (current.length + 1);
      return current.slice(0, position) + insert + current.slice(position + remove);
    }, source),
  );
}

/** Documents as TOML text: valid, mutated, damaged, or any string at all. */
function documents(
  valid: fc.Arbitrary<Record<string, unknown>>,
  keys: readonly string[],
): fc.Arbitrary<string> {
  const text = valid.map(toToml);
  return fc.oneof(
    { weight: 2, arbitrary: text },
    { weight: 5, arbitrary: mutated(valid, { keys }).map(toToml) },
    { weight: 3, arbitrary: damagedText(text) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  );
}

export const CORTEX_KEYS = [
  "gateway",
  "listen",
  "api_keys",
  "admin_key",
  "timeouts",
  "load",
  "first_byte",
  "eviction",
  "fleet",
  "poll_interval",
  "scheduler",
  "routing",
  "priority",
  "neurons",
  "name",
  "endpoint",
];
export const MODELS_KEYS = [
  "models",
  "id",
  "aliases",
  "allowed_nodes",
  "preferred_nodes",
  "replicas",
  "idle_unload",
  "sampling",
  "top_k",
];
export const NEURON_KEYS = [
  "name",
  "listen",
  "models",
  "threads",
  "parallel",
  "context_size",
  "memory_budget",
  "gpu_layers",
];

export function cortexToml(): fc.Arbitrary<string> {
  return documents(cortexDocument(), CORTEX_KEYS);
}

export function modelsToml(): fc.Arbitrary<string> {
  return documents(modelsDocument(), MODELS_KEYS);
}

export function neuronToml(): fc.Arbitrary<string> {
  return documents(neuronDocument(), NEURON_KEYS);
}
