import { describe, expect, it } from "vitest";
import { defaultModelsConfig, parseModelsConfig, resolveModelId } from "../../src/config/index.js";
import { issuesOf } from "./config-issues.js";

const parse = (text: string) => parseModelsConfig(text, "models.toml", "/etc/cortex");

describe("models.toml", () => {
  it("fills profile defaults", () => {
    expect(defaultModelsConfig()).toEqual({ models: [] });
    expect(parse(`[[models]]\nid = "m"`).models).toEqual([
      {
        id: "m",
        aliases: [],
        allowedNodes: undefined,
        preferredNodes: [],
        priority: 0,
        pinned: false,
        contextSize: undefined,
        expectedMemory: undefined,
        replicas: { min: 1, max: 1 },
        idleUnload: undefined,
        sampling: { temperature: undefined, topP: undefined, topK: undefined, maxTokens: undefined },
      },
    ]);
  });

  it('reads replicas and idle_unload, where "0" means never', () => {
    const [model] = parse(`
      [[models]]
      id = "m"
      replicas = { min = 2, max = 3 }
      idle_unload = "30m"
      [[models]]
      id = "n"
      replicas = { max = 4 }
      idle_unload = "0"
    `).models;
    expect(model).toMatchObject({ replicas: { min: 2, max: 3 }, idleUnload: 30 * 60_000 });
    expect(parse(`[[models]]\nid = "n"\nreplicas = { max = 4 }\nidle_unload = "0"`).models[0]).toMatchObject({
      replicas: { min: 1, max: 4 },
      idleUnload: 0,
    });
  });

  it("refuses replicas with min above max, out of range, or with unknown keys", () => {
    expect(
      issuesOf(() =>
        parse(`
          [[models]]
          id = "m"
          replicas = { min = 3, max = 2 }
          [[models]]
          id = "n"
          replicas = { min = 0, mx = 2 }
          idle_unload = "soon"
        `),
      ),
    ).toEqual([
      "models.toml: models[0].replicas.min: must be <= max (got min 3, max 2)",
      "models.toml: models[1].replicas.min: must be >= 1 (got 0)",
      'models.toml: models[1].replicas.mx: unknown key (did you mean "max"?)',
      'models.toml: models[1].idle_unload: invalid duration "soon" (e.g. "250ms", "5s", "2m", "1h" or milliseconds)',
    ]);
  });

  it("normalizes sizes and sampling keys", () => {
    const [model] = parse(`
      [[models]]
      id = "m"
      expected_memory = "512MiB"
      context_size = 4096
      [models.sampling]
      top_p = 0.9
      max_tokens = 100
    `).models;
    expect(model?.expectedMemory).toBe(512 * 1024 ** 2);
    expect(model?.contextSize).toBe(4096);
    expect(model?.sampling).toMatchObject({ topP: 0.9, maxTokens: 100 });
    expect(Object.isFrozen(model?.sampling)).toBe(true);
    expect(Object.isFrozen(model?.aliases)).toBe(true);
  });

  it("reports unknown keys in nested tables and wrong values", () => {
    expect(
      issuesOf(() =>
        parse(`
          [[models]]
          id = "m"
          pinned = "yes"
          priority = 1.5
          [models.sampling]
          top_p = 2
          temprature = 0.5
        `),
      ),
    ).toEqual([
      "models.toml: models[0].priority: expected an integer (got 1.5)",
      'models.toml: models[0].pinned: expected true or false (got "yes")',
      "models.toml: models[0].sampling.top_p: must be <= 1 (got 2)",
      'models.toml: models[0].sampling.temprature: unknown key (did you mean "temperature"?)',
    ]);
    expect(issuesOf(() => parse(`[[models]]\naliases = ["x"]`))).toEqual([
      "models.toml: models[0].id: required key is missing",
    ]);
    expect(issuesOf(() => parse(`[[models]]\nid = "m"\naliases = ["a*b"]`))).toEqual([
      'models.toml: models[0].aliases[0]: invalid alias "a*b" ("*" may only end an alias, as a prefix wildcard)',
    ]);
    expect(issuesOf(() => parse(`[models]\nid = "m"`))).toEqual([
      "models.toml: models: expected an array (got a table)",
    ]);
  });

  it("reports duplicate ids, reused aliases and preferred nodes outside allowed_nodes", () => {
    expect(
      issuesOf(() =>
        parse(`
          [[models]]
          id = "a"
          aliases = ["x", "claude-*"]
          allowed_nodes = ["n1"]
          preferred_nodes = ["n1", "n2"]
          [[models]]
          id = "b"
          aliases = ["a", "x", "claude-*"]
          [[models]]
          id = "a"
        `),
      ),
    ).toEqual([
      'models.toml: models[2].id: duplicate id "a" (also models[0].id)',
      'models.toml: models[1].aliases[0]: alias "a" is already a model id (models[0].id)',
      'models.toml: models[1].aliases[1]: alias "x" is already used by models[0].aliases[0]',
      'models.toml: models[1].aliases[2]: alias "claude-*" is already used by models[0].aliases[1]',
      'models.toml: models[0].preferred_nodes[1]: "n2" is not in allowed_nodes',
    ]);
  });

  it("keeps ids, aliases and node names holding a newline on one line (found by fuzzing)", () => {
    const issues = issuesOf(() =>
      parse(`
        [[models]]
        id = "a\\nb"
        aliases = ["x\\ny", "x\\ny"]
        allowed_nodes = ["n1"]
        preferred_nodes = ["a\\nb"]
        [[models]]
        id = "a\\nb"
      `),
    );
    expect(issues).toEqual([
      'models.toml: models[0].preferred_nodes[0]: invalid name "a\\nb" (use letters, digits, ".", "_" and "-")',
      'models.toml: models[1].id: duplicate id "a\\nb" (also models[0].id)',
      'models.toml: models[0].aliases[1]: alias "x\\ny" is already used by models[0].aliases[0]',
      'models.toml: models[0].preferred_nodes[0]: "a\\nb" is not in allowed_nodes',
    ]);
  });

  it("rejects an empty allowed_nodes", () => {
    expect(issuesOf(() => parse(`[[models]]\nid = "m"\nallowed_nodes = []`))).toEqual([
      "models.toml: models[0].allowed_nodes: must not be empty",
    ]);
  });
});

