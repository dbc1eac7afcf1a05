import {
  completeExchange,
  rawConnection as connectRaw,
  trickle,
  untilAccepting,
  type FakeNeuron,
  type RawConnection,
} from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, startOneModelNeuron, startTestGateway, type TestGateway } from "./gateway-harness.js";

/**
 * Slow clients (issue 11, finding 6): the whole request, headers and body, must arrive within
 * `timeouts.request`, else 408 and close; generation time is not part of it. Concurrent connections are
 * capped by `gateway.max_connections`.
 */
const cleanups = new Cleanups();
let neuron: FakeNeuron;
let open: TestGateway;
let keyed: TestGateway;
let capped: TestGateway;

beforeAll(async () => {
  neuron = await startOneModelNeuron(cleanups);
  const timeouts = { request: "1s" };
  open = await startTestGateway({
    neurons: [{ name: "alpha", url: neuron.url }],
    timeouts,
  });
  cleanups.add(() => open.close());
  capped = await startTestGateway({
    neurons: [{ name: "alpha", url: neuron.url }],
    gateway: { max_connections: 3 },
  });
  cleanups.add(() => capped.close());
  keyed = await startTestGateway({
    neurons: [{ name: "alpha", url: neuron.url }],
    timeouts,
    gateway: { api_keys: ["sk-alpha"] },
  });
  cleanups.add(() => keyed.close());
});

afterAll(() => cleanups.run());

/** A raw connection, closed at the end of the file whatever happens. */
async function rawConnection(url: string): Promise<RawConnection> {
  const connection = await connectRaw(url);
  cleanups.add(() => connection.socket.destroy());
  return connection;
}

/** Sends a chat request's headers, then its body one byte every 100 ms; returns what came back once closed. */
async function trickledBody(gateway: TestGateway): Promise<string> {
  const conn = await rawConnection(gateway.url);
  conn.socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: ${new URL(gateway.url).host}\r\n` +
      "content-type: application/json\r\ncontent-length: 100000\r\n\r\n",
  );
  trickle(conn.socket, '{"model":"m"');
  await conn.closed;
  return conn.received();
}

describe("slow clients", () => {
  it("a body trickled one byte at a time gets 408 and the connection is closed", async () => {
    expect(await trickledBody(open)).toMatch(/^HTTP\/1\.1 408 /);
    expect(neuron.stats().requests).toBe(0);
  });

  it("headers trickled one byte at a time get 408 and the connection is closed", async () => {
    const conn = await rawConnection(open.url);
    conn.socket.write("POST /v1/chat/completions HTTP/1.1\r\n");
    trickle(conn.socket, "x-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    await conn.closed;
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("a trickled body refused with 401 does not keep its connection open", async () => {
    const received = await trickledBody(keyed);
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    // The refusal is the only answer: no stray 408 written after a response that already went out.
    // (A status line, not any "408": a request id or a date may hold those digits.)
    expect(received).not.toMatch(/HTTP\/1\.1 408/);
  });

  it("generation longer than the request timeout is not cut", async () => {
    neuron.set({ tokenDelayMs: 100 });
    try {
      const completion = await open.openai().chat.completions.create({
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 15,
      });
      expect(completion.usage?.completion_tokens).toBe(15);
    } finally {
      neuron.set({ tokenDelayMs: 0 });
    }
  });

  it("connections beyond max_connections are closed without an answer, and accepted again once one leaves", async () => {
    const host = new URL(capped.url).host;
    const idle = [];
    for (let index = 0; index < 3; index++) {
      const conn = await rawConnection(capped.url);
      // A full request and its answer: the server has counted this connection before the next one.
      await completeExchange(conn, `GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      idle.push(conn);
    }
    const extra = await rawConnection(capped.url);
    extra.socket.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    await extra.closed;
    expect(extra.received()).toBe("");
    idle[0]?.socket.destroy();
    await idle[0]?.closed;
    // The server sees the close a moment after the client does.
    await untilAccepting(capped.url);
  });
});
