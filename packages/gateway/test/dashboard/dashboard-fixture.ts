import { defaultModelsConfig, parseCortexConfig } from "@cortex/core";
import { startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { CHROMIUM_FLAGS } from "@cortex/testkit/provision";
import { testTool } from "@cortex/testkit/test-tool";
import { pino } from "pino";
import { chromium, type Browser } from "playwright-core";
import { startGateway, type RunningGateway } from "../../src/start-gateway.js";

export const ADMIN_KEY = "dashboard-admin-key";
export const GiB = 1024 ** 3;

/**
 * The browser `npm test`'s set-up found or installed (a Playwright-managed Chromium, a system one, or one
 * it installed); when there is none the test fails with the command that fixes it.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: testTool("chromium"), args: CHROMIUM_FLAGS });
}

/** One fake node ("alpha": `warm` loaded, `cold` not) behind an in-process gateway with an admin key. */
export async function startDashboardFleet(): Promise<{ neuron: FakeNeuron; gateway: RunningGateway }> {
  const neuron = await startFakeNeuron({
    name: "alpha",
    memoryTotal: 24 * GiB,
    models: [
      { id: "warm", memory: Math.round(1.2 * GiB), loaded: true },
      { id: "cold", memory: 6 * GiB, contextLength: 8192 },
    ],
    knobs: { holdLoads: true, tokenDelayMs: 4, firstByteDelayMs: 20 },
  });
  const toml = `
[gateway]
listen = "127.0.0.1:0"
metrics_listen = "127.0.0.1:0"
admin_key = "${ADMIN_KEY}"

[fleet]
poll_interval = "200ms"

[[neurons]]
name = "alpha"
endpoint = "${neuron.url}"
`;
  const gateway = await startGateway({
    config: parseCortexConfig(toml, "dashboard-test.toml", "."),
    models: defaultModelsConfig(),
    logger: pino({ level: "silent" }),
  });
  return { neuron, gateway };
}

/** A short streamed chat to `model`, so the gateway records TTFT and decode speed for it. */
export async function streamChat(gatewayUrl: string, model: string): Promise<void> {
  const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 12,
      messages: [{ role: "user", content: "say something" }],
    }),
  });
  if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${await response.text()}`);
  await response.text();
}
