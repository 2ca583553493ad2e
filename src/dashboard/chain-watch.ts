// The ledger status the overview shows: how far the hash chain has been verified in this process, and
// the first problem found. The chain is walked once from its start in small batches (yielding to the
// event loop between them, so webhooks are not held up), then only the entries appended since — a page
// never waits for it. `change-policy ledger verify` remains the full check (anchors, checkpoints).
import { entryHash, GENESIS_PREV_HASH, type JsonValue } from "../ledger/hash.js";
import type { LedgerSource } from "./ledger-source.js";
import type { Anchor, LedgerStatus } from "./view-models.js";

export interface ChainWatchOptions {
  clock: () => Date;
  lastAnchor: () => Promise<Anchor | null>;
  onError: (error: unknown) => void;
  batchSize?: number;
}

export class ChainWatch {
  readonly #source: LedgerSource;
  readonly #options: ChainWatchOptions;
  #verified: { seq: number; hash: string } | null = null;
  #verifiedAt: string | null = null;
  #problem: string | null = null;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(source: LedgerSource, options: ChainWatchOptions) {
    this.#source = source;
    this.#options = options;
  }

  /** Starts verifying what is new (at most one walk at a time); returns when that walk ends. */
  catchUp(): Promise<void> {
    if (!this.#running) {
      this.#running = this.#walk()
        .catch((error) => this.#options.onError(error))
        .finally(() => (this.#running = null));
    }
    return this.#running;
  }

  async status(): Promise<LedgerStatus> {
    const [head, lastAnchor] = await Promise.all([this.#source.head(), this.#options.lastAnchor().catch(() => null)]);
    if (head && (!this.#verified || this.#verified.seq < head.seq) && !this.#problem) void this.catchUp();
    return {
      entries: head?.count ?? 0,
      headSeq: head?.seq ?? null,
      headHash: head?.hash ?? null,
      verifiedThrough: this.#verified?.seq ?? null,
      verifiedAt: this.#verifiedAt,
      problem: this.#problem,
      lastAnchor,
    };
  }

  async #walk(): Promise<void> {
    const batchSize = this.#options.batchSize ?? 2000;
    while (!this.#closed && !this.#problem) {
      const after = this.#verified?.seq ?? 0;
      const entries = await this.#source.entriesAfter(after, batchSize);
      for (const e of entries) {
        const prev = this.#verified;
        let problem: string | null = null;
        if (prev === null) {
          if (e.seq === 1 && e.prev_hash !== GENESIS_PREV_HASH) problem = `entry 1 has prev_hash ${e.prev_hash.slice(0, 12)}…; the first entry's must be 64 zeros`;
        } else if (e.seq !== prev.seq + 1) problem = `entries ${prev.seq + 1}–${e.seq - 1} are missing: the chain jumps from ${prev.seq} to ${e.seq}`;
        else if (e.prev_hash !== prev.hash) problem = `entry ${e.seq} does not follow entry ${prev.seq} (its prev_hash is not ${prev.seq}'s hash)`;
        if (!problem) {
          const fields = { seq: e.seq, recorded_at: e.recorded_at, kind: e.kind, repository: e.repository, subject: e.subject, body: e.body as JsonValue };
          if (entryHash(e.prev_hash, fields) !== e.hash) problem = `entry ${e.seq}'s hash does not match its contents (a column was edited)`;
        }
        if (problem) {
          this.#problem = `${problem}. Run \`change-policy ledger verify\` for the full report.`;
          break;
        }
        this.#verified = { seq: e.seq, hash: e.hash };
      }
      this.#verifiedAt = this.#options.clock().toISOString();
      if (entries.length < batchSize) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }
}
