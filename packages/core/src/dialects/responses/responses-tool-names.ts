/** What a canonical tool name stands for in the client's tool list. */
export interface ToolOrigin {
  /** `custom` tools take one raw string; their calls go back as `custom_tool_call`. */
  kind: "function" | "custom";
  /** The name as the client declared it (inside its namespace, if any). */
  name: string;
  namespace?: string;
}

/**
 * The one mapping between the client's tools and the flat, unique function names the model sees:
 * `namespace` tools are flattened to `<namespace>__<name>` (made unique if that collides), custom tools
 * keep their name. Calls coming back are mapped through it; names the model invented pass through as
 * plain functions.
 */
export class ResponsesToolNames {
  readonly #byFlat = new Map<string, ToolOrigin>();
  readonly #byOrigin = new Map<string, string>();

  /** Registers a tool and returns the name the model sees. */
  add(origin: ToolOrigin): string {
    const base = origin.namespace === undefined ? origin.name : `${origin.namespace}__${origin.name}`;
    let flat = base;
    for (let suffix = 2; this.#byFlat.has(flat); suffix += 1) flat = `${base}_${suffix}`;
    this.#byFlat.set(flat, origin);
    this.#byOrigin.set(originKey(origin), flat);
    return flat;
  }

  has(origin: ToolOrigin): boolean {
    return this.#byOrigin.has(originKey(origin));
  }

  /** A call's name on the way out. */
  origin(flat: string): ToolOrigin {
    return this.#byFlat.get(flat) ?? { kind: "function", name: flat };
  }

  /** A call in the client's history → the name the model saw (or would have seen) for it. */
  flat(origin: ToolOrigin): string {
    return (
      this.#byOrigin.get(originKey(origin)) ??
      (origin.namespace === undefined ? origin.name : `${origin.namespace}__${origin.name}`)
    );
  }
}

function originKey(origin: ToolOrigin): string {
  return JSON.stringify([origin.kind, origin.namespace ?? null, origin.name]);
}
