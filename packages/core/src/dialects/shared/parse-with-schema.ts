import type { z } from "zod";
import { CortexError } from "../../errors/cortex-error.js";

type Issue = z.core.$ZodIssue;

/**
 * Validates a client body and turns the first problem into a 400 that names the field
 * (`messages[2].content: Field required`), the way clients show it to users.
 */
export function parseWithSchema<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body, { error: fieldRequired });
  if (parsed.success) return parsed.data;
  const issue = mostSpecific(parsed.error.issues[0]);
  const param = issue ? formatIssuePath(issue.path) : "body";
  throw new CortexError("invalid_request", `${param}: ${issue?.message ?? "invalid request body"}`, {
    param,
  });
}

/** Pydantic's wording, which Anthropic's API uses and Claude Code users will recognise. */
const FIELD_REQUIRED = "Field required";

function fieldRequired(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === "invalid_type" && issue.input === undefined ? FIELD_REQUIRED : undefined;
}

/**
 * A union failure says only "Invalid input"; the branch whose first issue got deepest into the value is
 * almost always the one the client meant, so report that one.
 */
function mostSpecific(issue: Issue | undefined): Issue | undefined {
  if (issue?.code !== "invalid_union" || issue.errors.length === 0) return issue;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const candidate = mostSpecific(branch[0]);
    if (candidate && (!best || candidate.path.length > best.path.length)) best = candidate;
  }
  if (!best || best.path.length === 0) return { ...issue, message: describeUnion(issue) };
  return { ...best, path: [...issue.path, ...best.path] };
}

function describeUnion(issue: Extract<Issue, { code: "invalid_union" }>): string {
  const expected = new Set<string>();
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first?.message === FIELD_REQUIRED) return FIELD_REQUIRED;
    if (first?.code === "invalid_type" && first.path.length === 0) expected.add(first.expected);
  }
  if (expected.size === 0) return issue.message;
  return `Invalid input: expected ${[...expected].join(" or ")}`;
}

/** `["messages", 2, "tool_calls", 0, "function"]` → `messages[2].tool_calls[0].function`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "body" : text;
}
