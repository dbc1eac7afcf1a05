import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  defaultCortexConfig,
  loadCortexConfig,
  parseCortexConfig,
} from "../../src/config/index.js";
import { issuesOf } from "./config-issues.js";

const parse = (text: string) => parseCortexConfig(text, "cortex.toml", "/etc/cortex");

describe("cortex.toml", () => {
  it("fills every default", () => {
    expect(defaultCortexConfig()).toEqual({
      gateway: {
        listen: { host: "0.0.0.0", port: 31313 },
        metricsListen: { host: "0.0.0.0", port: 31314 },
        apiKeys: [],
        clients: [],
        adminKey: undefined,
        neuronToken: undefined,
        defaultModel: undefined,
        bodyLimit: 32 * 1024 * 1024,
        maxConnections: 1024,
        modelsFile: undefined,
      },
      timeouts: { connect: 5000, firstByte: 300_000, idle: 120_000, load: 600_000, request: 60_000 },
      eviction: { strategy: "lru", defragAfterCycles: 50 },
      fleet: { pollInterval: 2000, downAfter: 3 },
      scheduler: {
        queueLimit: 64,
        headroom: 0,
        routing: "prefix",
        idleUnload: 0,
        replicaAfter: 2000,
        replicaIdle: 300_000,
        swapQuantum: 30_000,
      },
      responses: { storeSize: 64 * 1024 * 1024, storeMaxAge: 24 * 3600_000 },
      neurons: [],
    });
  });

  it("normalizes values and resolves models_file against the file's directory", () => {
    const config = parse(`
      [gateway]
      listen = "[::1]:8080"
      metrics_listen = ":9090"
      api_keys = ["a", "b"]
      body_limit = "1.5GiB"
      models_file = "profiles/models.toml"
      [timeouts]
      idle = "250ms"
      load = 1000
      [scheduler]
      headroom = "800k"
      [[neurons]]
      name = "beast"
      endpoint = "https://beast.internal:13131/"
      token = "t"
    `);
    expect(config.gateway.listen).toEqual({ host: "::1", port: 8080 });
    expect(config.gateway.metricsListen).toEqual({ host: "0.0.0.0", port: 9090 });
    expect(config.gateway.apiKeys).toEqual(["a", "b"]);
    expect(config.gateway.bodyLimit).toBe(1.5 * 1024 ** 3);
    expect(config.gateway.modelsFile).toBe("/etc/cortex/profiles/models.toml");
    expect(config.timeouts).toMatchObject({ idle: 250, load: 1000, connect: 5000 });
    expect(config.scheduler.headroom).toBe(800_000);
    expect(config.neurons).toEqual([{ name: "beast", endpoint: "https://beast.internal:13131", token: "t" }]);
  });

  it("reads api keys bare or as tables with a name and a priority class", () => {
    const config = parse(`
      [gateway]
      api_keys = ["a", { key = "b", name = "batch", priority = "low" }, { key = "c", priority = "high", priority_header = true }]
      [scheduler]
      routing = "least-busy"
      idle_unload = "30m"
      replica_after = "500ms"
      replica_idle = "1m"
      swap_quantum = "10s"
    `);
    expect(config.gateway.apiKeys).toEqual(["a", "b", "c"]);
    expect(config.gateway.clients).toEqual([
      { name: "key-1", priority: "normal", priorityHeader: false },
      { name: "batch", priority: "low", priorityHeader: false },
      { name: "key-3", priority: "high", priorityHeader: true },
    ]);
    expect(config.scheduler).toMatchObject({
      routing: "least-busy",
      idleUnload: 1_800_000,
      replicaAfter: 500,
      replicaIdle: 60_000,
      swapQuantum: 10_000,
    });
  });

  it("reports a bad api key entry by its own key, never echoing a key", () => {
    expect(
      issuesOf(() =>
        parse(`
          [gateway]
          api_keys = [1, { key = "b", prioity = "high" }, { key = "sk-secret", priority = "urgent" }, { key = "sk-secret" }]
        `),
      ),
    ).toEqual([
      "cortex.toml: gateway.api_keys[0]: expected a key or a table { key, name, priority, priority_header } (got 1)",
      'cortex.toml: gateway.api_keys[1].prioity: unknown key (did you mean "priority"?)',
      'cortex.toml: gateway.api_keys[2].priority: Invalid option: expected one of "high"|"normal"|"low"',
      "cortex.toml: gateway.api_keys[3].key: duplicate key (same as api_keys[2].key)",
    ]);
  });

  it("is deeply frozen", () => {
    const config = parse(`[[neurons]]\nname = "a"\nendpoint = "http://a:1"`);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.gateway.listen)).toBe(true);
    expect(Object.isFrozen(config.neurons)).toBe(true);
    expect(Object.isFrozen(config.neurons[0])).toBe(true);
    expect(() => {
      (config.eviction as { strategy: string }).strategy = "priority";
    }).toThrow(TypeError);
  });

  it("reports an unknown key with a did-you-mean at its nested path", () => {
    expect(issuesOf(() => parse(`[eviction]\nstratgy = "lru"`))).toEqual([
      'cortex.toml: eviction.stratgy: unknown key (did you mean "strategy"?)',
    ]);
    expect(issuesOf(() => parse(`[[neurons]]\nname = "a"\nendpiont = "http://a:1"`))).toEqual([
      "cortex.toml: neurons[0].endpoint: required key is missing",
      'cortex.toml: neurons[0].endpiont: unknown key (did you mean "endpoint"?)',
    ]);
  });

  it("lists the allowed keys when nothing is close", () => {
    expect(issuesOf(() => parse(`[fleet]\nbanana = 1`))).toEqual([
      "cortex.toml: fleet.banana: unknown key (expected one of: poll_interval, down_after)",
    ]);
  });

  it("suggests snake_case for camelCase keys", () => {
    expect(issuesOf(() => parse(`[gateway]\nbodyLimit = "1MiB"`))).toEqual([
      'cortex.toml: gateway.bodyLimit: unknown key (did you mean "body_limit"?)',
    ]);
  });

  it("reports wrong types, bad enums, URLs, sizes, durations and listen addresses", () => {
    expect(issuesOf(() => parse(`[eviction]\nstrategy = "fifo"`))).toEqual([
      'cortex.toml: eviction.strategy: must be one of lru, priority (got "fifo")',
    ]);
    expect(issuesOf(() => parse(`[gateway]\ndefault_model = 5`))).toEqual([
      "cortex.toml: gateway.default_model: expected a string (got 5)",
    ]);
    expect(issuesOf(() => parse(`gateway = 5`))).toEqual(["cortex.toml: gateway: expected a table (got 5)"]);
    expect(issuesOf(() => parse(`[eviction]\ndefrag_after_cycles = 1.5`))).toEqual([
      "cortex.toml: eviction.defrag_after_cycles: expected an integer (got 1.5)",
    ]);
    expect(issuesOf(() => parse(`[fleet]\ndown_after = 0`))).toEqual([
      "cortex.toml: fleet.down_after: must be >= 1 (got 0)",
    ]);
    expect(
      issuesOf(() =>
        parse(
          `[[neurons]]\nname = "a"\nendpoint = "http://a:1"\n[[neurons]]\nname = "b"\nendpoint = "htp:/x"`,
        ),
      ),
    ).toEqual(['cortex.toml: neurons[1].endpoint: invalid URL "htp:/x"']);
    expect(issuesOf(() => parse(`[gateway]\nbody_limit = "12XB"`))).toEqual([
      'cortex.toml: gateway.body_limit: invalid byte size "12XB" (e.g. "512MiB", "1.5GiB", "800k" or a number of bytes)',
    ]);
    expect(issuesOf(() => parse(`[timeouts]\nidle = "soon"`))).toEqual([
      'cortex.toml: timeouts.idle: invalid duration "soon" (e.g. "250ms", "5s", "2m", "1h" or milliseconds)',
    ]);
    expect(issuesOf(() => parse(`[timeouts]\nconnect = true`))).toEqual([
      'cortex.toml: timeouts.connect: expected a duration like "5s" or a number of milliseconds (got true)',
    ]);
    expect(issuesOf(() => parse(`[gateway]\nlisten = "0.0.0.0:70000"`))).toEqual([
      'cortex.toml: gateway.listen: invalid port in listen address "0.0.0.0:70000" (expected 0..65535)',
    ]);
    expect(issuesOf(() => parse(`[[neurons]]\nname = "has space"\nendpoint = "http://a:1"`))).toEqual([
      'cortex.toml: neurons[0].name: invalid name "has space" (use letters, digits, ".", "_" and "-")',
    ]);
    expect(issuesOf(() => parse(`[gateway]\napi_keys = []`))).toEqual([
      "cortex.toml: gateway.api_keys: must not be empty",
    ]);
  });

  it("reports duplicate neuron names, endpoints and api keys without echoing keys", () => {
    const issues = issuesOf(() =>
      parse(`
        [gateway]
        api_keys = ["secret-1", "secret-2", "secret-1"]
        admin_key = "secret-2"
        [[neurons]]
        name = "a"
        endpoint = "http://host:1"
        [[neurons]]
        name = "a"
        endpoint = "http://HOST:1/"
      `),
    );
    expect(issues).toEqual([
      'cortex.toml: neurons[1].name: duplicate name "a" (also neurons[0].name)',
      'cortex.toml: neurons[1].endpoint: duplicate endpoint "http://host:1" (also neurons[0].endpoint)',
      "cortex.toml: gateway.api_keys[2]: duplicate key (same as api_keys[0])",
      "cortex.toml: gateway.admin_key: must differ from every api_keys entry (an api key would otherwise grant admin)",
    ]);
    expect(issues.join("\n")).not.toContain("secret");
  });

  it("reports every problem in one error, each on one line", () => {
    const run = () =>
      parse(`
        [gateway]
        listen = "nope"
        [eviction]
        strategy = "fifo"
        stratgy = "lru"
        [[neurons]]
        name = "a"
        endpoint = "ftp://a"
        [[neurons]]
        name = "a"
        endpoint = "http://b:1"
      `);
    const issues = issuesOf(run);
    expect(issues).toEqual([
      'cortex.toml: gateway.listen: invalid listen address "nope" (expected "host:port", ":port" or "[ipv6]:port")',
      'cortex.toml: eviction.strategy: must be one of lru, priority (got "fifo")',
      'cortex.toml: eviction.stratgy: unknown key (did you mean "strategy"?)',
      'cortex.toml: neurons[0].endpoint: invalid URL "ftp://a"',
      'cortex.toml: neurons[1].name: duplicate name "a" (also neurons[0].name)',
    ]);
    expect(() => run()).toThrow(issues.join("\n"));
  });

  it('refuses a timeout longer than Node.js can arm (load = "600h" fired after 1 ms; 1e300 threw per request)', () => {
    // Found by the config-loader property test: both used to load, the first as a load timeout that
    // expired at once (a TimeoutOverflowWarning), the second as one AbortSignal.timeout() refused.
    expect(issuesOf(() => parse(`[timeouts]\nload = "600h"`))).toEqual([
      'cortex.toml: timeouts.load: must be <= 2147483647 ms, about 596h, the longest timer Node.js can arm (got "600h")',
    ]);
    expect(issuesOf(() => parse(`[fleet]\npoll_interval = 1e300`))).toEqual([
      "cortex.toml: fleet.poll_interval: must be <= 2147483647 ms, about 596h, the longest timer Node.js can arm (got 1e+300)",
    ]);
    expect(parse(`[timeouts]\nload = "596h"`).timeouts.load).toBe(596 * 3_600_000);
  });

  it("keeps a duplicate name holding a newline on one line (found by fuzzing)", () => {
    const issues = issuesOf(() =>
      parse(
        `[[neurons]]\nname = "a\\nb"\nendpoint = "http://x:1"\n[[neurons]]\nname = "a\\nb"\nendpoint = "http://y:1"`,
      ),
    );
    expect(issues).toContain('cortex.toml: neurons[1].name: duplicate name "a\\nb" (also neurons[0].name)');
    for (const issue of issues) expect(issue).not.toMatch(/[\r\n]/);
  });

  it("quotes at most 60 characters of a bad value, however long it is (found by fuzzing)", () => {
    const long = "250ms".repeat(400);
    const [issue] = issuesOf(() => parse(`[timeouts]\nfirst_byte = "${long}"`));
    expect(issue).toBe(
      `cortex.toml: timeouts.first_byte: invalid duration "${long.slice(0, 57)}..." (e.g. "250ms", "5s", "2m", "1h" or milliseconds)`,
    );
  });

  it("reports a TOML syntax error as one line with line and column", () => {
    expect(issuesOf(() => parse(`[gateway]\nlisten = "a:1"\nbody_limit = `))).toEqual([
      "cortex.toml: line 3, column 14: TOML syntax error: invalid value",
    ]);
  });

  it("loads a file relative to its directory and reports a missing one in one line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cortex-config-"));
    const path = join(dir, "cortex.toml");
    await writeFile(path, `\uFEFF[gateway]\nmodels_file = "models.toml"\n`);
    expect((await loadCortexConfig(path)).gateway.modelsFile).toBe(join(dir, "models.toml"));

    const missing = join(dir, "absent.toml");
    const error = await loadCortexConfig(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([`${missing}: file not found`]);
  });
});
