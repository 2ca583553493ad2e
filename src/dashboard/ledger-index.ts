// What the dashboard's pages are computed from: a compact index of the evidence ledger, kept in memory.
// The ledger only grows, so one walk in seq order (primary key, in small batches that yield to the
// event loop) reads each entry once: it verifies the hash chain and keeps the few facts pages need —
// each merge's class and verdict, the state of each follow-up, each incident. Before a page is built
// the walk catches up with entries appended since (usually none: one indexed query). Pages then filter
// in memory, so a page costs the same with 100,000 entries as with 100; full bodies are read only by
// primary key (audit) or through the (repository, subject, seq) index (one change).
import { entryHash, GENESIS_PREV_HASH, type JsonValue } from "../ledger/hash.js";
import type { LedgerEntry } from "../ledger/entries.js";
import type { LedgerSource } from "./ledger-source.js";
import { int, mergedAtOf, obj, str } from "./read-body.js";
import { CLASS_NAMES, type Anchor, type ChangeClassName, type FollowUpRow, type IncidentRow, type LedgerStatus } from "./view-models.js";

export interface MergeFact {
  seq: number;
  repository: string;
  pullNumber: number;
  mergedAt: string;
  changeClass: ChangeClassName | "other";
  checkConclusion: string | null;
  title: string | null;
}

/** A follow-up as its events left it (status "open" until completed; overdue is decided at read time). */
export type FollowUpState = FollowUpRow & { completedAt: string | null };

export interface LedgerIndexOptions {
  clock: () => Date;
  webBaseUrl: string;
  /** Check the hash chain while walking (the dashboard does; a one-off report may skip it). */
  verify?: boolean;
  batchSize?: number;
  onError?: (error: unknown) => void;
}

function classOf(value: unknown): ChangeClassName | "other" {
  return (CLASS_NAMES as readonly unknown[]).includes(value) ? (value as ChangeClassName) : "other";
}

export function pullNumberOf(entry: LedgerEntry): number | null {
  const fromBody = int(obj(entry.body).pull_number);
  if (fromBody !== null) return fromBody;
  const match = /^#(\d{1,10})$/.exec(entry.subject);
  return match ? Number(match[1]) : null;
}

/** `owner/repo#12` → its web URL (a link only; the dashboard never fetches it). */
export function issueUrl(webBaseUrl: string, issue: string | null): string | null {
  const match = issue ? /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})#(\d{1,10})$/.exec(issue) : null;
  return match ? `${webBaseUrl}/${match[1]}/${match[2]}/issues/${match[3]}` : null;
}

export function mergeFact(entry: LedgerEntry): MergeFact | null {
  const b = obj(entry.body);
  const pullNumber = pullNumberOf(entry);
  if (pullNumber === null) return null;
  return { seq: entry.seq, repository: entry.repository, pullNumber, mergedAt: mergedAtOf(entry), changeClass: classOf(b.class), checkConclusion: str(b.check_conclusion), title: str(b.title) };
}

export function incidentRow(entry: LedgerEntry, webBaseUrl: string): IncidentRow {
  const b = obj(entry.body);
  const issue = str(b.issue);
  return {
    seq: entry.seq,
    repository: entry.repository,
    subject: entry.subject,
    recordedAt: entry.recorded_at,
    type: str(b.type) ?? "incident",
    issue,
    issueUrl: issueUrl(webBaseUrl, issue),
    branch: str(b.branch),
    pusher: str(b.pusher),
    reason: str(b.reason) ?? "",
    pullNumber: int(b.pull_number) ?? (str(b.type) === "bypass" ? pullNumberOf(entry) : null),
  };
}

/** Folds one `follow_up` event into the states by `repository#pull` (opened → reminded → overdue → completed, reopened). */
export function applyFollowUp(states: Map<string, FollowUpState>, entry: LedgerEntry, webBaseUrl: string, title: string | null = null): void {
  const b = obj(entry.body);
  const pullNumber = pullNumberOf(entry);
  if (pullNumber === null) return;
  const key = `${entry.repository}#${pullNumber}`;
  const previous = states.get(key);
  const event = str(b.event) ?? "recorded";
  const issue = str(b.issue) ?? previous?.issue ?? "";
  const completed = event === "completed";
  states.set(key, {
    repository: entry.repository,
    pullNumber,
    issue,
    issueUrl: issueUrl(webBaseUrl, issue),
    dueAt: str(b.due_at) ?? previous?.dueAt ?? "",
    status: completed ? (b.on_time === false ? "completed late" : "completed on time") : "open",
    lastEvent: event,
    lastEventAt: entry.recorded_at,
    title: previous?.title ?? title,
    completedAt: completed ? entry.recorded_at : null,
  });
}

