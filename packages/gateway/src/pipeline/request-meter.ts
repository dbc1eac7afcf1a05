import { TIMING_HEADERS, type PriorityClass } from "@cortex/core";
import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import type { RouteReason } from "../routing/route-score.js";
import type { DialectName, MeterTap } from "./exchange.js";

/**
 * Times one client request and records it once: TTFT from the moment a node with the model loaded
 * took the request (so cold-load time is not silently inside it), decode rate after the first token.
 */
export class RequestMeter implements MeterTap {
  readonly #metrics: GatewayMetrics;
  readonly #now: () => number;
  readonly #dialect: DialectName;
  readonly #started: number;
  #model = "unknown";
  #node = "none";
  #priority: PriorityClass = "normal";
  #sentAt: number | undefined;
  #firstTokenAt: number | undefined;
  #promptTokens = 0;
  #completionTokens = 0;
  #done = false;
  #decodeMs: number | undefined;

  constructor(metrics: GatewayMetrics, now: () => number, dialect: DialectName) {
    this.#metrics = metrics;
    this.#now = now;
    this.#dialect = dialect;
    this.#started = now();
  }

  model(model: string): void {
    // Any string a client sends would otherwise become a label value: an unbounded set of series.
    this.#model = this.#metrics.modelLabel(model);
  }

  /** The request's priority class (a fixed small set, so a bounded label). */
  priority(priority: PriorityClass): void {
    this.#priority = priority;
  }

  routed(node: string, coldLoadMs: number, reason: RouteReason): void {
    this.#node = node;
    this.#metrics.routes.inc({ reason });
    this.#sentAt = this.#now();
    this.#metrics.queueWait
      .series(this.#model, this.#priority)
      .observe((this.#sentAt - this.#started) / 1000);
    if (coldLoadMs > 0) this.#metrics.coldLoadWait.series(this.#model).observe(coldLoadMs / 1000);
  }

  token(): void {
    this.#firstTokenAt ??= this.#now();
  }

  /** Timings a non-streaming neuron answer reported in its headers (see TIMING_HEADERS). */
  reportedTimings(headers: Record<string, string | string[] | undefined>): void {
    const ttft = Number(headers[TIMING_HEADERS.ttft]);
    const decode = Number(headers[TIMING_HEADERS.decode]);
    if (!Number.isFinite(ttft) || !Number.isFinite(decode) || this.#sentAt === undefined) return;
    this.#firstTokenAt = this.#sentAt + ttft;
    this.#decodeMs = decode;
  }

  usage(promptTokens: number, completionTokens: number): void {
    this.#promptTokens = promptTokens;
    this.#completionTokens = completionTokens;
  }

  finish(status: number): void {
    if (this.#done) return;
    this.#done = true;
    const end = this.#now();
    const metrics = this.#metrics;
    const labels = [this.#model, this.#node, this.#dialect] as const;
    metrics.requests.series(...labels, String(status)).inc();
    metrics.requestDuration.series(...labels, String(status)).observe((end - this.#started) / 1000);
    if (this.#promptTokens > 0) metrics.promptTokens.series(...labels).inc(this.#promptTokens);
    if (this.#completionTokens > 0) metrics.completionTokens.series(...labels).inc(this.#completionTokens);
    if (this.#firstTokenAt !== undefined && this.#sentAt !== undefined) {
      metrics.timeToFirstToken.series(...labels).observe((this.#firstTokenAt - this.#sentAt) / 1000);
      const seconds = (this.#decodeMs ?? end - this.#firstTokenAt) / 1000;
      if (this.#completionTokens > 1 && seconds > 0) {
        metrics.decodeRate.series(...labels).observe((this.#completionTokens - 1) / seconds);
      }
    }
  }
}
