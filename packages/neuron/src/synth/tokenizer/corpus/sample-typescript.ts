/** TypeScript in the style of a small service, written for the tokenizer sample. */
export const SAMPLE_TYPESCRIPT = `import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join, dirname } from "node:path";
import { z } from "zod";

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly createdAt: Date;
  roles: string[];
}

export type Result<T, E = Error> = { ok: true; value: T } | { ok: false; error: E };

const userSchema = z.object({
  name: z.string().min(1).max(200),
  email: z.string().email(),
  roles: z.array(z.string()).default([]),
});

export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
  constructor(readonly resource: string, readonly id: string) {
    super(resource + " " + id + " was not found");
  }
}

export class UserStore {
  private readonly users = new Map<string, User>();
  private nextId = 1;

  constructor(private readonly path: string) {}

  async load(): Promise<void> {
    try {
      const text = await readFile(this.path, "utf8");
      const data = JSON.parse(text) as { users: User[] };
      for (const user of data.users) {
        this.users.set(user.id, { ...user, createdAt: new Date(user.createdAt) });
      }
      this.nextId = this.users.size + 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  async save(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const data = { users: [...this.users.values()] };
    await writeFile(this.path, JSON.stringify(data, null, 2) + "\\n", "utf8");
  }

  get(id: string): User {
    const user = this.users.get(id);
    if (user === undefined) throw new NotFoundError("user", id);
    return user;
  }

  list(options: { limit?: number; offset?: number } = {}): User[] {
    const { limit = 50, offset = 0 } = options;
    return [...this.users.values()]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(offset, offset + limit);
  }

  create(input: unknown): Result<User> {
    const parsed = userSchema.safeParse(input);
    if (!parsed.success) {
      return { ok: false, error: new Error(parsed.error.issues.map((issue) => issue.message).join("; ")) };
    }
    const id = String(this.nextId++);
    const user: User = { id, createdAt: new Date(), ...parsed.data };
    this.users.set(id, user);
    return { ok: true, value: user };
  }

  delete(id: string): boolean {
    return this.users.delete(id);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
  });
  response.end(payload);
}

async function readBody(request: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

export function createApp(store: UserStore) {
  return createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter(Boolean);
    try {
      if (request.method === "GET" && url.pathname === "/health") {
        return sendJson(response, 200, { status: "ok" });
      }
      if (parts[0] !== "users") return sendJson(response, 404, { error: "not_found" });
      if (request.method === "GET" && parts.length === 1) {
        const limit = Number(url.searchParams.get("limit") ?? 50);
        return sendJson(response, 200, { data: store.list({ limit }) });
      }
      if (request.method === "GET" && parts.length === 2) {
        return sendJson(response, 200, store.get(parts[1]!));
      }
      if (request.method === "POST" && parts.length === 1) {
        const result = store.create(await readBody(request));
        if (!result.ok) return sendJson(response, 400, { error: "invalid_request", message: result.error.message });
        await store.save();
        return sendJson(response, 201, result.value);
      }
      if (request.method === "DELETE" && parts.length === 2) {
        const deleted = store.delete(parts[1]!);
        if (deleted) await store.save();
        return sendJson(response, deleted ? 204 : 404, deleted ? null : { error: "not_found" });
      }
      return sendJson(response, 405, { error: "method_not_allowed" });
    } catch (error) {
      if (error instanceof NotFoundError) return sendJson(response, 404, { error: "not_found", message: error.message });
      console.error("unhandled error", error);
      return sendJson(response, 500, { error: "internal_error" });
    }
  });
}

export async function retry<T>(fn: () => Promise<T>, attempts = 3, delayMs = 100): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await fn();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** attempt));
    }
  }
  throw lastError;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, waitMs: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  };
}

export function groupBy<T, K extends string | number>(items: readonly T[], key: (item: T) => K): Record<K, T[]> {
  const groups = {} as Record<K, T[]>;
  for (const item of items) {
    const k = key(item);
    (groups[k] ??= []).push(item);
  }
  return groups;
}

export async function* readLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream) {
    pending += chunk.toString();
    let index: number;
    while ((index = pending.indexOf("\\n")) >= 0) {
      yield pending.slice(0, index);
      pending = pending.slice(index + 1);
    }
  }
  if (pending !== "") yield pending;
}

const port = Number(process.env.PORT ?? 3000);
const store = new UserStore(join(process.cwd(), "data", "users.json"));
await store.load();
createApp(store).listen(port, () => {
  console.log("listening on http://localhost:" + port);
});

// users.test.ts
import { describe, expect, it, beforeEach, vi } from "vitest";

describe("UserStore", () => {
  let store: UserStore;

  beforeEach(() => {
    store = new UserStore("/tmp/users-test.json");
  });

  it("creates a user with a generated id", () => {
    const result = store.create({ name: "Ada Lovelace", email: "ada@example.com" });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.id).toBe("1");
      expect(result.value.roles).toEqual([]);
    }
  });

  it("rejects an invalid email address", () => {
    const result = store.create({ name: "Bob", email: "not-an-email" });
    expect(result.ok).toBe(false);
  });

  it("throws NotFoundError for an unknown id", () => {
    expect(() => store.get("42")).toThrow(NotFoundError);
  });

  it("retries a failing call until it succeeds", async () => {
    vi.useFakeTimers();
    const fn = vi.fn().mockRejectedValueOnce(new Error("flaky")).mockResolvedValue("done");
    const promise = retry(fn, 3, 10);
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe("done");
    expect(fn).toHaveBeenCalledTimes(2);
    vi.useRealTimers();
  });
});

// React component
import { useEffect, useState } from "react";

export function UserList({ endpoint }: { endpoint: string }) {
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const controller = new AbortController();
    fetch(endpoint, { signal: controller.signal })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json() as Promise<{ data: User[] }>;
      })
      .then((body) => setUsers(body.data))
      .catch((err: Error) => {
        if (err.name !== "AbortError") setError(err.message);
      })
      .finally(() => setLoading(false));
    return () => controller.abort();
  }, [endpoint]);

  if (loading) return <p className="muted">Loading users...</p>;
  if (error !== null) return <p role="alert">Could not load users: {error}</p>;
  return (
    <ul className="user-list">
      {users.map((user) => (
        <li key={user.id}>
          <strong>{user.name}</strong> <span>{user.email}</span>
        </li>
      ))}
    </ul>
  );
}
`;
