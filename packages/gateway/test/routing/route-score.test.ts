import { SHORT_PROMPT_TOKENS } from "@cortex/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  JUMP_MIN_REUSE_TOKENS,
  chooseRoute,
  describeMove,
  scoreCandidates,
  type RouteCandidate,
  type RouteCosts,
} from "../../src/routing/route-score.js";

const COSTS: RouteCosts = { serviceMs: 4000, prefillMsPerToken: 0.25 };

function candidate(node: string, overrides: Partial<RouteCandidate> = {}): RouteCandidate {
  return {
    node,
    health: "up",
    slots: 4,
    busy: 0,
    waitingAhead: 0,
    reuseTokens: 0,
    reuseSource: null,
    leftTokens: null,
    prefillMsPerToken: null,
    preferred: false,
    ...overrides,
  };
}

const holds = (tokens: number, source: RouteCandidate["reuseSource"] = "sequence") => ({
  reuseTokens: tokens,
  reuseSource: source,
});

describe("chooseRoute: prefix", () => {
  it("keeps a session on the node holding its prefix while that node has a free sequence", () => {
    const choice = chooseRoute(
      "prefix",
      [candidate("a", { busy: 0 }), candidate("b", { busy: 3, ...holds(8000) }), candidate("c", { busy: 1 })],
      COSTS,
    );
    expect(choice).toMatchObject({ node: "b", dispatch: true });
    expect(choice && describeMove(choice)).toBeNull();
  });

  it("waits for the prefix node when a sequence frees there sooner than the prefix is recomputed", () => {
    // Full: the next of 4 sequences frees in ~1 s; recomputing 8000 tokens elsewhere costs ~2 s.
    const choice = chooseRoute(
      "prefix",
      [candidate("a"), candidate("b", { busy: 4, ...holds(8000) })],
      COSTS,
    );
    expect(choice).toMatchObject({ node: "b", dispatch: false });
  });

  it("charges recomputing on a busy node its shared prompt evaluation: the session waits for its holder", () => {
    // The holder frees a sequence in ~1 s; recomputing 3000 tokens costs 0.75 s on an idle node, but
    // twice that on one already running a request (prompts there are evaluated one batch at a time).
    const holder = candidate("b", { busy: 4, ...holds(3000) });
    expect(chooseRoute("prefix", [candidate("a", { busy: 0 }), holder], COSTS)).toMatchObject({ node: "a" });
    expect(chooseRoute("prefix", [candidate("a", { busy: 1 }), holder], COSTS)).toMatchObject({
      node: "b",
      dispatch: false,
    });
  });

  it("moves when waiting costs more than recomputing, and says why", () => {
    const choice = chooseRoute(
      "prefix",
      [candidate("a"), candidate("b", { busy: 4, waitingAhead: 6, ...holds(8000) })],
      COSTS,
    );
    expect(choice).toMatchObject({ node: "a", dispatch: true });
    expect(choice && describeMove(choice)).toMatch(
      /^left b, which holds 8000 tokens of the prompt \(sequence\): waiting there ~7000 ms \(4 busy of 4 sequences, 6 queued\) costs more than recomputing 8000 tokens on a ~2000 ms$/,
    );
  });

  it("weighs a node's own prefill speed: a fast node recomputes what a slow one would make wait for", () => {
    const slow = { prefillMsPerToken: 2 };
    const holder = candidate("b", { busy: 4, ...holds(8000), ...slow });
    expect(chooseRoute("prefix", [candidate("a", slow), holder], COSTS)?.node).toBe("b");
    expect(chooseRoute("prefix", [candidate("a", { prefillMsPerToken: 0.01 }), holder], COSTS)?.node).toBe(
      "a",
    );
  });

  it("counts a prefix in the KV tier almost like one in a sequence", () => {
    const choice = chooseRoute(
      "prefix",
      [candidate("a", { busy: 1, ...holds(6000, "disk") }), candidate("b", holds(2000))],
      COSTS,
    );
    expect(choice?.node).toBe("a");
  });

  it("without any prefix balances like least-busy: least busy, then preferred, then name", () => {
    const nodes = [
      candidate("a", { busy: 2 }),
      candidate("b", { busy: 1, preferred: true }),
      candidate("c", { busy: 1 }),
    ];
    expect(chooseRoute("prefix", nodes, COSTS)?.node).toBe("b");
    expect(chooseRoute("least-busy", nodes, COSTS)?.node).toBe("b");
  });

  it("uses a degraded node only when no up node has the model", () => {
    const degraded = candidate("a", { health: "degraded", ...holds(8000) });
    expect(chooseRoute("prefix", [degraded, candidate("b", { busy: 3 })], COSTS)?.node).toBe("b");
    expect(chooseRoute("prefix", [degraded], COSTS)?.node).toBe("a");
    expect(chooseRoute("prefix", [], COSTS)).toBeNull();
  });

  it("never queues on a node that does not report its sequences (it queues for itself)", () => {
    const choice = chooseRoute("prefix", [candidate("a", { slots: Infinity, busy: 50 })], COSTS);
    expect(choice).toMatchObject({ node: "a", dispatch: true });
  });
});

