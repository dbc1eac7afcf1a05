import { CortexError, isCortexError } from "@cortex/core";
import type * as HubLibrary from "@huggingface/hub";
import type { HubFileEntry } from "./select-pull-files.js";

/** Where the hub is and who we are to it: `HF_ENDPOINT` and `HF_TOKEN`, as huggingface_hub reads them. */
export interface HubSettings {
  /** Base URL without a trailing slash; `https://huggingface.co` unless HF_ENDPOINT says otherwise. */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer` to the hub (never to the CDN a download is redirected to). */
  readonly token: string | undefined;
}

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const endpoint = (env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, "");
  const token = env.HF_TOKEN?.trim() || undefined;
  return { endpoint, token };
}

/** The start of a download: the response whose body carries the file from `offset` on. */
export interface OpenedDownload {
  readonly body: ReadableStream<Uint8Array>;
  /** Where the body starts: `offset`, or 0 when the server ignored the Range header (200). */
  readonly start: number;
}

type Hub = typeof HubLibrary;

/**
 * The part of the Hugging Face hub a pull uses. Listing and resolving go through @huggingface/hub
 * (`modelInfo` for the commit a revision points at, `listFiles` for the tree with LFS sha256 and sizes,
 * `fileDownloadInfo` for the download URL); the bytes are fetched here with a Range header, because the
 * library's ranged blob neither takes an AbortSignal nor checks that a 206 for that range came back
 * (docs/decisions.md). Every failure becomes a CortexError that names the repo and says what to do.
 */
export class HubClient {
  readonly settings: HubSettings;
  readonly #origin: string;
  #hub: Promise<Hub> | undefined;

  constructor(settings: HubSettings) {
    this.settings = settings;
    this.#origin = new URL(settings.endpoint).origin;
  }

  /** The commit `revision` (default `main`) points at, so every file comes from the same one. */
  async resolveCommit(repo: string, revision: string | undefined): Promise<string> {
    const hub = await this.#library();
    const info = await this.#call(repo, revision, () =>
      hub.modelInfo({
        name: repo,
        hubUrl: this.settings.endpoint,
        fetch: this.#fetch,
        additionalFields: ["sha"],
        ...(revision === undefined ? {} : { revision }),
      }),
    );
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha)) {
      throw new CortexError(
        "upstream_error",
        `the hub at ${this.settings.endpoint} gave no commit for ${repo}`,
      );
    }
    return sha;
  }

  /** Every file of the repo at `commit` (folders are walked). */
  async listFiles(repo: string, commit: string): Promise<HubFileEntry[]> {
    const hub = await this.#library();
    return this.#call(repo, commit, async () => {
      const entries: HubFileEntry[] = [];
      for await (const entry of hub.listFiles({
        repo: { type: "model", name: repo },
        revision: commit,
        recursive: true,
        hubUrl: this.settings.endpoint,
        fetch: this.#fetch,
      })) {
        if (entry.type !== "file") continue;
        entries.push({
          path: entry.path,
          size: entry.size,
          sha256: entry.lfs?.oid ?? null,
          gitOid: entry.oid ?? "",
        });
      }
      return entries;
    });
  }

  /**
   * Asks for the first byte of `path`: a gated or private repo refuses here, before a pull is accepted
   * (the listing itself is public for gated repos).
   */
  async checkAccess(repo: string, commit: string, path: string): Promise<void> {
    await this.#downloadUrl(repo, commit, path);
  }

  /**
   * Opens `path` at `commit` from byte `offset` on. Follows the hub's redirect to its CDN; the token
   * only goes to the hub's own origin (fetch drops it on a cross-origin redirect).
   */
  async open(
    repo: string,
    commit: string,
    path: string,
    offset: number,
    signal: AbortSignal,
  ): Promise<OpenedDownload> {
    const url = await this.#downloadUrl(repo, commit, path, signal);
    const response = await this.#fetch(url, {
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      signal,
    }).catch((error: unknown) => {
      throw this.#unreachable(error, signal);
    });
    if (response.status === 206) {
      const start = Number(/^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1]);
      if (start !== offset || response.body === null) {
        await response.body?.cancel();
        throw new CortexError(
          "upstream_error",
          `the hub answered a range of ${path} other than bytes=${offset}-`,
        );
      }
      return { body: response.body, start };
    }
    if (response.status === 200 && response.body !== null) return { body: response.body, start: 0 };
    const text = await response.text().catch(() => "");
    throw this.#httpError(repo, response.status, response.headers.get("x-error-code"), errorMessage(text));
  }

  /** Where the bytes of `path` are (the library asks the hub for the first one). */
  async #downloadUrl(repo: string, commit: string, path: string, signal?: AbortSignal): Promise<string> {
    const hub = await this.#library();
    const info = await this.#call(repo, commit, () =>
      hub.fileDownloadInfo({
        repo: { type: "model", name: repo },
        path,
        revision: commit,
        hubUrl: this.settings.endpoint,
        fetch: (input, init) => this.#fetch(input, { ...init, ...(signal ? { signal } : {}) }),
      }),
    );
    if (info === null) {
      throw new CortexError(
        "upstream_error",
        `${path} is listed in ${repo} at ${commit} but cannot be found`,
      );
    }
    return info.url;
  }

  #library(): Promise<Hub> {
    this.#hub ??= import("@huggingface/hub");
    return this.#hub;
  }

  /** Global fetch with the token added for the hub's own origin. */
  readonly #fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init?.headers);
    if (this.settings.token !== undefined && url.origin === this.#origin) {
      headers.set("authorization", `Bearer ${this.settings.token}`);
    }
    return fetch(url, { ...init, headers });
  };

  async #call<T>(repo: string, revision: string | undefined, action: () => Promise<T>): Promise<T> {
    const { HubApiError } = await this.#library();
    try {
      return await action();
    } catch (error) {
      if (isCortexError(error)) throw error;
      if (error instanceof HubApiError) {
        // The library appends ". URL: …" to the hub's own message.
        throw this.#httpError(
          repo,
          error.statusCode,
          null,
          error.message.replace(/\. URL: .*$/s, ""),
          revision,
        );
      }
      throw this.#unreachable(error);
    }
  }

  #httpError(
    repo: string,
    status: number,
    errorCode: string | null,
    message: string,
    revision?: string,
  ): CortexError {
    const gated = errorCode === "GatedRepo" || /restricted|gated/i.test(message);
    if ((status === 401 || status === 403) && gated) {
      const how =
        this.settings.token === undefined
          ? "set HF_TOKEN on the neuron to a token of an account that was granted access"
          : "the account of HF_TOKEN has not been granted access; request it on the model's page";
      return new CortexError(
        "hub_access_denied",
        `${repo} is gated: ${how} (${this.settings.endpoint}/${repo})`,
        {
          param: "repo",
        },
      );
    }
    // Unauthenticated, the hub answers 401 "Repository not found" for private and missing repos alike.
    if (status === 404 || (status === 401 && /not found/i.test(message))) {
      const what =
        /\brev(?:ision)?\b/i.test(message) && revision !== undefined
          ? `revision ${revision} of ${repo}`
          : repo;
      const hint =
        status === 401 && this.settings.token === undefined
          ? " (or private: set HF_TOKEN on the neuron)"
          : "";
      return new CortexError("model_not_found", `${what} not found on ${this.settings.endpoint}${hint}`, {
        param: "repo",
      });
    }
    if (status === 401 || status === 403) {
      return new CortexError(
        "hub_access_denied",
        `the hub refused access to ${repo} (${status}${message ? `: ${message}` : ""})${this.settings.token === undefined ? "; a private repo needs HF_TOKEN on the neuron" : ""}`,
        { param: "repo" },
      );
    }
    return new CortexError(
      "upstream_error",
      `the hub at ${this.settings.endpoint} answered ${status} for ${repo}${message ? `: ${message}` : ""}`,
    );
  }

  #unreachable(error: unknown, signal?: AbortSignal): unknown {
    if (signal?.aborted) return error;
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return new CortexError("upstream_error", `cannot reach the hub at ${this.settings.endpoint}: ${cause}`, {
      cause: error,
    });
  }
}

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === "string" ? body.error : text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
