import type { ServerResponse } from "node:http";
import { SSE_MAX_MESSAGE_CHARS } from "@cortex/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StubNeuron } from "../cluster/stub-neuron.js";
import { Cleanups, loadedOn, startTestGateway, waitFor, type TestGateway } from "./gateway-harness.js";

/**
 * A neuron (or whatever answers in its place) that streams one SSE line that never ends: the gateway
 * used to buffer it whole (issue 11: 416 MB of RSS, and the client waited forever). Now the line is cut
 * at the SSE parser's cap and the client's stream ends with its dialect's error event.
 */

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

/** Writes `data: xxxx…` past the cap, without a line break, as long as the gateway keeps reading. */
async function endlessLine(upstream: ServerResponse): Promise<void> {
  const mebibyte = "x".repeat(1024 * 1024);
  upstream.write("data: ");
  for (let sent = 0; sent <= SSE_MAX_MESSAGE_CHARS && !upstream.destroyed; sent += mebibyte.length) {
    if (!upstream.write(mebibyte)) await new Promise((resolve) => upstream.once("drain", resolve));
  }
}

describe("an upstream SSE line that never ends", () => {
  let stub: StubNeuron;
  let gw: TestGateway;

  beforeAll(async () => {
    stub = await StubNeuron.start({ name: "endless" });
    cleanups.add(() => stub.close());
    stub.setLoaded("m1");
    gw = await startTestGateway({ neurons: [{ name: "endless", url: stub.url }] });
    cleanups.add(() => gw.close());
    await waitFor("m1 loaded on endless", async () => loadedOn(await gw.catalog(), "m1").length > 0);
  });

  it("ends an OpenAI stream with an upstream_error chunk and [DONE]", async () => {
    const opened = stub.nextStream();
    const response = await gw.post("/v1/chat/completions", {
      model: "m1",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    await endlessLine(await opened);
    const text = await response.text();
    expect(text).toMatch(
      /data: \{"error":\{"message":"endless failed mid-stream: SSE message longer than \d+ characters/,
    );
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("ends an Anthropic stream with an error event", async () => {
    const opened = stub.nextStream();
    const response = await gw.post("/v1/messages", {
      model: "m1",
      max_tokens: 5,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    await endlessLine(await opened);
    const text = await response.text();
    expect(text).toMatch(
      /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"upstream failed mid-stream: SSE message longer than/,
    );
  });
});
