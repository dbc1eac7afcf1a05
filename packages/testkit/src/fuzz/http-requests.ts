import fc from "fast-check";
import { hostileJson, hostileString, hugeArray } from "./hostile-json.js";
import { mutated } from "./mutate.js";

/**
 * Whole HTTP requests for an app under test (`fastify.inject`): a route's body built from its schema
 * and broken in a few places, or not JSON at all; odd paths, methods and headers around it.
 */

export interface FuzzRoute {
  readonly method: "GET" | "POST";
  readonly url: string;
  /** A valid body for the route (POST routes). */
  readonly body?: fc.Arbitrary<unknown>;
  /** Field names of the body, for mutations that add keys. */
  readonly keys?: readonly string[];
}

export interface FuzzHttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
}

/** The same route reached in the ways clients and attackers write URLs. */
function urlVariant(url: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(url) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `${url}?beta=true`,
        `/anthropic${url}`,
        `/openai/v1/x/..${url}`,
        `${url}/`,
        `/${url}`,
        url.toUpperCase(),
        `${url}?a=%ZZ&b=%00`,
        `${url}#frag`,
        `${url}%2F..`,
        `${url};jsessionid=1`,
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "/",
        "/v1",
        "/v1/",
        "/v1/models/%00",
        "/v1/models/..%2F..%2Fetc%2Fpasswd",
        "/v1/messages/count_tokens/x",
        "/v1/chat/completions/../../admin/fleet",
        `/${"a".repeat(4000)}`,
        "/v1/models/é😀",
        "/metrics",
        "/__proto__",
        "/admin/models/load",
        // Not /ui/events: the dashboard's event stream stays open by design.
      ),
    },
  );
}

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "application/vnd.api+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; boundary=",
];

/** Headers besides content-type: credentials, ids and versions in odd shapes. */
function extraHeaders(): fc.Arbitrary<Record<string, string>> {
  return fc
    .record(
      {
        authorization: fc.constantFrom(
          "Bearer ",
          "Bearer x",
          "Basic Og==",
          "bearer sk-1",
          "Bearer " + "k".repeat(5000),
        ),
        "x-api-key": fc.constantFrom("", "x", "sk-ant-1"),
        "anthropic-version": fc.constantFrom("2023-06-01", "1999-01-01", ""),
        "anthropic-beta": fc.constantFrom("interleaved-thinking-2025-05-14", "x,y,,z"),
        "x-request-id": fc.oneof(
          fc.constantFrom("", "r-1", "a".repeat(200), "../../x", "é"),
          fc.string({ maxLength: 20 }),
        ),
        accept: fc.constantFrom("text/event-stream", "*/*", "application/json"),
        "accept-encoding": fc.constantFrom("gzip", "br", "identity;q=0"),
        "content-encoding": fc.constantFrom("gzip", "deflate", "identity"),
        "x-cortex-force-tool-call": fc.constantFrom("get_weather", ""),
        "x-cortex-force-thought": fc.constantFrom("1", ""),
      },
      { requiredKeys: [] },
    )
    .map((headers) => {
      // Header values must be printable Latin-1 (the HTTP layer refuses others before the app sees them).
      const clean: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) {
        if (/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) clean[name] = value;
      }
      return clean;
    });
}

/** Bodies that are not (quite) JSON, or JSON shaped to hurt a parser. */
function oddPayload(): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    fc.constantFrom(
      "",
      "null",
      "[]",
      "{",
      '{"model":',
      '{"model":"m",}',
      '{"model":"m"}garbage',
      "\uFEFF{}",
      '{"max_tokens":1e999,"temperature":-1e999,"model":"m","messages":[]}',
      '{"__proto__":{"polluted":true},"model":"m"}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"a":1,"a":2}',
    ),
    fc
      .integer({ min: 1, max: 100_000 })
      .map((depth) => `{"model":"m","messages":${"[".repeat(depth)}${"]".repeat(depth)}}`),
    fc.integer({ min: 1, max: 100_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    hostileString(),
  );
}

function body(route: FuzzRoute): fc.Arbitrary<string | Buffer | undefined> {
  const valid = route.body;
  if (valid === undefined) return fc.oneof(fc.constant(undefined), oddPayload());
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((value) => JSON.stringify(value)) },
    {
      weight: 6,
      arbitrary: mutated(valid, { keys: route.keys ?? [] }).map((value) => JSON.stringify(value)),
    },
    {
      weight: 1,
      arbitrary: hostileJson({ depth: 4, keys: route.keys ?? [] }).map((value) => JSON.stringify(value)),
    },
    {
      weight: 1,
      arbitrary: hugeArray(20_000).map((items) =>
        JSON.stringify({ model: "m", messages: items, input: items }),
      ),
    },
    { weight: 2, arbitrary: oddPayload() },
  );
}

/** One request to one of `routes`, mostly well addressed, with a body built for that route. */
export function httpRequest(routes: readonly FuzzRoute[]): fc.Arbitrary<FuzzHttpRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(route.method) },
          {
            weight: 1,
            arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
          },
        ),
        url: urlVariant(route.url),
        contentType: fc.oneof(
          { weight: 6, arbitrary: fc.constant("application/json") },
          { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        headers: extraHeaders(),
        payload: body(route),
      })
      .map(({ method, url, contentType, headers, payload }) => ({
        method,
        url,
        headers: { ...headers, ...(contentType === undefined ? {} : { "content-type": contentType }) },
        ...(payload === undefined || method === "GET" || method === "HEAD" ? {} : { payload }),
      })),
  );
}
