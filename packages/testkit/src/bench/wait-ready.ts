import { request } from "undici";

/**
 * Polls `POST origin+path` until it answers 200: a gateway only routes once it has polled the neuron,
 * and a neuron loads the model on the first request.
 */
export async function waitReady(
  origin: string,
  path: string,
  body: string,
  timeoutMs: number,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < until) {
    try {
      const response = await request(`${origin}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(Math.max(1, Math.ceil(until - performance.now()))),
      });
      const text = await response.body.text();
      if (response.statusCode === 200) return;
      last = `HTTP ${response.statusCode}: ${text.slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${origin}${path} not ready after ${timeoutMs} ms (${last})`);
}
