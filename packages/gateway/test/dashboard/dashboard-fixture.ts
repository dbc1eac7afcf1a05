import { existsSync } from "node:fs";
import { defaultModelsConfig, parseCortexConfig } from "@cortex/core";
import { startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { pino } from "pino";
import { chromium, type Browser } from "playwright-core";
import { startGateway, type RunningGateway } from "../../src/start-gateway.js";

export const CHROMIUM = "/usr/bin/chromium";
export const ADMIN_KEY = "dashboard-admin-key";
export const GiB = 1024 ** 3;

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
];

/** Debian's chromium, which `.ci/run` installs; a missing browser fails the test rather than skip it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the dashboard test drives Debian's chromium ` +
        "(apt-get update && apt-get install -y chromium; .ci/run does this)",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

/** One fake node ("alpha": `warm` loaded, `cold` not) behind an in-process gateway with an admin key. */
export async function startDashboardFleet(): Promise<{ neuron: FakeNeuron; gateway: RunningGateway }> {
  const neuron = await startFakeNeuron({
    name: "alpha",
    memoryTotal: 24 * GiB,
    models: [
      { id: "warm", memory: 1.2 * GiB, loaded: true },
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
