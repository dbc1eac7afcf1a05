import { readSseMessages } from "@cortex/core";
import type { FakeNeuron } from "@cortex/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/start-gateway.js";
import { ADMIN_KEY, launchChromium, startDashboardFleet, streamChat } from "./dashboard-fixture.js";

const SCREENSHOT = "/tmp/cortex-dashboard.png";

let neuron: FakeNeuron;
let gateway: RunningGateway;
let browser: Browser;
let traffic: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  ({ neuron, gateway } = await startDashboardFleet());
});

afterAll(async () => {
  // A load still held would keep the gateway's close waiting on its request.
  neuron?.set({ holdLoads: false });
  await traffic?.stop().catch(() => undefined);
  await browser?.close();
  await gateway?.close();
  await neuron?.close();
});

describe("fleet dashboard", () => {
  it("serves a self-contained page and keeps the event stream behind the admin key", async () => {
    const page = await fetch(`${gateway.url}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).toContain('src="/ui/assets/dashboard.js"');
    expect((await fetch(`${gateway.url}/ui/assets/..%2Fpackage.json`)).status).toBe(404);

    expect((await fetch(`${gateway.url}/ui/events`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/ui/events?key=wrong`)).status).toBe(401);
  });

  it("streams a snapshot on connect and each decision as it is made", async () => {
    const controller = new AbortController();
    const events = await fetch(`${gateway.url}/ui/events?key=${ADMIN_KEY}`, { signal: controller.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    if (!events.body) throw new Error("no body");
    const messages = readSseMessages(events.body);
    const first = (await messages.next()).value;
    expect(first?.event).toBe("snapshot");
    const snapshot = JSON.parse(first?.data ?? "null") as { fleet: { nodes: { name: string }[] } };
    expect(snapshot).toMatchObject({ fleet: { nodes: [{ name: "alpha" }] }, rates: [], decisions: [] });

    await post("/admin/models/pin", { model: "warm" });
    for await (const message of messages) {
      if (message.event !== "decision") continue;
      expect(JSON.parse(message.data)).toMatchObject({ kind: "pin", model: "warm" });
      break;
    }
    controller.abort();
  });

  it("shows the node, a model loading live, then loaded, and the decisions", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    const problems = watchForProblems(page);
    await page.goto(`${gateway.url}/ui?key=${ADMIN_KEY}`);

    const card = page.locator('article.node[data-node="alpha"]');
    await card.locator(".badge", { hasText: "up" }).waitFor();
    await card.locator(".meter-memory .meter-value", { hasText: "1.2 GiB / 24 GiB" }).waitFor();
    await card.locator('tr.model[data-model="warm"] .pin').waitFor();
    expect(page.url()).not.toContain(ADMIN_KEY);

    // Traffic on the warm model, at varying speeds, feeds its tok/s and TTFT sparklines.
    traffic = keepChatting(neuron, gateway.url, "warm");

    const load = post("/admin/models/load", { model: "cold" });
    const cold = card.locator('tr.model[data-model="cold"]');
    await cold.locator(".state", { hasText: "loading" }).waitFor();
    await page.locator(".decision", { hasText: "loading cold on alpha" }).waitFor();

    const warm = card.locator('tr.model[data-model="warm"]');
    const samples = async (): Promise<number> =>
      Number(await warm.locator("svg.spark").first().getAttribute("data-samples"));
    await expect.poll(samples, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await warm.locator(".rate-value", { hasText: "tok/s" }).waitFor();
    await warm.locator(".rate-value", { hasText: /\d ms$/ }).waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await traffic.stop();

    neuron.set({ holdLoads: false });
    expect((await load).status).toBe(200);
    await cold.locator(".state", { hasText: /^loaded$/ }).waitFor();
    await page.locator('[data-stat="models"]', { hasText: "2" }).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
}

/** Streams chats to `model` one after another, each decoding at a different speed, until stopped. */
function keepChatting(fake: FakeNeuron, gatewayUrl: string, model: string): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      fake.set({ tokenDelayMs: 2 + ((i * 3) % 7), firstByteDelayMs: 10 + ((i * 11) % 40) });
      await streamChat(gatewayUrl, model);
    }
  })();
  loop.catch(() => undefined); // reported by stop()
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Script errors and failed requests the page ran into (a CSP violation shows up here too). */
function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("requestfailed", (request) => {
    if (!request.url().includes("/ui/events")) problems.push(`request failed: ${request.url()}`);
  });
  return problems;
}
