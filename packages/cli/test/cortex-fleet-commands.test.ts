import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli, startTestFleet, streamOneChat, ADMIN_KEY, type TestFleet } from "./cli-fixture.js";

interface StatusJson {
  nodes: {
    name: string;
    state: string;
    error: string | null;
    backend: string | null;
    models: { id: string; state: string; in_flight: number; pinned: boolean }[];
    decode_tokens_per_second: number | null;
  }[];
}

let fleet: TestFleet;
let gw: string[];

beforeAll(async () => {
  fleet = await startTestFleet();
  gw = ["--gateway", fleet.gateway.url, "--metrics", fleet.gateway.metricsUrl];
  await streamOneChat(fleet);
});

afterAll(async () => {
  await fleet.close();
});

describe("cortex status", () => {
  it("--json: the fleet with tok/s per node from the metrics endpoint", async () => {
    const result = await runCli(["status", "--json", ...gw]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const status = JSON.parse(result.stdout) as StatusJson;
    const [alpha, beta] = status.nodes;
    expect(alpha).toMatchObject({ name: "alpha", state: "up", backend: "cpu" });
    expect(alpha?.models.find((model) => model.id === "warm")).toMatchObject({
      state: "loaded",
      in_flight: 0,
    });
    expect(alpha?.decode_tokens_per_second).toBeGreaterThan(0);
    expect(beta).toMatchObject({ name: "beta", state: "down", decode_tokens_per_second: null });
    expect(beta?.error).toMatch(/refused/);
  });

  it("piped: a plain table, one whole row per loaded model, and why a node is down", async () => {
    const result = await runCli(["status", ...gw]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^NODE +HEALTH +BACKEND +GPUS +MEMORY +TOK\/S +MODEL +STATE +IN-FLIGHT +QUEUED +IDLE$/,
    );
    expect(lines[1]).toMatch(
      /^alpha +up +cpu +- +30 MiB \/ 100 MiB budget +\d+(\.\d)? +warm +loaded +0 +0 +\S+$/,
    );
    expect(lines[2]).toMatch(/^beta +down +- +- +- +- +-$/);
    expect(lines.slice(3)).toEqual(["", "beta: neuron beta refused the connection", ""]);
    expect(result.stdout).not.toContain("\x1b[");
  });

  it("reads CORTEX_GATEWAY and CORTEX_METRICS when no flags are given", async () => {
    const result = await runCli(["status", "--json"], {
      CORTEX_GATEWAY: fleet.gateway.url,
      CORTEX_METRICS: fleet.gateway.metricsUrl,
    });
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as StatusJson;
    expect(status.nodes[0]?.decode_tokens_per_second).toBeGreaterThan(0);
  });

  it("shows '-' for tok/s when the metrics endpoint cannot be reached", async () => {
    const metrics = `http://127.0.0.1:${fleet.deadPort}`;
    const result = await runCli(["status", "--gateway", fleet.gateway.url, "--metrics", metrics]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.split("\n")[1]).toMatch(/budget +- +warm/);
  });

  it("--watch --json: one JSON line per snapshot until Ctrl-C, then exit 0", async () => {
    const child = spawnCli(["status", "--watch", "--json", ...gw], { CORTEX_ADMIN_KEY: ADMIN_KEY });
    let stdout = "";
    await new Promise<void>((resolve) => {
      child.stdout?.on("data", (data: Buffer) => {
        stdout += data.toString();
        if (stdout.includes("\n")) resolve();
      });
    });
    child.kill("SIGINT");
    const [code] = (await once(child, "close")) as [number | null];
    expect(code).toBe(0);
    const first = JSON.parse(stdout.split("\n")[0] ?? "") as StatusJson;
    expect(first.nodes.map((node) => node.name)).toEqual(["alpha", "beta"]);
  });
});

describe("cortex models", () => {
  it("lists the catalogue with where each model is loaded", async () => {
    const result = await runCli(["models", "--gateway", fleet.gateway.url]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.split("\n")).toEqual([
      "MODEL  STATE     LOADED ON  CONTEXT  ARCH   QUANT  ALIAS OF",
      "cold   unloaded  -             4096  llama  Q8_0   -",
      "warm   loaded    alpha         4096  llama  Q8_0   -",
      "w      loaded    alpha         4096  llama  Q8_0   warm",
      "",
    ]);
  });

  it("--json: the /v1/models entries", async () => {
    const result = await runCli(["models", "--json", "--gateway", fleet.gateway.url]);
    expect(result.code).toBe(0);
    const models = JSON.parse(result.stdout) as { id: string; loaded_on: string[] }[];
    expect(models.map((model) => [model.id, model.loaded_on])).toEqual([
      ["cold", []],
      ["warm", ["alpha"]],
      ["w", ["alpha"]],
    ]);
  });
});

describe("exit codes and error lines", () => {
  it("3 and one line when nothing answers at the gateway URL", async () => {
    const url = `http://127.0.0.1:${fleet.deadPort}`;
    const result = await runCli(["status", "--gateway", url]);
    expect(result).toEqual({
      code: 3,
      stdout: "",
      stderr: `error: cannot reach the gateway at ${url} (connection refused)\n`,
    });
  });

  it("1 with the gateway's message when a request fails (no admin key)", async () => {
    const result = await runCli(["decisions", "--gateway", fleet.gateway.url], { CORTEX_ADMIN_KEY: "" });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: missing admin key (Authorization: Bearer <key> or x-api-key) (set CORTEX_ADMIN_KEY)\n",
    });
  });

  it("2 for a bad flag, a bad --limit or a bad --gateway, before any request", async () => {
    const [unknown, limit, url] = await Promise.all([
      runCli(["status", "--bogus"]),
      runCli(["decisions", "--limit", "0", "--gateway", fleet.gateway.url]),
      runCli(["models", "--gateway", "localhost:31313"]),
    ]);
    expect(unknown).toMatchObject({ code: 2, stdout: "", stderr: "error: unknown option '--bogus'\n" });
    expect(limit).toMatchObject({
      code: 2,
      stderr: 'error: --limit must be a whole number of at least 1, got "0"\n',
    });
    expect(url).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: --gateway: .*\n$/) });
  });
});
