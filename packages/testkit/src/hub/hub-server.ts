import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeHubFile, readHubFile, type HubFile, type HubFileSource } from "./hub-files.js";

/** One model repo of the test hub. */
export interface HubRepoSpec {
  /** Path in the repo → a file on disk (a generated model) or literal bytes. */
  readonly files: Readonly<Record<string, HubFileSource>>;
  /** Downloads need `Authorization: Bearer <one of the server's tokens>`, as on a gated repo. */
  readonly gated?: boolean;
}

export interface HubServerOptions {
  /** Keyed by repo id, `org/name`. */
  readonly repos: Readonly<Record<string, HubRepoSpec>>;
  /** Tokens granted access to the gated repos. */
  readonly tokens?: readonly string[];
  /** Tree listing entries per page (the rest behind `Link: <…>; rel="next"`). */
  readonly pageSize?: number;
}

/** A request the hub or its CDN saw, for assertions (resume ranges, where the token went). */
export interface HubRequest {
  readonly server: "hub" | "cdn";
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly authorization: string | null;
}

export interface HubServer {
  /** What `HF_ENDPOINT` is set to. */
  readonly url: string;
  /** The CDN LFS downloads redirect to: another origin, as on the real hub. */
  readonly cdnUrl: string;
  readonly requests: readonly HubRequest[];
  /** The commit `main` of a repo points at. */
  commitOf(repo: string): string;
  /** The hub's record of a file (sizes and hashes as the tree lists them). */
  file(repo: string, path: string): HubFile;
  /** The next `times` downloads of `path` (in any repo) send `afterBytes` bytes and drop the connection. */
  dropAfter(path: string, afterBytes: number, times?: number): void;
  /** Serves `path` (in any repo) with its last byte changed, so its sha256 no longer matches the tree. */
  corrupt(path: string): void;
  /**
   * The next download of `path` (in any repo) sends `afterBytes` bytes and then waits until the returned
   * function is called: a download caught in the middle, for as long as a test needs.
   */
  stall(path: string, afterBytes: number): () => void;
  close(): Promise<void>;
}

interface Stall {
  readonly afterBytes: number;
  readonly released: Promise<void>;
}

interface Repo {
  readonly id: string;
  readonly commit: string;
  readonly gated: boolean;
  readonly files: readonly HubFile[];
}

/**
 * A local stand-in for the subset of the Hugging Face hub HTTP API a model pull uses, shaped like the real
 * one (docs/models.md "The hub API a pull uses"):
 * - `GET /api/models/{repo}/revision/{rev}`: model info with `sha` and `gated`;
 * - `GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=`: entries with `oid`, `size` and `lfs`
 *   ({oid: sha256, size, pointerSize}), paginated with a `Link` header;
 * - `GET /{repo}/resolve/{rev}/{path}`: small files served directly (ETag = git oid), LFS files
 *   redirected (302) to the CDN origin, which serves them with Range support (206, Content-Range);
 * - 401 / 403 with `X-Error-Code: GatedRepo` for a gated repo without / with a wrong token, 404 with
 *   `RepoNotFound`, `RevisionNotFound` or `EntryNotFound`.
 */
