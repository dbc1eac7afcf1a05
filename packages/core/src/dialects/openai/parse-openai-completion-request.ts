import { CortexError } from "../../errors/cortex-error.js";
import { parseWithSchema } from "../shared/parse-with-schema.js";
import { MAX_STOP_SEQUENCES, checkStopSequences } from "../shared/stop-sequences.js";
import {
  OpenAICompletionRequestSchema,
  type OpenAICompletionRequest,
} from "./openai-completion-request-schema.js";

/** Validates a `/v1/completions` body; options that would change the answer's shape are refused. */
export function parseOpenAICompletionRequest(body: unknown): OpenAICompletionRequest {
  const request = parseWithSchema(OpenAICompletionRequestSchema, body);
  // The neuron decodes these; OpenAI's own limit of 4 is checked where OpenAI clients arrive (gateway).
  const stop = request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop;
  checkStopSequences("stop", stop, MAX_STOP_SEQUENCES);
  if (request.n != null && request.n !== 1) reject("n", `only 1 is supported, got ${request.n}`);
  if (request.best_of != null && request.best_of > 1)
    reject("best_of", `only 1 is supported, got ${request.best_of}`);
  if (request.logprobs != null && request.logprobs > 0) reject("logprobs", "logprobs are not supported");
  return request;
}

function reject(param: string, message: string): never {
  throw new CortexError("invalid_request", `${param}: ${message}`, { param });
}
