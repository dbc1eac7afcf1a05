import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "../src/bench/bench-options.js";
import { Deadline } from "../src/bench/deadline.js";
import {
  DEFAULT_FLEET_BENCH,
  formatFleetReport,
  runFleetBench,
  runSession,
  summarizeFleetBench,
  type ChatFn,
  type FleetPlan,
  type FleetRun,
} from "../src/bench/fleet-bench.js";

/** A Deadline on a clock the test moves by hand. */
function clockedDeadline(budgetMs: number) {
  let now = 0;
  const deadline = new Deadline(budgetMs, () => now);
  return { deadline, advance: (ms: number) => (now += ms) };
}

function fakeRun(plan: FleetPlan, cutShort = false): FleetRun {
  return {
    policy: plan.reference ? "single-node-reference" : plan.policy,
    cutShort,
    turns: [1, 2].map((turn) => ({
      session: 0,
      turn,
      ttftMs: 10 * turn,
      promptTokens: 100,
      cachedTokens: turn === 1 ? 0 : 90,
      completionTokens: 4,
      node: "n1",
      route: "prefix",
    })),
    wallMs: 1000,
    completionTokens: 8,
    replicaLoads: 0,
    swaps: 0,
    burstReplicaDelayPolls: null,
    routes: {},
  };
}

describe("bench:fleet under --max-minutes", () => {
  it("starts no policy after the deadline and lists the ones left out (it ran all four whatever the budget)", async () => {
    const { deadline, advance } = clockedDeadline(10_000);
    const started: string[] = [];
    const result = await runFleetBench(
      DEFAULT_FLEET_BENCH,
      deadline,
      () => {},
      (plan) => {
        started.push(plan.label);
        advance(6_000);
        return Promise.resolve(fakeRun(plan));
      },
    );
    expect(started).toEqual(["least-busy", "prefix"]);
    expect(result.runs.map((run) => run.policy)).toEqual(["least-busy", "prefix"]);
    expect(result.skipped).toEqual([
      "fleet bench: random",
      "fleet bench: single node with an unbounded KV tier (reuse reference)",
    ]);
  });

  it("stops a session between turns once the deadline passes, and says the run was cut short", async () => {
    const { deadline, advance } = clockedDeadline(2_500);
    const sent: number[] = [];
    const send: ChatFn = (_model, messages) => {
      sent.push(messages.length);
      advance(1_000);
      return Promise.resolve({
        ttftMs: 5,
        promptTokens: 50,
        cachedTokens: 0,
        completionTokens: 4,
        node: "n1",
        route: "prefix",
        text: "ok",
      });
    };
    const session = await runSession(
      send,
      0,
      { ...DEFAULT_FLEET_BENCH, turns: 4, prefixTokens: 10 },
      deadline,
    );
    // Turns 1–3 started before the deadline (at 0, 1 and 2 s); turn 4 would have started after it.
    expect(session.turns.map((turn) => turn.turn)).toEqual([1, 2, 3]);
    expect(session.cutShort).toBe(true);
    expect(sent).toEqual([2, 4, 6]);

    const whole = await runSession(
      send,
      1,
      { ...DEFAULT_FLEET_BENCH, turns: 2, prefixTokens: 10 },
      clockedDeadline(60_000).deadline,
    );
    expect(whole.cutShort).toBe(false);
  });

  it("compares no run cut short, marks it in the table and lists what was skipped", () => {
    const prefix: FleetPlan = { policy: "prefix", reference: false, label: "prefix" };
    const leastBusy: FleetPlan = { policy: "least-busy", reference: false, label: "least-busy" };
    const summary = summarizeFleetBench([fakeRun(leastBusy), fakeRun(prefix, true)]);
    expect(summary.targets).toEqual({
      ttftP90: undefined,
      throughput: undefined,
      reuse: undefined,
      burstReplica: undefined,
    });
    const report = formatFleetReport(summary, DEFAULT_FLEET_BENCH, "## fleet", [
      "fleet bench: prefix, the turns after the deadline",
      "fleet bench: random",
    ]);
    expect(report).toContain("| prefix (cut short) |");
    expect(report).toContain(
      "Skipped (time budget, --max-minutes; cut-short runs are not compared): fleet bench: prefix, the turns " +
        "after the deadline; fleet bench: random.",
    );
  });

  it("takes --sessions, --turns and --prefix-tokens for a small fleet run, and the defaults otherwise", () => {
    const small = parseBenchArgs(["fleet", "--sessions", "2", "--turns", "2", "--prefix-tokens", "300"]);
    expect(small.fleet).toMatchObject({ sessions: 2, turns: 2, prefixTokens: 300 });
    expect(parseBenchArgs(["fleet", "--max-minutes", "0.5"]).maxMs).toBe(30_000);
    expect(parseBenchArgs(["fleet"]).fleet).toEqual(DEFAULT_FLEET_BENCH);
  });
});
