import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { CortexError } from "@cortex/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Cancellation } from "../../src/cancellation.js";
import { NeuronClient, STATUS_BODY_LIMIT, type NeuronTimeouts } from "../../src/cluster/neuron-client.js";
import { NeuronClients } from "../../src/cluster/neuron-clients.js";
import { OOM_MESSAGE, StubNeuron } from "./stub-neuron.js";

const RELAXED: NeuronTimeouts = { connect: 2_000, firstByte: 5_000, idle: 5_000, load: 5_000 };
const TIGHT: NeuronTimeouts = { connect: 200, firstByte: 200, idle: 200, load: 200 };

let stub: StubNeuron;
const clients: NeuronClient[] = [];

function clientFor(
  target: { url: string },
  options: { token?: string; timeouts?: NeuronTimeouts; name?: string; connections?: number } = {},
): NeuronClient {
  const client = new NeuronClient({
    name: options.name ?? "beast",
    endpoint: target.url,
    token: options.token,
    timeouts: options.timeouts ?? RELAXED,
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<CortexError> {
  const error = await promise.then(
    () => expect.fail("expected a rejection"),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CortexError);
  return error as CortexError;
}

async function firstChunk(body: Readable): Promise<string> {
  const [chunk] = (await once(body, "data")) as [Buffer];
  return chunk.toString("utf8");
}

const signal = (): AbortSignal => new AbortController().signal;

beforeEach(async () => {
  stub = await StubNeuron.start({ name: "beast" });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await stub.close();
});

describe("NeuronClient status and lifecycle calls", () => {
  it("reads /info and /models through the protocol schemas", async () => {
    stub.setLoaded("m1");
    const client = clientFor(stub);

    const info = await client.info(signal());
    const models = await client.models(signal());

    expect(info.node).toBe("beast");
    expect(models.models.map((model) => [model.id, model.state])).toEqual([
      ["m1", "loaded"],
      ["m2", "unloaded"],
    ]);
  });

  it("sends the token as a Bearer header on every call", async () => {
    await stub.close();
    stub = await StubNeuron.start({ name: "beast", token: "s3cret" });
    const client = clientFor(stub, { token: "s3cret" });

    await client.info(signal());
    await client.load({ model: "m1" }, signal());

    expect(stub.requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer s3cret",
      "Bearer s3cret",
    ]);
  });

  it("reports a rejected token as the gateway's problem, not the client's", async () => {
    await stub.close();
    stub = await StubNeuron.start({ name: "beast", token: "s3cret" });

    const error = await failure(clientFor(stub, { token: "wrong" }).info(signal()));

    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("neuron beast refused the request");
    expect(error.message).toContain("neuron_token");
  });

  it("returns the fresh model report from load and unload", async () => {
    const client = clientFor(stub);

    const loaded = await client.load({ model: "m1", context_size: 2048 }, signal());
    const unloaded = await client.unload({ model: "m1", force: true }, signal());

    expect([loaded.state, unloaded.state]).toEqual(["loaded", "unloaded"]);
    expect(stub.requests.map((request) => [request.path, JSON.parse(request.body) as unknown])).toEqual([
      ["/models/load", { model: "m1", context_size: 2048 }],
      ["/models/unload", { model: "m1", force: true }],
    ]);
  });

  it("tokenizes", async () => {
    const response = await clientFor(stub).tokenize({ model: "m1", prompt: "hi" }, signal());

    expect(response).toEqual({ model: "m1", count: 3, tokens: [1, 2, 3] });
  });

  it("names the field when a neuron answers with the wrong shape", async () => {
    stub.faults.set("/models", "wrong-shape");

    const error = await failure(clientFor(stub).models(signal()));

    expect(error.code).toBe("upstream_error");
    expect(error.message).toMatch(
      /^neuron beast answered GET \/models with an unexpected shape: models\[0\]\.state: /,
    );
  });

  it("keeps the neuron's own error code and message (insufficient_memory stays insufficient_memory)", async () => {
    stub.faults.set("/models/load", "insufficient-memory");

    const error = await failure(clientFor(stub).load({ model: "m1" }, signal()));

    expect(error).toMatchObject({
      code: "insufficient_memory",
      status: 503,
      message: OOM_MESSAGE,
      retryAfter: 5,
    });
  });

  it("keeps model_not_found from the neuron", async () => {
    const error = await failure(clientFor(stub).load({ model: "nope" }, signal()));

    expect(error.code).toBe("model_not_found");
  });

  it("turns a non-envelope 500 into upstream_error quoting the body", async () => {
    stub.faults.set("/info", "error-500");

    const error = await failure(clientFor(stub).info(signal()));

    expect(error.code).toBe("upstream_error");
    expect(error.message).toBe("neuron beast answered 500: Internal Server Error");
  });
});

describe("NeuronClient transport failures", () => {
  it("times out a neuron that never answers, quickly, as upstream_timeout", async () => {
    stub.faults.set("/info", "hang");
    const started = performance.now();

    const error = await failure(clientFor(stub, { timeouts: TIGHT }).info(signal()));

    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("neuron beast");
    expect(error.cause).toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("gives lifecycle calls the load timeout", async () => {
    stub.faults.set("/models/load", "hang");
    const client = clientFor(stub, { timeouts: { ...RELAXED, load: 200 } });

    const error = await failure(client.load({ model: "m1" }, signal()));

    expect(error.code).toBe("upstream_timeout");
  });

  it("reports a dropped connection as node_unavailable", async () => {
    stub.faults.set("/info", "drop");

    const error = await failure(clientFor(stub).info(signal()));

    expect(error.code).toBe("node_unavailable");
    expect(error.message).toBe("neuron beast closed the connection");
    expect(error.cause).toBeDefined();
  });

  it("reports a refused connection as node_unavailable", async () => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, "close");

    const error = await failure(clientFor({ url: `http://127.0.0.1:${port}` }).info(signal()));

    expect(error.code).toBe("node_unavailable");
    expect(error.message).toBe("neuron beast refused the connection");
    expect(error.cause).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("stops at once when the caller aborts", async () => {
    stub.faults.set("/info", "hang");
    const controller = new AbortController();
    const call = clientFor(stub).info(controller.signal);
    await stub.nextRequest("/info");

    controller.abort();

    expect((await failure(call)).code).toBe("request_aborted");
  });

  it("treats an AbortSignal.timeout deadline as upstream_timeout", async () => {
    stub.faults.set("/info", "hang");

    const error = await failure(clientFor(stub).info(AbortSignal.timeout(100)));

    expect(error.code).toBe("upstream_timeout");
  });

  it("passes a CortexError abort reason through unchanged", async () => {
    stub.faults.set("/info", "hang");
    const controller = new AbortController();
    const reason = new CortexError("upstream_timeout", "poll deadline");
    const call = clientFor(stub).info(controller.signal);
    await stub.nextRequest("/info");

    controller.abort(reason);

    expect(await failure(call)).toBe(reason);
  });

  it("fails every call after close()", async () => {
    const client = clientFor(stub);
    await client.close();

    expect((await failure(client.info(signal()))).code).toBe("node_unavailable");
  });
});

describe("NeuronClient.request (the proxy's stream)", () => {
  const chat = (controller = new AbortController()) => ({
    method: "POST" as const,
    path: "/v1/chat/completions",
    body: JSON.stringify({ model: "m1", stream: true }),
    headers: { "content-type": "application/json", authorization: "Bearer client-key", "x-request-id": "r1" },
    signal: controller.signal,
  });

  it("streams: the first chunk arrives while the neuron is still writing", async () => {
    const client = clientFor(stub, { token: "neuron-token" });
    const streamOpened = stub.nextStream();

    const response = await client.request(chat());
    const first = await firstChunk(response.body);
    const upstream = await streamOpened;

    expect(response.statusCode).toBe(200);
    expect(first).toBe('data: {"chunk":1}\n\n');
    expect(upstream.writableEnded).toBe(false);
    upstream.end("data: [DONE]\n\n");
    let rest = "";
    for await (const chunk of response.body) rest += String(chunk);
    expect(rest).toBe("data: [DONE]\n\n");
  });

  it("replaces the client's credentials with the neuron token and keeps other headers", async () => {
    const client = clientFor(stub, { token: "neuron-token" });
    const streamOpened = stub.nextStream();

    const response = await client.request(chat());
    (await streamOpened).end();
    response.body.resume();
    await once(response.body, "end");

    const [request] = stub.requests;
    expect(request?.headers.authorization).toBe("Bearer neuron-token");
    expect(request?.headers["x-request-id"]).toBe("r1");
  });

  it("ends a stalled stream with upstream_timeout after the idle timeout", async () => {
    const client = clientFor(stub, { timeouts: { ...RELAXED, idle: 200 } });

    const response = await client.request(chat());
    response.body.resume();
    const [raw] = (await once(response.body, "error").catch((reason: unknown) => [reason])) as [unknown];
    const error = response.mapError(raw);

    expect(error).toBeInstanceOf(CortexError);
    expect(error).toMatchObject({
      code: "upstream_timeout",
      message: "neuron beast stalled in the middle of a response",
    });
  });

  it("ends a stream cut mid-way with node_unavailable", async () => {
    const client = clientFor(stub);
    const streamOpened = stub.nextStream();

    const response = await client.request(chat());
    await firstChunk(response.body);
    (await streamOpened).socket?.destroy();
    const error = await new Promise((resolve) => response.body.on("error", resolve).resume());

    expect(response.mapError(error)).toMatchObject({ code: "node_unavailable" });
  });

  it("aborts the upstream request when the consumer destroys the body", async () => {
    const client = clientFor(stub);
    const streamOpened = stub.nextStream();

    const response = await client.request(chat());
    const upstream = await streamOpened;
    const upstreamClosed = once(upstream, "close");
    response.body.destroy();

    await upstreamClosed;
    expect(upstream.writableFinished).toBe(false);
  });

  it("aborts the upstream request when the caller's signal fires mid-stream", async () => {
    const client = clientFor(stub);
    const controller = new AbortController();
    const streamOpened = stub.nextStream();

    const response = await client.request(chat(controller));
    const upstream = await streamOpened;
    const upstreamClosed = once(upstream, "close");
    const bodyError = new Promise((resolve) => response.body.on("error", resolve).resume());
    controller.abort();

    await upstreamClosed;
    expect(response.mapError(await bodyError)).toMatchObject({ code: "request_aborted" });
  });

  it("reads a whole body with text(), failures mapped", async () => {
    const client = clientFor(stub);
    const streamOpened = stub.nextStream();

    const response = await client.request(chat());
    const upstream = await streamOpened;
    const text = response.text();
    upstream.write("data: partial\n\n");
    upstream.socket?.destroy();

    await expect(text).rejects.toMatchObject({ code: "node_unavailable", message: /beast/ });
  });

  it("aborts on a Cancellation (the proxy's cheap signal) like on an AbortSignal", async () => {
    const client = clientFor(stub);
    const cancellation = new Cancellation();
    const streamOpened = stub.nextStream();

    const response = await client.request({ ...chat(), signal: cancellation });
    const upstream = await streamOpened;
    const upstreamClosed = once(upstream, "close");
    const bodyError = new Promise((resolve) => response.body.on("error", resolve).resume());
    cancellation.abort(new CortexError("request_aborted", "client disconnected"));

    await upstreamClosed;
    expect(response.mapError(await bodyError)).toMatchObject({
      code: "request_aborted",
      message: "client disconnected",
    });
  });

  it("returns error statuses as is, and readError maps the envelope", async () => {
    stub.faults.set("/v1/chat/completions", "insufficient-memory");
    const client = clientFor(stub);

    const response = await client.request(chat());
    const error = await client.readError(response);

    expect(response.statusCode).toBe(503);
    expect(error).toMatchObject({ code: "insufficient_memory", message: OOM_MESSAGE });
  });

  it("keeps a path prefix in the endpoint", async () => {
    const client = clientFor({ url: `${stub.url}/neuron` });

    await failure(client.info(signal()));

    expect(stub.requests[0]?.path).toBe("/neuron/info");
  });
});

describe("NeuronClient under load (found by the soak)", () => {
  it("answers status polls and loads while every proxy connection is held by a stream", async () => {
    // Soak: 95 streams per node held all 64 sockets; /info waited behind them, the poll timed out and
    // healthy nodes were marked down (503 node_unavailable for models they were serving).
    const client = clientFor(stub, { connections: 1 });
    const streamOpened = stub.nextStream();
    const response = await client.request({
      method: "POST",
      path: "/v1/chat/completions",
      body: JSON.stringify({ model: "m1", stream: true }),
      headers: { "content-type": "application/json" },
      signal: new AbortController().signal,
    });
    const upstream = await streamOpened;

    // The signals only bound the failing case: a queued call would wait for the stream's socket forever.
    const info = await client.info(AbortSignal.timeout(3_000));
    const models = await client.models(AbortSignal.timeout(3_000));
    const loaded = await client.load({ model: "m2" }, AbortSignal.timeout(3_000));

    expect(info.node).toBe("beast");
    expect(models.models.length).toBeGreaterThan(0);
    expect(loaded.state).toBe("loaded");
    expect(upstream.writableEnded).toBe(false);
    upstream.end("data: [DONE]\n\n");
    response.body.resume();
  });
});

describe("NeuronClients on a config reload", () => {
  it("replaces the clients whose endpoint, token or timeouts changed, and keeps the others", async () => {
    const entries = [
      { name: "beast", endpoint: stub.url },
      { name: "spark", endpoint: stub.url, token: "own" },
    ];
    const pool = new NeuronClients(entries, { timeouts: RELAXED });
    const [beast, spark] = [pool.get("beast"), pool.get("spark")];

    pool.configure(entries, { timeouts: RELAXED, defaultToken: "shared" });
    expect(pool.get("beast")).not.toBe(beast);
    expect(pool.get("spark")).toBe(spark);

    const withToken = pool.get("beast");
    pool.configure(entries, { timeouts: { ...RELAXED, connect: 100 }, defaultToken: "shared" });
    expect(pool.get("beast")).not.toBe(withToken);
    expect(pool.get("spark")).not.toBe(spark);
    // The replacement speaks with the new settings: the shared token reaches the neuron.
    await pool.get("beast")?.info(signal());
    expect(stub.requests.at(-1)?.headers.authorization).toBe("Bearer shared");
    await pool.close();
  });
});

describe("NeuronClient bodies read whole", () => {
  it("refuses a status reply or a non-streaming answer larger than maxBodyBytes instead of buffering it", async () => {
    // A node that streams an endless body: before the bound the gateway read it into memory until the end.
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once("drain", pump);
      };
      pump();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = new NeuronClient({
        name: "huge",
        endpoint: url,
        timeouts: RELAXED,
        maxBodyBytes: 1024 * 1024,
      });
      clients.push(client);
      const polled = await failure(client.models(signal()));
      expect(polled.code).toBe("upstream_error");
      expect(polled.message).toContain("larger than 1048576 bytes");
      const answer = await client.request({
        method: "POST",
        path: "/v1/chat/completions",
        body: "{}",
        headers: {},
        signal: signal(),
      });
      const read = await failure(answer.text());
      expect(read.code).toBe("upstream_error");
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("refuses a valid status reply past the status cap though answers may be larger (a node cannot make each poll buffer 256 MiB)", async () => {
    // Before the status cap, /info and /models shared the 256 MiB answer cap: this reply was read and adopted.
    const client = clientFor(stub);
    stub.faults.set("/models", "oversized");
    const polled = await failure(client.models(signal()));
    expect(polled.code).toBe("upstream_error");
    expect(polled.message).toBe(
      `neuron beast: the answer to GET /models is larger than ${STATUS_BODY_LIMIT} bytes ` +
        "(the cap for status and lifecycle replies)",
    );
    stub.faults.set("/info", "oversized");
    expect((await failure(client.info(signal()))).message).toContain(
      `larger than ${STATUS_BODY_LIMIT} bytes`,
    );
    // A token list is as long as the prompt: it keeps the answers' cap.
    stub.faults.set("/tokenize", "oversized");
    expect(await client.tokenize({ model: "m1", prompt: "hi" }, signal())).toMatchObject({ count: 3 });
  });
});
