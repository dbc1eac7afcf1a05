import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rm, stat, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "@cortex/core";
import { sharedPrefixLength as sharedPrefix } from "../engine/sequence-pool.js";
import {
  StateFileError,
  extractStateFile,
  sameTokens,
  writeStateFile,
  type StateFileProblem,
  type StateIdentity,
} from "./kv-state-file.js";

export type TierLocation = "ram" | "disk";

/** Which request prefix a state holds, for the fingerprints the gateway routes on (core PREFIX_SCHEME). */
export interface PrefixMeta {
  head: string;
  last: string;
  promptTokens: number;
}

export interface KvTierEvents {
  saved(model: string, where: TierLocation, bytes: number): void;
  /** A state left the tier to make room (RAM → disk counts as a spill, not an eviction). */
  evicted(model: string, where: TierLocation): void;
  spilled(model: string, bytes: number): void;
  /** A state failed its checks (or llama.cpp refused it) and was thrown away. */
  discarded(model: string, problem: StateFileProblem | "load_failed"): void;
  restored(model: string, from: TierLocation, ms: number, bytes: number): void;
  /** A request that needed a saved state: restored one (hit) or found none worth restoring. */
  lookup(model: string, hit: boolean): void;
}

export interface KvTierOptions {
  /** Bytes of RAM the tier may hold; 0 = none (states go straight to disk). */
  ramLimit: number;
  /** Bytes of disk; 0 = none. Capped at half the free space of `dir`'s file system when the tier opens. */
  diskLimit: number;
  /** Parent folder; the tier works in its own `<pid>-<random>` subfolder and removes those of dead processes. */
  dir: string;
  /**
   * RAM the tier may hold right now as the node's memory budget sees it (what it holds plus what is
   * free); the tier stays under the smaller of this and `ramLimit`. Default: no such bound.
   */
  ramRoom?: () => number;
  log: (message: string, fields?: Record<string, unknown>) => void;
  events?: Partial<KvTierEvents>;
  /** At most this many states in all (keeps prefix lookups cheap). */
  maxEntries?: number;
}

interface Entry {
  readonly id: number;
  readonly states: ModelStates;
  readonly tokens: Uint32Array;
  readonly meta: PrefixMeta | null;
  /** Size of llama.cpp's state (the payload); an estimate while llama.cpp writes it. */
  stateBytes: number;
  /** `pending`: llama.cpp is writing its file, or the background queue has not filed it in RAM or on disk yet. */
  where: TierLocation | "pending";
  /** While pending: llama.cpp's own state file (being written or written), in the scratch folder. */
  scratch: string | null;
  buffer: Buffer | null;
  file: string | null;
  /** Bytes the disk file takes (header included); 0 while in RAM. */
  diskBytes: number;
  /** Being restored: not offered to lookups, not evicted. */
  pinned: boolean;
  /** Removed from the tier while pinned: its file goes when the restore is done. */
  removed: boolean;
  /** Settles when the entry is no longer pending. */
  filed: Promise<void>;
}

export interface TierEntryInfo {
  meta: PrefixMeta | null;
  where: TierLocation;
  tokens: number;
  /** RAM or disk bytes it takes. */
  bytes: number;
}

export interface StateMatch {
  readonly entry: unknown;
  /** Tokens the saved state shares with the prompt. */
  readonly shared: number;
  readonly stateBytes: number;
  readonly where: TierLocation;
}

export type RestoreOutcome =
  | { ok: true; tokens: number; bytes: number; from: TierLocation; ms: number }
  /** `dirty`: llama.cpp was handed the state and the sequence may hold part of it: erase it. */
  | { ok: false; reason: string; dirty: boolean };

const DEFAULT_MAX_ENTRIES = 4096;
/**
 * Subfolder for llama.cpp's own state files while a save or restore is under way (one per sequence at
 * most, deleted right after): working files, not counted against `diskLimit`.
 */
const SCRATCH = "scratch";
const DIR_NAME = /^(\d+)-[0-9a-f]+$/;

/**
 * Saved sequence states (tokens + KV cache) of every model loaded on this node, in RAM first and spilled
 * to disk, least recently used out first, within `ramLimit` and `diskLimit`. Each loaded model sees only
 * its own states through its ModelStates: a state is never offered to another model file or load, and a
 * state from disk is only handed to llama.cpp after its header and checksum were verified
 * (kv-state-file.ts). Writes and evictions run one at a time in the background; a request waits only for
 * llama.cpp's own save (while it holds the sequence) and for its restore.
 */
