/** The OpenAI stream terminator. Not JSON, so it has no encoder of its own. */
export const SSE_DONE = "data: [DONE]\n\n";
