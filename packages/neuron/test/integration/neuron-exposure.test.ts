import { rm } from "node:fs/promises";
import { completeExchange, modelDir, rawConnection, spawnNeuron } from "@cortex/testkit";
import { describe, expect, it, vi } from "vitest";

/**
 * Open deployments on the neuron (issue 11, finding 8): without `auth_token` on a non-loopback address
 * it warns loudly and prints where it really listens; keyless on loopback it answers only requests
 * naming a loopback Host (DNS rebinding).
 */
async function withNeuron<T>(
  listen: string,
  use: (url: string, output: () => string) => Promise<T>,
): Promise<T> {
  const dir = await modelDir({});
  const neuron = await spawnNeuron({ modelsDir: dir, args: ["--listen", listen] });
  try {
    return await use(neuron.url, neuron.output);
  } finally {
    await neuron.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function getWithHost(url: string, path: string, host: string): Promise<string> {
  const connection = await rawConnection(url);
  await completeExchange(connection, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nconnection: close\r\n\r\n`);
  await connection.closed;
  return connection.received();
}

describe("neuron exposure", () => {
  it("a neuron on all interfaces without auth_token warns about an open deployment and prints its real bind address", async () => {
    await withNeuron("0.0.0.0:0", async (url, output) => {
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      // The log line; the CLI repeats it on stderr as "WARNING: ...". pino writes asynchronously, so the
      // line may reach stdout after the start line that spawnNeuron waits for: wait for it.
      const logged =
        /"level":40,.*"msg":"OPEN DEPLOYMENT: the neuron listens on 0\.0\.0\.0:\d+ .*without auth_token/;
      await vi.waitFor(() => expect(output()).toMatch(logged), { timeout: 10_000, interval: 50 });
    });
  });

  it("a keyless loopback neuron refuses a request whose Host is not a loopback name", async () => {
    await withNeuron("127.0.0.1:0", async (url, output) => {
      expect(output()).not.toMatch(/OPEN DEPLOYMENT/);
      const refused = await getWithHost(url, "/models", "evil.example");
      expect(refused).toMatch(/^HTTP\/1\.1 403 /);
      expect(refused).toMatch(/"code":"permission_denied"/);
      expect(await getWithHost(url, "/models", `localhost:${new URL(url).port}`)).toMatch(/^HTTP\/1\.1 200 /);
    });
  });
});
