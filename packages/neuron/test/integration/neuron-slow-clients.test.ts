import {
  completeExchange,
  rawConnection,
  trickle,
  untilAccepting,
  type RawConnection,
} from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

/**
 * Slow clients on the neuron's HTTP server (issue 11, finding 6): `request_timeout` bounds the time to
 * send a request (408 and close), `max_connections` the connections held at once.
 */
let neuron: TestNeuron;
const connections: RawConnection[] = [];

beforeAll(async () => {
  neuron = await startTestNeuron({
    models: { tiny: { arch: "llama" } },
    config: 'context_size = 4096\nparallel = 1\nthreads = 1\nrequest_timeout = "1s"\nmax_connections = 3\n',
  });
});

afterAll(async () => {
  for (const connection of connections) connection.socket.destroy();
  await neuron?.stop();
});

/** Sends a chat request's headers, then its body one byte every 100 ms; returns what came back once closed. */
async function trickledBody(): Promise<string> {
  const conn = await connectRaw();
  conn.socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: ${new URL(neuron.url).host}\r\n` +
      "content-type: application/json\r\ncontent-length: 100000\r\n\r\n",
  );
  trickle(conn.socket, '{"model":"tiny"');
  await conn.closed;
  return conn.received();
}

async function connectRaw(): Promise<RawConnection> {
  const connection = await rawConnection(neuron.url);
  connections.push(connection);
  return connection;
}

describe("neuron slow clients", () => {
  it("connections beyond max_connections are closed without an answer", async () => {
    const host = new URL(neuron.url).host;
    for (let index = 0; index < 3; index++) {
      await completeExchange(await connectRaw(), `GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    }
    const extra = await connectRaw();
    extra.socket.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    await extra.closed;
    expect(extra.received()).toBe("");
    for (const connection of connections.splice(0)) connection.socket.destroy();
    await untilAccepting(neuron.url);
  });

  it("a body trickled one byte at a time gets 408 in the OpenAI envelope and the connection is closed", async () => {
    const [head = "", body = ""] = (await trickledBody()).split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(body)).toMatchObject({
      error: { code: "request_timeout", type: "invalid_request_error", message: expect.any(String) },
    });
  });

  it("a generation still running when a request timeout fires is not cut", async () => {
    const stream = await neuron.openai.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 1000,
      stream: true,
      stream_options: { include_usage: true },
    });
    let finished = false;
    let finishReason: string | null | undefined;
    let completionTokens = 0;
    const reading = (async () => {
      for await (const chunk of stream) {
        finishReason ??= chunk.choices[0]?.finish_reason;
        completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
      }
      finished = true;
    })();
    // Another client's request timing out proves the timeout has passed since this stream started.
    expect(await trickledBody()).toMatch(/^HTTP\/1\.1 408 /);
    expect(finished).toBe(false);
    await reading;
    expect(finishReason).toBe("length");
    expect(completionTokens).toBe(1000);
  });
});
