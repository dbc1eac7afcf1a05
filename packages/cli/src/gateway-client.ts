import { describeFetchFailure, fetchFailureCode, requestFailed, unreachable } from "./gateway-error.js";
import type {
  CatalogModel,
  Decision,
  DeleteResult,
  Fleet,
  LoadResult,
  PinResult,
  PullResult,
  UnloadResult,
} from "./gateway-types.js";

export interface GatewayClientOptions {
  /** The gateway's base URL, without a trailing slash. */
  url: string;
  /** Sent as `Authorization: Bearer` on every call (admin routes and `/v1/models`). */
  adminKey?: string | undefined;
  /** For quick reads (fleet, models, decisions); loads and unloads wait as long as the gateway does. */
  readTimeoutMs?: number;
}

interface Call {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  /** Abort when the gateway has not answered in this long; none when absent. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The gateway's admin API and model list over `fetch`; failures become `GatewayError`s with exit codes. */
export class GatewayClient {
  readonly url: string;
  readonly #adminKey: string | undefined;
  readonly #readTimeoutMs: number;

  constructor(options: GatewayClientOptions) {
    this.url = options.url;
    this.#adminKey = options.adminKey;
    this.#readTimeoutMs = options.readTimeoutMs ?? 10_000;
  }

  async fleet(signal?: AbortSignal): Promise<Fleet> {
    const body = await this.#call({ method: "GET", path: "/admin/fleet", ...this.#read(signal) });
    return expect(body, (value): value is Fleet => hasArray(value, "nodes"), "/admin/fleet");
  }

  async decisions(limit: number): Promise<Decision[]> {
    const body = await this.#call({
      method: "GET",
      path: `/admin/decisions?limit=${limit}`,
      ...this.#read(),
    });
    return expect(
      body,
      (value): value is { decisions: Decision[] } => hasArray(value, "decisions"),
      "/admin/decisions",
    ).decisions;
  }

  async models(): Promise<CatalogModel[]> {
    const body = await this.#call({ method: "GET", path: "/v1/models", ...this.#read() });
    return expect(body, (value): value is { data: CatalogModel[] } => hasArray(value, "data"), "/v1/models")
      .data;
  }

  async load(model: string, node: string | undefined): Promise<LoadResult> {
    const body = await this.#call({ method: "POST", path: "/admin/models/load", body: action(model, node) });
    return expect(body, (value): value is LoadResult => hasArray(value, "loaded_on"), "/admin/models/load");
  }

  async unload(model: string, node: string | undefined): Promise<UnloadResult> {
    const body = await this.#call({
      method: "POST",
      path: "/admin/models/unload",
      body: action(model, node),
    });
    return expect(
      body,
      (value): value is UnloadResult => hasArray(value, "unloaded_from"),
      "/admin/models/unload",
    );
  }

  /** Starts a pull on `node`; the gateway answers once the node has listed the repo and chosen the file. */
  async pull(request: {
    node: string;
    repo: string;
    quant?: string;
    file?: string;
    revision?: string;
  }): Promise<PullResult> {
    const body = await this.#call({ method: "POST", path: "/admin/models/pull", body: request });
    return expect(
      body,
      (value): value is PullResult => isRecord(value) && isRecord(value.model),
      "/admin/models/pull",
    );
  }

  async deleteModel(model: string, node: string): Promise<DeleteResult> {
    const body = await this.#call({ method: "POST", path: "/admin/models/delete", body: { model, node } });
    return expect(
      body,
      (value): value is DeleteResult => isRecord(value) && value.deleted === true,
      "/admin/models/delete",
    );
  }

  async setPinned(model: string, pinned: boolean): Promise<PinResult> {
    const path = pinned ? "/admin/models/pin" : "/admin/models/unpin";
    const body = await this.#call({ method: "POST", path, body: { model }, ...this.#read() });
    return expect(body, (value): value is PinResult => isRecord(value) && "pinned" in value, path);
  }

  #read(signal?: AbortSignal): Pick<Call, "timeoutMs" | "signal"> {
    return { timeoutMs: this.#readTimeoutMs, ...(signal ? { signal } : {}) };
  }

  async #call(call: Call): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    if (this.#adminKey !== undefined) headers.authorization = `Bearer ${this.#adminKey}`;
    const signals = [
      ...(call.timeoutMs === undefined ? [] : [AbortSignal.timeout(call.timeoutMs)]),
      ...(call.signal ? [call.signal] : []),
    ];
    let response: Response;
    try {
      response = await fetch(`${this.url}${call.path}`, {
        method: call.method,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
      });
    } catch (error) {
      if (call.signal?.aborted) throw error;
      if (fetchFailureCode(error) === "UND_ERR_HEADERS_TIMEOUT") {
        // fetch's own limit (300 s): the gateway is there, the operation may still be running.
        throw requestFailed(
          `the gateway at ${this.url} did not answer ${call.method} ${call.path} in time; it may still be running (see cortex status)`,
        );
      }
      throw unreachable(this.url, describeFetchFailure(error));
    }
    const text = await response.text().catch((error: unknown) => {
      throw unreachable(this.url, describeFetchFailure(error));
    });
    const body = parseJson(text);
    if (!response.ok) throw requestFailed(this.#failureMessage(response, body));
    if (body === undefined) throw requestFailed(`the gateway answered ${call.path} with something not JSON`);
    return body;
  }

  #failureMessage(response: Response, body: unknown): string {
    const message =
      isRecord(body) && isRecord(body.error) && typeof body.error.message === "string"
        ? body.error.message
        : `the gateway answered ${response.status} ${response.statusText}`.trimEnd();
    return response.status === 401 && this.#adminKey === undefined
      ? `${message} (set CORTEX_ADMIN_KEY)`
      : message;
  }
}

/** The gateway's Prometheus text, or null when the metrics endpoint cannot be read: tok/s is optional. */
export async function fetchMetricsText(url: string, timeoutMs = 3_000): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? await response.text() : null;
  } catch {
    return null;
  }
}

function action(model: string, node: string | undefined): { model: string; node?: string } {
  return node === undefined ? { model } : { model, node };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function expect<T>(body: unknown, check: (value: unknown) => value is T, path: string): T {
  if (!check(body)) throw requestFailed(`the gateway answered ${path} in an unexpected shape`);
  return body;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasArray(value: unknown, key: string): boolean {
  return isRecord(value) && Array.isArray(value[key]);
}
