import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCortex } from "../src/cortex-main.js";
import type { CortexIo } from "../src/cortex-io.js";
import { runCli, startTestFleet, ADMIN_KEY, type TestFleet } from "./cli-fixture.js";

interface FleetJson {
  nodes: { name: string; models: { id: string; state: string; pinned: boolean }[] }[];
}

let fleet: TestFleet;
let gw: string[];

beforeAll(async () => {
  fleet = await startTestFleet();
  gw = ["--gateway", fleet.gateway.url];
});

afterAll(async () => {
  await fleet.close();
});

/** What the gateway itself says (not through the CLI under test). */
async function modelOnAlpha(id: string): Promise<{ state: string; pinned: boolean } | undefined> {
  const response = await fetch(`${fleet.gateway.url}/admin/fleet`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  const status = (await response.json()) as FleetJson;
  return status.nodes.find((node) => node.name === "alpha")?.models.find((model) => model.id === id);
}

describe("load, pin, unpin, unload, decisions", () => {
  it("load waits for the model and says where it went (no progress when stderr is not a terminal)", async () => {
    const result = await runCli(["load", "cold", ...gw]);
    expect(result).toEqual({ code: 0, stdout: "loaded cold on alpha\n", stderr: "" });
    expect(fleet.alpha.model("cold")?.state).toBe("loaded");
    expect(await modelOnAlpha("cold")).toMatchObject({ state: "loaded" });
  });

  it("decisions shows why the load went where it did", async () => {
    const table = await runCli(["decisions", "--limit", "5", ...gw]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toMatch(/^TIME \(UTC\) +KIND +MODEL +NODE +MESSAGE\n/);
    expect(table.stdout).toMatch(
      /\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +load +cold +alpha +loading cold on alpha /,
    );
    const json = await runCli(["decisions", "--json", "--limit", "5", ...gw]);
    expect(json).toMatchObject({ code: 0, stderr: "" });
    const { decisions } = JSON.parse(json.stdout) as {
      decisions: { kind: string; model: string; node: string }[];
    };
    expect(decisions).toContainEqual(expect.objectContaining({ kind: "load", model: "cold", node: "alpha" }));
  });

  it("pin and unpin, by id or alias", async () => {
    expect(await runCli(["pin", "w", ...gw])).toEqual({ code: 0, stdout: "pinned warm\n", stderr: "" });
    expect(await modelOnAlpha("warm")).toMatchObject({ pinned: true });
    expect(await runCli(["unpin", "warm", ...gw])).toEqual({
      code: 0,
      stdout: "unpinned warm\n",
      stderr: "",
    });
    expect(await modelOnAlpha("warm")).toMatchObject({ pinned: false });
  });

  it("unload frees the model, and says so when it was not loaded", async () => {
    expect(await runCli(["unload", "cold", "--node", "alpha", ...gw])).toEqual({
      code: 0,
      stdout: "unloaded cold from alpha\n",
      stderr: "",
    });
    expect(fleet.alpha.model("cold")?.state).toBe("unloaded");
    expect(await runCli(["unload", "cold", ...gw])).toEqual({
      code: 0,
      stdout: "cold was not loaded\n",
      stderr: "",
    });
  });

  it("exit 1 and the gateway's one-line message for a model no node offers", async () => {
    const result = await runCli(["load", "no-such-model", ...gw]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(/^error: [^\n]*no-such-model[^\n]*\n$/);
  });

  it("shows the model's state on a terminal's stderr while the load is pending", async () => {
    fleet.alpha.set({ holdLoads: true });
    const stdout: string[] = [];
    const stderr: string[] = [];
    let sawLoading: () => void = () => {};
    const loading = new Promise<void>((resolve) => (sawLoading = resolve));
    const io: CortexIo = {
      env: { CORTEX_ADMIN_KEY: ADMIN_KEY },
      stdout: { write: (text) => void stdout.push(text), isTTY: false },
      stderr: {
        write: (text) => {
          stderr.push(text);
          if (text.includes("cold: loading 0% on alpha")) sawLoading();
        },
        isTTY: true,
      },
      onInterrupt: () => () => {},
    };
    const run = runCortex(["load", "cold", ...gw], io);
    await loading;
    fleet.alpha.set({ holdLoads: false });
    await run;
    expect(stdout.join("")).toBe("loaded cold on alpha\n");
    expect(stderr[0]?.startsWith("\r\x1b[Kcold: ")).toBe(true);
    expect(stderr.at(-1)).toBe("\r\x1b[K");
  });
});