/** The follow-up as a person should see it now: open past its due time (or marked overdue) is overdue. */
export function followUpNow(state: FollowUpState, now: Date): FollowUpRow {
  const due = Date.parse(state.dueAt);
  const overdue = state.status === "open" && (state.lastEvent === "overdue" || (!Number.isNaN(due) && due < now.getTime()));
  return { ...state, status: overdue ? "overdue" : state.status };
}

export class LedgerIndex {
  readonly merges: MergeFact[] = [];
  readonly incidents: IncidentRow[] = [];
  readonly followUps = new Map<string, FollowUpState>();
  readonly repositories = new Set<string>();
  /** The newest merge title per `repository#pull`, for follow-up rows. */
  readonly #titles = new Map<string, string>();
  readonly #source: LedgerSource;
  readonly #options: LedgerIndexOptions;
  #indexedThrough = 0;
  #verified: { seq: number; hash: string } | null = null;
  #verifiedAt: string | null = null;
  #problem: string | null = null;
  #ready = false;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(source: LedgerSource, options: LedgerIndexOptions) {
    this.#source = source;
    this.#options = options;
  }

  /** The first walk reached the end of the ledger. */
  get ready(): boolean {
    return this.#ready;
  }

  get indexedThrough(): number {
    return this.#indexedThrough;
  }

  /** Reads what was appended since the last walk (one walk at a time); resolves when it is read. */
  catchUp(): Promise<void> {
    if (!this.#running) {
      this.#running = this.#walk()
        .catch((error) => {
          this.#options.onError?.(error);
          throw error;
        })
        .finally(() => (this.#running = null));
    }
    return this.#running;
  }

  async status(lastAnchor: Anchor | null): Promise<LedgerStatus> {
    const head = await this.#source.head();
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
    while (!this.#closed) {
      const entries = await this.#source.entriesAfter(this.#indexedThrough, batchSize);
      for (const entry of entries) {
        if (this.#options.verify !== false && !this.#problem) this.#verify(entry);
        this.#add(entry);
        this.#indexedThrough = entry.seq;
      }
      if (this.#options.verify !== false && entries.length) this.#verifiedAt = this.#options.clock().toISOString();
      if (entries.length < batchSize) {
        this.#ready = true;
        return;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #verify(e: LedgerEntry): void {
    const prev = this.#verified;
    let problem: string | null = null;
    if (prev === null) {
      if (e.seq === 1 && e.prev_hash !== GENESIS_PREV_HASH) problem = `entry 1 has prev_hash ${e.prev_hash.slice(0, 12)}…; the first entry's must be 64 zeros`;
    } else if (e.seq !== prev.seq + 1) problem = `entries ${prev.seq + 1}–${e.seq - 1} are missing: the chain jumps from ${prev.seq} to ${e.seq}`;
    else if (e.prev_hash !== prev.hash) problem = `entry ${e.seq} does not follow entry ${prev.seq} (its prev_hash is not ${prev.seq}'s hash)`;
    if (!problem) {
      const fields = { seq: e.seq, recorded_at: e.recorded_at, kind: e.kind, repository: e.repository, subject: e.subject, body: e.body as JsonValue };
      let hash: string | null = null;
      try {
        hash = entryHash(e.prev_hash, fields);
      } catch {
        // a body that is not plain JSON cannot have been hashed by the app
      }
      if (hash !== e.hash) problem = `entry ${e.seq}'s hash does not match its contents (a column was edited)`;
    }
    if (problem) this.#problem = `${problem}. Run \`change-policy ledger verify\` for the full report.`;
    else this.#verified = { seq: e.seq, hash: e.hash };
  }

  #add(entry: LedgerEntry): void {
    if (entry.repository) this.repositories.add(entry.repository);
    if (entry.kind === "merge") {
      const fact = mergeFact(entry);
      if (!fact) return;
      this.merges.push(fact);
      if (fact.title) {
        const key = `${fact.repository}#${fact.pullNumber}`;
        this.#titles.set(key, fact.title);
        const followUp = this.followUps.get(key);
        if (followUp) followUp.title = fact.title;
      }
    } else if (entry.kind === "follow_up") {
      const number = pullNumberOf(entry);
      applyFollowUp(this.followUps, entry, this.#options.webBaseUrl, number === null ? null : (this.#titles.get(`${entry.repository}#${number}`) ?? null));
    } else if (entry.kind === "incident") {
      this.incidents.push(incidentRow(entry, this.#options.webBaseUrl));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#running?.catch(() => {});
  }
}

/** "" = everything, "acme" = every acme/… repository, "acme/web" = that one. */
export function inScope(repository: string, scope: string): boolean {
  if (!scope) return true;
  return scope.includes("/") ? repository === scope : repository.startsWith(`${scope}/`);
}
