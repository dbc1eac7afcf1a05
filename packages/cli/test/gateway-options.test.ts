import { describe, expect, it } from "vitest";
import { UsageError } from "../src/cli-error.js";
import { gatewayUrl, metricsUrl, positiveInteger } from "../src/commands/gateway-options.js";
import type { CortexIo } from "../src/cortex-io.js";

function ioWith(env: Record<string, string>): CortexIo {
  const quiet = { write: () => {}, isTTY: false };
  return { env, stdout: quiet, stderr: quiet, onInterrupt: () => () => {} };
}

describe("gateway and metrics URLs", () => {
  it("takes --gateway over CORTEX_GATEWAY over the default, without a trailing slash", () => {
    expect(gatewayUrl({}, ioWith({}))).toBe("http://127.0.0.1:31313");
    expect(gatewayUrl({}, ioWith({ CORTEX_GATEWAY: "http://gw:8080/" }))).toBe("http://gw:8080");
    expect(gatewayUrl({ gateway: "https://gw/cortex/" }, ioWith({ CORTEX_GATEWAY: "http://other" }))).toBe(
      "https://gw/cortex",
    );
  });

  it("refuses what is not an http(s) URL, naming where it came from", () => {
    expect(() => gatewayUrl({ gateway: "gw:31313" }, ioWith({}))).toThrow(UsageError);
    expect(() => gatewayUrl({}, ioWith({ CORTEX_GATEWAY: "nope" }))).toThrow(/^CORTEX_GATEWAY: not a URL/);
  });

  it("defaults the metrics URL to the gateway's host on port 31314", () => {
    expect(metricsUrl({}, ioWith({}), "http://10.0.0.1:31313")).toBe("http://10.0.0.1:31314/metrics");
    expect(metricsUrl({}, ioWith({ CORTEX_METRICS: "http://m:9000" }), "http://gw")).toBe(
      "http://m:9000/metrics",
    );
    expect(
      metricsUrl({ metrics: "http://m:9/prom" }, ioWith({ CORTEX_METRICS: "http://x" }), "http://gw"),
    ).toBe("http://m:9/prom");
  });

  it("takes only whole numbers of at least 1 for counts", () => {
    expect(positiveInteger("--limit", "5")).toBe(5);
    expect(() => positiveInteger("--limit", "0")).toThrow(/--limit must be a whole number of at least 1/);
    expect(() => positiveInteger("--limit", "2.5")).toThrow(UsageError);
  });
});