describe("chooseRoute: least-busy and random", () => {
  it("least-busy waits for whichever node frees first when all are full", () => {
    const full = [candidate("a", { busy: 4 }), candidate("b", { busy: 5 })];
    expect(chooseRoute("least-busy", full, COSTS)).toMatchObject({ node: null, dispatch: false });
  });

  it("random picks among free nodes with the injected random number", () => {
    const nodes = [candidate("a"), candidate("b", { busy: 4 }), candidate("c")];
    const picks = [0, 0.49, 0.5, 0.99].map((r) => chooseRoute("random", nodes, COSTS, () => r)?.node);
    expect(picks).toEqual(["a", "a", "c", "c"]);
    expect(chooseRoute("random", [candidate("b", { busy: 4 })], COSTS)).toMatchObject({
      node: null,
      dispatch: false,
    });
  });
});

describe("chooseRoute: short requests", () => {
  it("sends a short request to the full node holding its prefix at once: the node serves it first", () => {
    const holder = candidate("b", { busy: 4, ...holds(8000), leftTokens: 40 });
    expect(chooseRoute("prefix", [candidate("a", { busy: 4 }), holder], COSTS)).toMatchObject({
      node: "b",
      dispatch: true,
    });
    // One such request per sequence at most: beyond that it waits here like any other.
    expect(
      chooseRoute("prefix", [candidate("a", { busy: 4 }), { ...holder, busy: 6, waitingAhead: 2 }], COSTS),
    ).toMatchObject({ node: "b", dispatch: false });
  });

  it("a long request, or one the node holds nothing of, waits for a free sequence", () => {
    const long = candidate("b", { busy: 4, ...holds(8000), leftTokens: SHORT_PROMPT_TOKENS + 1 });
    expect(chooseRoute("prefix", [long], COSTS)).toMatchObject({ node: "b", dispatch: false });
    const cold = candidate("b", { busy: 4, leftTokens: 40 });
    expect(chooseRoute("prefix", [cold], COSTS)).toMatchObject({ node: "b", dispatch: false });
    // A small prompt held whole: its wait is for a sequence, the gateway's queue keeps it.
    const small = candidate("b", { busy: 4, ...holds(JUMP_MIN_REUSE_TOKENS - 1), leftTokens: 5 });
    expect(chooseRoute("prefix", [small], COSTS)).toMatchObject({ node: "b", dispatch: false });
  });

  it("least-busy and random do not look at prefixes: no request jumps", () => {
    const holder = candidate("b", { busy: 4, ...holds(8000), leftTokens: 40 });
    expect(chooseRoute("least-busy", [holder], COSTS)).toMatchObject({ node: null, dispatch: false });
    expect(chooseRoute("random", [holder], COSTS)).toMatchObject({ node: null, dispatch: false });
  });
});

