import { CortexError } from "./cortex-error.js";

/**
 * Fastify's own request errors (body too large, bad JSON, wrong content type) → our codes, so both HTTP
 * servers answer them in the client's dialect. Null for anything that is not one of them.
 */
export function fromHttpFrameworkError(
  error: Error & { code?: unknown; statusCode?: unknown },
): CortexError | null {
  if (error instanceof CortexError || typeof error.code !== "string") return null;
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new CortexError("request_too_large", "request body too large", { cause: error });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new CortexError("invalid_request", "content-type must be application/json", { cause: error });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new CortexError("invalid_request", error.message, { cause: error });
    default:
      if (error instanceof SyntaxError || error.statusCode === 400) {
        return new CortexError("invalid_request", `invalid JSON body: ${error.message}`, { cause: error });
      }
      return null;
  }
}