describe("resolveModelId", () => {
  const config = parse(`
    [[models]]
    id = "small"
    aliases = ["claude-haiku-4-5", "claude-*"]
    [[models]]
    id = "big"
    aliases = ["claude-sonnet-*", "claude-sonnet-4-5-exact"]
    [[models]]
    id = "claude-sonnet-4-5"
  `);

  it("prefers an exact id, then an exact alias, then the longest wildcard prefix", () => {
    expect(resolveModelId(config, "claude-sonnet-4-5").id).toBe("claude-sonnet-4-5");
    expect(resolveModelId(config, "claude-haiku-4-5").id).toBe("small");
    expect(resolveModelId(config, "claude-sonnet-4-5-exact").id).toBe("big");
    expect(resolveModelId(config, "claude-sonnet-4-0").id).toBe("big");
    expect(resolveModelId(config, "claude-opus-4-1").id).toBe("small");
  });

  it("returns the profile with the id", () => {
    const resolved = resolveModelId(config, "claude-opus-4-1");
    expect(resolved.profile?.id).toBe("small");
    expect(resolveModelId(config, "big").profile?.aliases).toEqual([
      "claude-sonnet-*",
      "claude-sonnet-4-5-exact",
    ]);
  });

  it("passes unknown ids through without a profile", () => {
    expect(resolveModelId(config, "gpt-4o")).toEqual({ id: "gpt-4o" });
  });

  it("lets an exact alias win over a wildcard listed before it", () => {
    const ordered = parse(`
      [[models]]
      id = "wild"
      aliases = ["gpt-*"]
      [[models]]
      id = "exact"
      aliases = ["gpt-4o"]
    `);
    expect(resolveModelId(ordered, "gpt-4o").id).toBe("exact");
    expect(resolveModelId(ordered, "gpt-4o-mini").id).toBe("wild");
  });
});
