import { completeExchange, rawConnection, type RawConnection } from "@cortex/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { Cleanups, startTestGateway, type TestGateway } from "./gateway-harness.js";

/**
 * Open deployments (issue 11, finding 8): a gateway others can reach without a key says so loudly and
 * names where it really listens; a keyless one on loopback answers only requests naming a loopback Host,
 * so a web page cannot reach it through DNS rebinding.
 */
const cleanups = new Cleanups();
afterAll(() => cleanups.run());

async function gateway(settings: Record<string, string | readonly string[]>): Promise<TestGateway> {
  const started = await startTestGateway({ neurons: [], gateway: settings });
  cleanups.add(() => started.close());
  return started;
}

/** One request on a raw connection, so the Host header is exactly what a browser would send. */
async function withHost(gw: TestGateway, path: string, host: string, headers = ""): Promise<string> {
  const connection: RawConnection = await rawConnection(gw.url);
  cleanups.add(() => connection.socket.destroy());
  const body = path.startsWith("/v1/messages") ? '{"model":"m","max_tokens":1,"messages":[]}' : "";
  const method = body === "" ? "GET" : "POST";
  await completeExchange(
    connection,
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers}` +
      (body === "" ? "" : `content-type: application/json\r\ncontent-length: ${body.length}\r\n`) +
      `connection: close\r\n\r\n${body}`,
  );
  await connection.closed;
  return connection.received();
}

describe("open deployment warnings", () => {
  it("a keyless gateway on all interfaces warns about an open deployment and reports its real bind address", async () => {
    const open = await gateway({ listen: "0.0.0.0:0" });
    expect(open.running.warnings).toEqual([
      expect.stringMatching(/^OPEN DEPLOYMENT: .*0\.0\.0\.0:\d+ .*without api_keys/),
    ]);
    expect(open.running.listenUrl).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    // Clients on this machine still get a URL they can connect to.
    expect(open.running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("client keys without an admin key on all interfaces warn that every key can manage models", async () => {
    const keyed = await gateway({ listen: "0.0.0.0:0", api_keys: ["sk-a"] });
    expect(keyed.running.warnings).toEqual([expect.stringMatching(/without admin_key/)]);
    const closed = await gateway({ listen: "0.0.0.0:0", api_keys: ["sk-a"], admin_key: "adm" });
    expect(closed.running.warnings).toEqual([]);
  });

  it("a keyless gateway on loopback does not warn", async () => {
    const local = await gateway({});
    expect(local.running.warnings).toEqual([]);
    expect(local.running.listenUrl).toBe(local.url);
  });
});

describe("DNS rebinding", () => {
  it("a keyless loopback gateway refuses a request whose Host is not a loopback name, in the route's dialect", async () => {
    const local = await gateway({});
    const openai = await withHost(local, "/v1/models", "evil.example:31313");
    expect(openai).toMatch(/^HTTP\/1\.1 403 /);
    expect(openai).toMatch(/"code":"permission_denied"/);
    expect(openai).toMatch(/not a loopback name/);
    const anthropic = await withHost(local, "/v1/messages", "rebind.attacker.test");
    expect(anthropic).toMatch(/^HTTP\/1\.1 403 /);
    expect(anthropic).toMatch(/"type":"error","error":\{"type":"permission_error"/);
    const port = new URL(local.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, "localhost"]) {
      expect(await withHost(local, "/v1/models", host), host).toMatch(/^HTTP\/1\.1 200 /);
    }
  });

  it("with api_keys the key is the guard: any Host is served", async () => {
    const keyed = await gateway({ api_keys: ["sk-a"] });
    const answer = await withHost(
      keyed,
      "/v1/models",
      "gateway.example.org",
      "authorization: Bearer sk-a\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});