export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const repos = new Map<string, Repo>();
  for (const [id, spec] of Object.entries(options.repos)) repos.set(id, await describeRepo(id, spec));
  const byHash = new Map<string, HubFile>();
  for (const repo of repos.values()) for (const file of repo.files) byHash.set(file.sha256, file);
  const tokens = new Set(options.tokens ?? []);
  const pageSize = options.pageSize ?? 1000;
  const requests: HubRequest[] = [];
  const drops = new Map<string, { afterBytes: number; times: number }>();
  const corrupted = new Set<string>();
  const stalls = new Map<string, { afterBytes: number; released: Promise<void> }>();

  const log = (server: HubRequest["server"], request: IncomingMessage): void => {
    requests.push({
      server,
      method: request.method ?? "GET",
      path: request.url ?? "/",
      range: request.headers.range ?? null,
      authorization: request.headers.authorization ?? null,
    });
  };
  const serveFile = (request: IncomingMessage, response: ServerResponse, file: HubFile): void => {
    sendFileRange(request, response, file, {
      // Only a response longer than the cut counts (not the 1-byte probes before a download).
      dropAfter: (length) => {
        const drop = drops.get(file.path);
        if (!drop || drop.times <= 0 || length <= drop.afterBytes) return null;
        drop.times -= 1;
        return drop.afterBytes;
      },
      stall: (length) => {
        const stall = stalls.get(file.path);
        if (!stall || length <= stall.afterBytes) return null;
        stalls.delete(file.path);
        return stall;
      },
      corrupt: corrupted.has(file.path),
    });
  };

  const cdn = createServer((request, response) => {
    log("cdn", request);
    const hash = /^\/blobs\/([0-9a-f]{64})$/.exec(request.url?.split("?")[0] ?? "")?.[1];
    const file = hash === undefined ? undefined : byHash.get(hash);
    if (file === undefined) return sendError(response, 404, "EntryNotFound", "blob not found");
    serveFile(request, response, file);
  });
  const cdnUrl = await listen(cdn);

  const hub = createServer((request, response) => {
    log("hub", request);
    const url = new URL(request.url ?? "/", "http://hub");
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
    if (api) {
      const [, repoId = "", kind, revision = "", path = ""] = api;
      const repo = findRevision(response, repos, repoId, decodeURIComponent(revision));
      if (!repo) return;
      if (kind === "revision") return sendJson(response, 200, modelInfo(repo));
      const recursive = url.searchParams.get("recursive") === "true";
      const entries = treeEntries(repo, decodeURIComponent(path), recursive);
      const cursor = Number(url.searchParams.get("cursor") ?? 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < entries.length) {
        const next = new URL(url.pathname, hubUrl);
        url.searchParams.forEach((value, key) => next.searchParams.set(key, value));
        next.searchParams.set("cursor", String(cursor + pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return sendJson(response, 200, page, headers);
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const [, repoId = "", revision = "", path = ""] = resolve;
      const repo = findRevision(response, repos, repoId, decodeURIComponent(revision));
      if (!repo) return;
      if (repo.gated) {
        const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
        if (given === undefined) {
          return sendError(
            response,
            401,
            "GatedRepo",
            `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          );
        }
        if (!tokens.has(given)) {
          return sendError(
            response,
            403,
            "GatedRepo",
            `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit ${hubUrl}/${repo.id} to ask for access.`,
          );
        }
      }
      const file = repo.files.find((candidate) => candidate.path === decodeURIComponent(path));
      if (!file) return sendError(response, 404, "EntryNotFound", `${path} does not exist in ${repo.id}`);
      const common = { "x-repo-commit": repo.commit };
      if (!file.lfs) {
        for (const [name, value] of Object.entries(common)) response.setHeader(name, value);
        return serveFile(request, response, file);
      }
      response.writeHead(302, {
        ...common,
        location: `${cdnUrl}/blobs/${file.sha256}`,
        "x-linked-size": String(file.size),
        "x-linked-etag": `"${file.sha256}"`,
        etag: `"${file.gitOid}"`,
        "content-length": "0",
      });
      return response.end();
    }
    sendError(response, 404, "NotFound", `no route ${request.method} ${url.pathname}`);
  });
  const hubUrl = await listen(hub);

  return {
    url: hubUrl,
    cdnUrl,
    requests,
    commitOf: (repo) => required(repos.get(repo), `no repo ${repo}`).commit,
    file: (repo, path) =>
      required(
        repos.get(repo)?.files.find((file) => file.path === path),
        `no file ${path} in ${repo}`,
      ),
    dropAfter: (path, afterBytes, times = 1) => void drops.set(path, { afterBytes, times }),
    corrupt: (path) => void corrupted.add(path),
    stall: (path, afterBytes) => {
      let release = (): void => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      stalls.set(path, { afterBytes, released });
      return release;
    },
    close: async () => {
      await Promise.all([close(hub), close(cdn)]);
    },
  };
}

async function describeRepo(id: string, spec: HubRepoSpec): Promise<Repo> {
  const files = await Promise.all(
    Object.entries(spec.files).map(([path, source]) => describeHubFile(path, source)),
  );
  files.sort((a, b) => a.path.localeCompare(b.path));
  // A commit id that changes whenever the content does, like a real one.
  const commit = createHash("sha1")
    .update(id)
    .update(files.map((file) => `${file.path}:${file.gitOid}`).join("\n"))
    .digest("hex");
  return { id, commit, gated: spec.gated === true, files };
}

function findRevision(
  response: ServerResponse,
  repos: ReadonlyMap<string, Repo>,
  id: string,
  revision: string,
): Repo | undefined {
  const repo = repos.get(id);
  if (!repo) {
    sendError(response, 404, "RepoNotFound", "Repository not found");
    return undefined;
  }
  if (revision !== "main" && revision !== "HEAD" && revision !== repo.commit) {
    sendError(response, 404, "RevisionNotFound", `Invalid rev id: ${revision}`);
    return undefined;
  }
  return repo;
}

function modelInfo(repo: Repo): unknown {
  return {
    _id: createHash("sha1").update(repo.id).digest("hex").slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    sha: repo.commit,
    private: false,
    gated: repo.gated ? "manual" : false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: [],
    library_name: null,
    lastModified: "2025-01-01T00:00:00.000Z",
    createdAt: "2025-01-01T00:00:00.000Z",
    siblings: repo.files.map((file) => ({ rfilename: file.path })),
  };
}

function treeEntries(repo: Repo, path: string, recursive: boolean): unknown[] {
  const prefix = path === "" ? "" : `${path.replace(/\/+$/, "")}/`;
  const entries: unknown[] = [];
  const directories = new Set<string>();
  for (const file of repo.files) {
    if (!file.path.startsWith(prefix)) continue;
    const rest = file.path.slice(prefix.length);
    const segments = rest.split("/");
    // Every folder on the way is an entry of its own (listed once), as the hub lists them.
    for (let depth = 1; depth < segments.length && (recursive || depth === 1); depth++) {
      const directory = prefix + segments.slice(0, depth).join("/");
      if (directories.has(directory)) continue;
      directories.add(directory);
      entries.push({ type: "directory", oid: sha1(directory), size: 0, path: directory });
    }
    if (!recursive && segments.length > 1) continue;
    entries.push({
      type: "file",
      oid: file.lfs
        ? sha1(`version https://git-lfs.github.com/spec/v1\noid sha256:${file.sha256}`)
        : file.gitOid,
      size: file.size,
      path: file.path,
      ...(file.lfs ? { lfs: { oid: file.sha256, size: file.size, pointerSize: 134 } } : {}),
    });
  }
  return entries;
}

/** Serves the file, or the one range asked for (206 + Content-Range), as the hub's CDN does. */
function sendFileRange(
  request: IncomingMessage,
  response: ServerResponse,
  file: HubFile,
  faults: {
    dropAfter: (length: number) => number | null;
    stall: (length: number) => Stall | null;
    corrupt: boolean;
  },
): void {
  let start = 0;
  let end = file.size - 1;
  const range = request.headers.range;
  let status = 200;
  if (range !== undefined) {
    const parsed = /^bytes=(\d*)-(\d*)$/.exec(range);
    const first = parsed?.[1] ? Number(parsed[1]) : null;
    const last = parsed?.[2] ? Number(parsed[2]) : null;
    if (!parsed || first === null || first >= file.size || (last !== null && last < first)) {
      response.writeHead(416, { "content-range": `bytes */${file.size}` });
      return void response.end();
    }
    start = first;
    end = last === null ? file.size - 1 : Math.min(last, file.size - 1);
    status = 206;
  }
  response.writeHead(status, {
    "content-type": "application/octet-stream",
    "content-length": String(end - start + 1),
    "accept-ranges": "bytes",
    etag: `"${file.lfs ? file.sha256 : file.gitOid}"`,
    ...(status === 206 ? { "content-range": `bytes ${start}-${end}/${file.size}` } : {}),
  });
  if (request.method === "HEAD") return void response.end();
  const length = end - start + 1;
  void pump(response, file, start, end, {
    dropAfter: faults.dropAfter(length),
    stall: faults.stall(length),
    corrupt: faults.corrupt,
  });
}

async function pump(
  response: ServerResponse,
  file: HubFile,
  start: number,
  end: number,
  faults: { dropAfter: number | null; stall: Stall | null; corrupt: boolean },
): Promise<void> {
  let position = start;
  let sent = 0;
  let stall = faults.stall;
  try {
    for await (const chunk of readHubFile(file, start, end)) {
      let bytes = Buffer.from(chunk);
      if (faults.corrupt && position + bytes.length === file.size) {
        bytes = Buffer.from(bytes);
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
      }
      if (stall !== null && sent + bytes.length > stall.afterBytes) {
        const head = bytes.subarray(0, stall.afterBytes - sent);
        if (head.length > 0) response.write(head);
        sent += head.length;
        position += head.length;
        bytes = bytes.subarray(head.length);
        await stall.released;
        stall = null;
      }
      if (faults.dropAfter !== null && sent + bytes.length >= faults.dropAfter) {
        const head = bytes.subarray(0, faults.dropAfter - sent);
        // Let the bytes reach the client, then cut the connection mid-body.
        response.write(head, () => response.socket?.destroy());
        return;
      }
      position += bytes.length;
      sent += bytes.length;
      if (!response.write(bytes)) {
        await new Promise<void>((resolve) => response.once("drain", resolve));
      }
    }
    response.end();
  } catch {
    response.destroy();
  }
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(payload)),
  });
  response.end(payload);
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { error: message }, { "x-error-code": code, "x-error-message": message });
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