const candidates = fc
  .uniqueArray(
    fc.record({
      node: fc.constantFrom("a", "b", "c", "d", "e"),
      health: fc.constantFrom("up" as const, "degraded" as const),
      slots: fc.integer({ min: 1, max: 8 }),
      busy: fc.integer({ min: 0, max: 12 }),
      waitingAhead: fc.integer({ min: 0, max: 6 }),
      reuseTokens: fc.integer({ min: 0, max: 20_000 }),
      reuseSource: fc.constantFrom(
        null,
        "sequence" as const,
        "ram" as const,
        "disk" as const,
        "routed" as const,
      ),
      leftTokens: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: null }),
      prefillMsPerToken: fc.option(fc.double({ min: 0.01, max: 3, noNaN: true }), { nil: null }),
      preferred: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5, selector: (c) => c.node },
  )
  .map((list) => list.map((c): RouteCandidate => (c.reuseSource === null ? { ...c, reuseTokens: 0 } : c)));
const costs = fc.record({
  serviceMs: fc.integer({ min: 1, max: 60_000 }),
  prefillMsPerToken: fc.double({ min: 0.01, max: 3, noNaN: true }),
});

describe("chooseRoute: properties", () => {
  it("prefix picks the cheapest candidate, and sends it now exactly when that node has a free sequence or it is short there", () => {
    fc.assert(
      fc.property(candidates, costs, (list, cost) => {
        const choice = chooseRoute("prefix", list, cost);
        const chosen = choice?.scored.find((entry) => entry.candidate.node === choice.node);
        expect(chosen).toBeDefined();
        for (const entry of choice?.scored ?? []) expect(chosen?.costMs).toBeLessThanOrEqual(entry.costMs);
        expect(choice?.dispatch).toBe((chosen?.free ?? false) || (chosen?.jumps ?? false));
        for (const entry of choice?.scored ?? []) {
          const c = entry.candidate;
          const load = c.busy + c.waitingAhead;
          expect(entry.jumps).toBe(
            !entry.free &&
              c.reuseSource !== null &&
              c.reuseTokens >= JUMP_MIN_REUSE_TOKENS &&
              c.leftTokens !== null &&
              c.leftTokens <= SHORT_PROMPT_TOKENS &&
              load < 2 * c.slots,
          );
        }
      }),
    );
  });

  it("more of the prompt on the chosen node never sends the request elsewhere", () => {
    fc.assert(
      fc.property(candidates, costs, fc.integer({ min: 1, max: 20_000 }), (list, cost, extra) => {
        const before = chooseRoute("prefix", list, cost);
        const richer = list.map((c) =>
          c.node === before?.node
            ? { ...c, reuseTokens: c.reuseTokens + extra, reuseSource: c.reuseSource ?? "sequence" }
            : c,
        );
        expect(chooseRoute("prefix", richer, cost)?.node).toBe(before?.node);
      }),
    );
  });

  it("more load on a node that was not chosen never makes it chosen", () => {
    fc.assert(
      fc.property(candidates, costs, fc.integer({ min: 1, max: 10 }), (list, cost, more) => {
        const before = chooseRoute("prefix", list, cost);
        for (const other of list.filter((c) => c.node !== before?.node)) {
          const busier = list.map((c) => (c === other ? { ...c, busy: c.busy + more } : c));
          expect(chooseRoute("prefix", busier, cost)?.node).not.toBe(other.node);
        }
      }),
    );
  });

  it("with one candidate, chooses it as scoring would: there if free or short there, else queued (for it under prefix)", () => {
    fc.assert(
      fc.property(
        candidates.map((list) => list.slice(0, 1)),
        costs,
        fc.constantFrom("prefix" as const, "least-busy" as const, "random" as const),
        (list, cost, policy) => {
          const [only] = scoreCandidates(list, cost, policy === "prefix");
          expect(chooseRoute(policy, list, cost)).toEqual({
            node: only?.free || policy === "prefix" ? only?.candidate.node : null,
            dispatch: (only?.free ?? false) || (only?.jumps ?? false),
            scored: [only],
          });
        },
      ),
    );
  });

  it("least-busy and random only ever send to a node with a free sequence", () => {
    fc.assert(
      fc.property(candidates, costs, fc.double({ min: 0, max: 0.999, noNaN: true }), (list, cost, r) => {
        for (const policy of ["least-busy", "random"] as const) {
          const choice = chooseRoute(policy, list, cost, () => r);
          if (!choice?.dispatch) continue;
          const chosen = list.find((c) => c.node === choice.node);
          expect(chosen && chosen.busy + chosen.waitingAhead).toBeLessThan(chosen?.slots ?? 0);
        }
      }),
    );
  });
});