export class KvTier {
  readonly #options: KvTierOptions;
  readonly #dir: string;
  readonly #diskLimit: number;
  readonly #maxEntries: number;
  /** Least recently used first. */
  readonly #entries = new Map<number, Entry>();
  #nextId = 0;
  #ramBytes = 0;
  #diskBytes = 0;
  #queue: Promise<void> = Promise.resolve();
  /** Files of removed states still being deleted. */
  #deletions: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(options: KvTierOptions, dir: string, diskLimit: number) {
    this.#options = options;
    this.#dir = dir;
    this.#diskLimit = diskLimit;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  static async open(options: KvTierOptions): Promise<KvTier> {
    await mkdir(options.dir, { recursive: true });
    await removeStaleFolders(options.dir, options.log);
    const dir = join(options.dir, `${process.pid}-${randomBytes(4).toString("hex")}`);
    await mkdir(join(dir, SCRATCH), { recursive: true, mode: 0o700 });
    openFolders.add(dir);
    let diskLimit = options.diskLimit;
    if (diskLimit > 0) {
      const fs = await statfs(dir);
      const half = Math.floor((fs.bavail * fs.bsize) / 2);
      if (half < diskLimit) {
        options.log("kv cache: disk limit capped at half the free space", { configured: diskLimit, half });
        diskLimit = half;
      }
    }
    return new KvTier(options, dir, diskLimit);
  }

  /** The states of one loaded model (dropped with `ModelStates.drop` when it unloads). */
  forModel(model: string, identity: StateIdentity, minTokens: number): ModelStates {
    return new ModelStates(this, model, identity, minTokens);
  }

  get ramBytes(): number {
    return this.#ramBytes;
  }

  /** RAM held (the memory budget's ElasticUser). */
  get bytes(): number {
    return this.#ramBytes;
  }

  get diskBytes(): number {
    return this.#diskBytes;
  }

  get diskLimit(): number {
    return this.#diskLimit;
  }

  count(where: TierLocation): number {
    let count = 0;
    for (const entry of this.#entries.values()) if (entry.where === where && !entry.removed) count++;
    return count;
  }

  /** Gives back RAM at once, least recently used first (a model load needs it): those states are dropped. */
  reclaim(bytes: number): number {
    let freed = 0;
    for (const entry of [...this.#entries.values()]) {
      if (freed >= bytes) break;
      if (entry.where !== "ram" || entry.pinned) continue;
      freed += entry.stateBytes;
      this.#remove(entry);
      this.#options.events?.evicted?.(entry.states.model, "ram");
    }
    return freed;
  }

  /** Resolves when the background writes queued so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    let queue: Promise<void>;
    do {
      queue = this.#queue;
      await queue;
    } while (queue !== this.#queue);
    await this.#deletions;
  }

  /** The folder this process's tier works in. */
  get dir(): string {
    return this.#dir;
  }

  /** Waits for background writes, then removes the tier's folder. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) this.#remove(entry);
    await this.idle();
    await rm(this.#dir, { recursive: true, force: true });
    openFolders.delete(this.#dir);
  }

  // --- for ModelStates ---------------------------------------------------------------------------------

  lookup(states: ModelStates, prompt: readonly number[]): StateMatch | null {
    let best: Entry | undefined;
    let bestShared = 0;
    for (const entry of this.#entries.values()) {
      if (entry.states !== states || entry.pinned || entry.removed) continue;
      const shared = sharedPrefix(entry.tokens, prompt);
      // Later entries are more recent: on a tie the fresher one (more likely still in RAM) wins.
      if (shared > 0 && shared >= bestShared) {
        best = entry;
        bestShared = shared;
      }
    }
    if (!best) return null;
    // A pending state is about to be in RAM (or on disk when RAM is full; the restore waits for it).
    const where = best.where === "pending" ? "ram" : best.where;
    return { entry: best, shared: bestShared, stateBytes: best.stateBytes, where };
  }

  /** Whether an entry of `states` holds `tokens` or a longer state starting with them. */
  covers(states: ModelStates, tokens: ArrayLike<number>): boolean {
    for (const entry of this.#entries.values()) {
      if (entry.states !== states || entry.removed || entry.tokens.length < tokens.length) continue;
      if (sharedPrefix(entry.tokens, tokens) === tokens.length) return true;
    }
    return false;
  }

  /**
   * Lets llama.cpp write the state to a scratch file (`write`, while the caller holds the sequence), then
   * files it in the background. The state is offered to lookups from the start: a conversation's next
   * turn can arrive on another sequence while this one is still being written (a restore waits for it).
   * False when the tier is closed, has no room at all, or the write failed.
   */
  async save(
    states: ModelStates,
    tokens: readonly number[],
    meta: PrefixMeta | null,
    write: (path: string) => Promise<void>,
  ): Promise<boolean> {
    if (this.#closed || states.dropped || (this.#options.ramLimit <= 0 && this.#diskLimit <= 0)) return false;
    const snapshot = Uint32Array.from(tokens);
    if (this.covers(states, snapshot)) return false;
    // A state that extends another of the same model makes the shorter one useless.
    for (const entry of [...this.#entries.values()]) {
      const extended = sharedPrefix(entry.tokens, snapshot) === entry.tokens.length;
      if (entry.states === states && !entry.pinned && extended) this.#remove(entry);
    }
    const id = this.#nextId++;
    const scratch = join(this.#dir, SCRATCH, `save-${id}.state`);
    let settle = (): void => {};
    const entry: Entry = {
      id,
      states,
      tokens: snapshot,
      meta,
      // Until llama.cpp has written it: the size states of this model take per token.
      stateBytes: Math.round(snapshot.length * states.bytesPerToken),
      where: "pending",
      scratch,
      buffer: null,
      file: null,
      diskBytes: 0,
      pinned: false,
      removed: false,
      filed: new Promise<void>((resolve) => {
        settle = resolve;
      }),
    };
    this.#entries.set(id, entry);
    try {
      await write(scratch);
      entry.stateBytes = (await stat(scratch)).size;
    } catch (error) {
      this.#remove(entry);
      settle();
      await rm(scratch, { force: true });
      this.#options.log("kv cache: saving a sequence state failed", { error: (error as Error).message });
      return false;
    }
    states.noteStateSize(entry.stateBytes, snapshot.length);
    // #admit deletes the scratch file, also of an entry removed meanwhile (dropped, closed, evicted).
    void this.#serial(() => this.#admit(entry)).then(settle);
    return !entry.removed;
  }

  /** Resolves when a matched state is filed (no longer being written): a restore needs the whole file. */
  async settled(match: StateMatch): Promise<void> {
    const entry = match.entry as Entry;
    if (entry.where === "pending") await entry.filed;
  }

  /** Loads a matched state (`load`, while the caller holds the sequence); call `settled` first. */
  async restore(
    states: ModelStates,
    match: StateMatch,
    load: (path: string) => Promise<readonly number[]>,
  ): Promise<RestoreOutcome> {
    const entry = match.entry as Entry;
    const started = performance.now();
    await this.settled(match);
    if (entry.states !== states || entry.removed || entry.pinned || entry.where === "pending") {
      return { ok: false, reason: "the state is gone", dirty: false };
    }
    entry.pinned = true;
    const from = entry.where;
    const scratch = join(this.#dir, SCRATCH, `restore-${this.#nextId++}.state`);
    try {
      try {
        if (entry.buffer) await writeFile(scratch, entry.buffer);
        else if (entry.file)
          await extractStateFile(entry.file, { identity: states.identity, tokens: entry.tokens }, scratch);
        else return { ok: false, reason: "the state has no data", dirty: false };
      } catch (error) {
        const problem = error instanceof StateFileError ? error.problem : "corrupt";
        this.#discard(entry, problem, (error as Error).message);
        return { ok: false, reason: (error as Error).message, dirty: false };
      }
      let loaded: readonly number[];
      try {
        loaded = await load(scratch);
      } catch (error) {
        this.#discard(entry, "load_failed", (error as Error).message);
        return { ok: false, reason: (error as Error).message, dirty: true };
      }
      if (!sameTokens(loaded, entry.tokens)) {
        this.#discard(entry, "mismatch", "llama.cpp restored other tokens than were saved");
        return { ok: false, reason: "restored tokens differ from the saved ones", dirty: true };
      }
      // The sequence holds the state now; when it is reused for another prompt it is saved again.
      this.#remove(entry);
      const ms = performance.now() - started;
      this.#options.events?.restored?.(states.model, from, ms, entry.stateBytes);
      return {
        ok: true,
        tokens: entry.tokens.length,
        bytes: entry.stateBytes,
        from,
        ms,
      };
    } finally {
      entry.pinned = false;
      if (entry.removed) this.#deleteFileOf(entry);
      await rm(scratch, { force: true });
    }
  }

  noteLookup(model: string, hit: boolean): void {
    this.#options.events?.lookup?.(model, hit);
  }

  drop(states: ModelStates): void {
    for (const entry of [...this.#entries.values()]) if (entry.states === states) this.#remove(entry);
  }

  /** Filed entries of `states`, most recently used first. */
  entriesOf(states: ModelStates): TierEntryInfo[] {
    const list: TierEntryInfo[] = [];
    for (const entry of this.#entries.values()) {
      // Pending states are offered to lookups but reported once filed (a few ms later).
      if (entry.states !== states || entry.removed || entry.where === "pending") continue;
      const bytes = entry.where === "ram" ? entry.stateBytes : entry.diskBytes;
      list.push({ meta: entry.meta, where: entry.where, tokens: entry.tokens.length, bytes });
    }
    return list.reverse();
  }

  // --- inside the tier ---------------------------------------------------------------------------------

  #serial(job: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(job).catch((error: unknown) => {
      this.#options.log("kv cache: background work failed", { error: (error as Error).message });
    });
    this.#queue = next;
    return next;
  }

  /** Files a pending state: in RAM if it fits (spilling older ones), else on disk, else nowhere. */
  async #admit(entry: Entry): Promise<void> {
    const scratch = entry.scratch;
    try {
      if (scratch === null || entry.removed || this.#closed || entry.states.dropped) return;
      const { states, tokens, stateBytes } = entry;
      this.#makeRoomForEntry();
      if (await this.#makeRoomInRam(stateBytes)) {
        const buffer = await readFile(scratch);
        if (entry.removed) return;
        entry.buffer = buffer;
        entry.where = "ram";
        this.#ramBytes += stateBytes;
        this.#options.events?.saved?.(states.model, "ram", stateBytes);
        return;
      }
      const file = join(this.#dir, `${entry.id}.kvs`);
      // The header adds about 8 bytes per token; room is made for the whole file.
      if (!(await this.#makeRoomOnDisk(stateBytes + tokens.length * 8 + 1024))) {
        this.#remove(entry);
        this.#options.events?.evicted?.(states.model, "ram");
        return;
      }
      const diskBytes = await writeStateFile(
        file,
        { identity: states.identity, tokens: Array.from(tokens) },
        { file: scratch },
      );
      if (entry.removed) {
        await rm(file, { force: true });
        return;
      }
      entry.file = file;
      entry.diskBytes = diskBytes;
      entry.where = "disk";
      this.#diskBytes += diskBytes;
      this.#options.events?.saved?.(states.model, "disk", stateBytes);
    } finally {
      entry.scratch = null;
      if (entry.where === "pending") this.#remove(entry);
      if (scratch !== null) await rm(scratch, { force: true });
    }
  }

  #ramLimitNow(): number {
    const room = this.#options.ramRoom?.() ?? Number.POSITIVE_INFINITY;
    return Math.max(0, Math.min(this.#options.ramLimit, room));
  }

  #makeRoomForEntry(): void {
    for (const entry of [...this.#entries.values()]) {
      if (this.#entries.size < this.#maxEntries) return;
      if (entry.pinned || entry.where === "pending") continue;
      this.#remove(entry);
      this.#options.events?.evicted?.(entry.states.model, entry.where);
    }
  }

  /** Spills (or drops) the least recently used RAM states until `bytes` more fit; false if they never can. */
  async #makeRoomInRam(bytes: number): Promise<boolean> {
    if (bytes > this.#ramLimitNow()) return false;
    while (this.#ramBytes + bytes > this.#ramLimitNow()) {
      const oldest = [...this.#entries.values()].find((entry) => entry.where === "ram" && !entry.pinned);
      if (!oldest) return false;
      await this.#spill(oldest);
    }
    return true;
  }

  async #spill(entry: Entry): Promise<void> {
    const buffer = entry.buffer;
    const headerBytes = entry.tokens.length * 8 + 1024;
    if (!buffer || !(await this.#makeRoomOnDisk(entry.stateBytes + headerBytes))) {
      this.#remove(entry);
      this.#options.events?.evicted?.(entry.states.model, "ram");
      return;
    }
    const file = join(this.#dir, `${entry.id}.kvs`);
    const diskBytes = await writeStateFile(
      file,
      { identity: entry.states.identity, tokens: Array.from(entry.tokens) },
      buffer,
    );
    if (entry.removed || !this.#entries.has(entry.id)) {
      await rm(file, { force: true });
      return;
    }
    this.#ramBytes -= entry.stateBytes;
    entry.buffer = null;
    entry.where = "disk";
    entry.file = file;
    entry.diskBytes = diskBytes;
    this.#diskBytes += diskBytes;
    this.#options.events?.spilled?.(entry.states.model, entry.stateBytes);
  }

  /** Deletes the least recently used disk states until `bytes` more fit; false if they never can. */
  async #makeRoomOnDisk(bytes: number): Promise<boolean> {
    if (bytes > this.#diskLimit) return false;
    while (this.#diskBytes + bytes > this.#diskLimit) {
      const oldest = [...this.#entries.values()].find((entry) => entry.where === "disk" && !entry.pinned);
      if (!oldest) return false;
      this.#remove(oldest);
      this.#options.events?.evicted?.(oldest.states.model, "disk");
    }
    // Files of removed states are gone before a new one is written: the folder stays within the limit.
    await this.#deletions;
    return true;
  }

  #remove(entry: Entry): void {
    if (entry.removed) return;
    entry.removed = true;
    this.#entries.delete(entry.id);
    // A pending entry's scratch file is the queue's to delete.
    if (entry.where === "ram") this.#ramBytes -= entry.stateBytes;
    else if (entry.where === "disk") this.#diskBytes -= entry.diskBytes;
    entry.buffer = null;
    if (!entry.pinned) this.#deleteFileOf(entry);
  }

  #deleteFileOf(entry: Entry): void {
    const file = entry.file;
    if (file === null) return;
    entry.file = null;
    const deleted = rm(file, { force: true }).catch(() => {});
    this.#deletions = Promise.all([this.#deletions, deleted]).then(() => {});
  }

  #discard(entry: Entry, problem: StateFileProblem | "load_failed", message: string): void {
    this.#options.log("kv cache: discarded a saved state", { model: entry.states.model, problem, message });
    this.#remove(entry);
    this.#options.events?.discarded?.(entry.states.model, problem);
  }
}

/** One loaded model's view of the tier, plus its hit and miss counts. */
export class ModelStates {
  readonly model: string;
  readonly identity: StateIdentity;
  readonly minTokens: number;
  readonly #tier: KvTier;
  #dropped = false;
  #hits = 0;
  #misses = 0;
  /** Bytes per token of the last state saved (they are all the same layout): sizes states being written. */
  #bytesPerToken = 0;

  constructor(tier: KvTier, model: string, identity: StateIdentity, minTokens: number) {
    this.#tier = tier;
    this.model = model;
    this.identity = identity;
    this.minTokens = minTokens;
  }

  get dropped(): boolean {
    return this.#dropped;
  }

  get hits(): number {
    return this.#hits;
  }

  get bytesPerToken(): number {
    return this.#bytesPerToken;
  }

  noteStateSize(bytes: number, tokens: number): void {
    if (tokens > 0) this.#bytesPerToken = bytes / tokens;
  }

  get misses(): number {
    return this.#misses;
  }

  /** A request that needed a saved state: restored one (hit) or found none worth restoring (miss). */
  recordLookup(hit: boolean): void {
    if (hit) this.#hits++;
    else this.#misses++;
    this.#tier.noteLookup(this.model, hit);
  }

  lookup(prompt: readonly number[]): StateMatch | null {
    return this.#dropped ? null : this.#tier.lookup(this, prompt);
  }

  covers(tokens: readonly number[]): boolean {
    return this.#tier.covers(this, tokens);
  }

  save(
    tokens: readonly number[],
    meta: PrefixMeta | null,
    write: (path: string) => Promise<void>,
  ): Promise<boolean> {
    return this.#tier.save(this, tokens, meta, write);
  }

  /** Resolves when a matched state can be restored (it may still be being written). */
  settled(match: StateMatch): Promise<void> {
    return this.#tier.settled(match);
  }

  restore(match: StateMatch, load: (path: string) => Promise<readonly number[]>): Promise<RestoreOutcome> {
    return this.#tier.restore(this, match, load);
  }

  entries(): TierEntryInfo[] {
    return this.#dropped ? [] : this.#tier.entriesOf(this);
  }

  /** Forgets every state of this model (it is unloading). */
  drop(): void {
    this.#dropped = true;
    this.#tier.drop(this);
  }
}

/** Folders of tiers open in this process (tests open several). */
const openFolders = new Set<string>();

/**
 * Folders of processes that are gone. One carrying this process's own pid but not opened by it is a
 * previous process's: pids are reused, and in a container the neuron is always pid 1.
 */
async function removeStaleFolders(
  dir: string,
  log: (message: string, fields?: Record<string, unknown>) => void,
): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(DIR_NAME.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || openFolders.has(join(dir, name))) continue;
    if (pid !== process.pid && isProcessAlive(pid)) continue;
    log("kv cache: removing the folder of a process that is gone", { folder: name });
    await rm(join(dir, name), { recursive: true, force: true });
  }
}
