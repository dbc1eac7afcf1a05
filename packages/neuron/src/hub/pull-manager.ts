import { rm } from "node:fs/promises";
import { join } from "node:path";
import { CortexError, isCortexError, type NeuronModel } from "@cortex/core";
import type { HubClient } from "./hub-client.js";
import { contentKey, planPull, runPull, type FreeSpace, type PlannedPull } from "./pull-model.js";
import { downloadsDir, readManifest, removePulledModel } from "./pulled-models.js";
import type { PullSpec } from "./select-pull-files.js";

export interface PullManagerOptions {
  readonly modelsDir: string;
  readonly client: HubClient;
  readonly freeSpace?: FreeSpace;
  readonly retryDelayMs?: number;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  /** The files are in place: rescan, so the model is listed before its pull leaves the list. */
  readonly onPulled: (id: string) => Promise<void>;
}

interface Pull {
  readonly planned: PlannedPull;
  state: "downloading" | "failed";
  bytesDone: number;
  error: string | null;
  readonly abort: AbortController;
  /** Resolves when the download is over, whichever way. */
  settled: Promise<void>;
}

/**
 * The neuron's pulls from Hugging Face, keyed by the id the model will have. Owns them from the request
 * until the files are in place: a pull answers as soon as it is planned (the repo listed, the file
 * chosen, the disk checked), downloads in the background, shows in `GET /models` as "downloading" with
 * its bytes, and stays there as "failed" with the reason until it is retried or deleted.
 */
export class PullManager {
  readonly #options: PullManagerOptions;
  readonly #pulls = new Map<string, Pull>();

  constructor(options: PullManagerOptions) {
    this.#options = options;
  }

  /**
   * Plans the pull and starts it; returns its row for `/models`. Asking again while it downloads joins
   * it. `present` when the model is already in models_dir from this repo and commit.
   */
  async start(
    spec: PullSpec,
    isListed: (id: string) => boolean,
  ): Promise<{ pulling: NeuronModel } | { present: string }> {
    const { client, modelsDir } = this.#options;
    const planned = await planPull(spec, {
      client,
      modelsDir,
      ...(this.#options.freeSpace ? { freeSpace: this.#options.freeSpace } : {}),
    });
    const id = planned.plan.id;
    const running = this.#pulls.get(id);
    if (running?.state === "downloading") {
      if (running.planned.spec.repo === spec.repo && running.planned.commit === planned.commit) {
        return { pulling: this.#describe(id, running) };
      }
      throw new CortexError(
        "invalid_request",
        `model ${id} is already being pulled from ${running.planned.spec.repo}`,
        {
          param: "repo",
        },
      );
    }
    if (planned.upToDate) return { present: id };
    if (isListed(id)) {
      throw new CortexError("invalid_request", `this node already has a model ${id}; delete it first`, {
        param: "repo",
      });
    }
    const abort = new AbortController();
    const pull: Pull = {
      planned,
      state: "downloading",
      bytesDone: planned.bytesPresent,
      error: null,
      abort,
      settled: Promise.resolve(),
    };
    pull.settled = this.#run(id, pull);
    this.#pulls.set(id, pull);
    this.#options.log("pulling model", {
      model: id,
      repo: spec.repo,
      commit: planned.commit,
      bytes: planned.plan.bytes,
      resumedBytes: planned.bytesPresent,
    });
    return { pulling: this.#describe(id, pull) };
  }

  /** Rows for `GET /models`: pulls downloading and pulls that failed. */
  models(): NeuronModel[] {
    return [...this.#pulls].map(([id, pull]) => this.#describe(id, pull));
  }

  /** Why `id` cannot be served yet, when it is being pulled. */
  pending(id: string): string | null {
    const pull = this.#pulls.get(id);
    if (!pull) return null;
    const { bytes } = pull.planned.plan;
    return pull.state === "downloading"
      ? `model ${id} is still being downloaded (${Math.floor((100 * pull.bytesDone) / Math.max(1, bytes))}%)`
      : `pulling model ${id} failed: ${pull.error ?? "unknown error"}`;
  }

  /**
   * `DELETE /models/{id}`: cancels a pull (its partial downloads go too), or removes a pulled model's
   * files after `unload` has let it go. A model that was not pulled is refused: its files are the
   * operator's.
   */
  async delete(id: string, unload: () => Promise<void>): Promise<void> {
    const pull = this.#pulls.get(id);
    if (pull) {
      pull.abort.abort(new CortexError("request_aborted", `pull of ${id} cancelled`));
      await pull.settled;
      this.#pulls.delete(id);
      const downloads = downloadsDir(this.#options.modelsDir);
      for (const file of pull.planned.plan.files) {
        await rm(join(downloads, `${contentKey(file)}.partial`), { force: true });
        await rm(join(downloads, contentKey(file)), { force: true });
      }
      this.#options.log("pull cancelled", { model: id });
      return;
    }
    const manifest = await readManifest(this.#options.modelsDir, id);
    if (!manifest) {
      throw new CortexError(
        "invalid_request",
        `model ${id} was not pulled by this neuron; remove its files from models_dir by hand`,
        { param: "model" },
      );
    }
    await unload();
    await removePulledModel(this.#options.modelsDir, manifest);
    this.#options.log("pulled model deleted", { model: id, repo: manifest.repo, paths: manifest.paths });
  }

  /** For shutdown: stop every download (what arrived stays for the next pull) and wait for them. */
  async close(): Promise<void> {
    for (const pull of this.#pulls.values()) pull.abort.abort(new Error("neuron shutting down"));
    await Promise.all([...this.#pulls.values()].map((pull) => pull.settled));
  }

  async #run(id: string, pull: Pull): Promise<void> {
    try {
      await runPull(pull.planned, {
        client: this.#options.client,
        modelsDir: this.#options.modelsDir,
        signal: pull.abort.signal,
        onProgress: (done) => void (pull.bytesDone = done),
        ...(this.#options.retryDelayMs === undefined ? {} : { retryDelayMs: this.#options.retryDelayMs }),
      });
      await this.#options.onPulled(id);
      this.#pulls.delete(id);
      this.#options.log("model pulled", { model: id, repo: pull.planned.spec.repo });
    } catch (error) {
      if (pull.abort.signal.aborted) return;
      pull.state = "failed";
      pull.error = isCortexError(error) || error instanceof Error ? error.message : String(error);
      this.#options.log("pull failed", { model: id, repo: pull.planned.spec.repo, reason: pull.error });
    }
  }

  #describe(id: string, pull: Pull): NeuronModel {
    const { plan, spec, commit } = pull.planned;
    return {
      id,
      source: plan.kind,
      architecture: null,
      quantization: plan.quant,
      file_size: plan.bytes,
      parameters: null,
      train_context_length: null,
      context_length: null,
      memory_estimate: null,
      state: pull.state,
      progress: plan.bytes > 0 ? pull.bytesDone / plan.bytes : 1,
      last_used: null,
      in_flight: 0,
      queued: 0,
      error: pull.error,
      download: { repo: spec.repo, revision: commit, bytes_done: pull.bytesDone, bytes_total: plan.bytes },
    };
  }
}
