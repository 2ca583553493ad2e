// Walks the hash chain and says whether it is intact, and if not, the first bad seq and what is wrong:
// an edited row (any column), a deleted row (gap), a reordered or rewritten chain, a bad first
// prev_hash, a pruned prefix without a matching checkpoint, or an anchor the chain does not match.
import { sql } from "kysely";
import type { LedgerDatabase } from "./database.js";
import { GENESIS_PREV_HASH, canonicalEntryWithBody, entryHash, hashCanonical, type JsonValue } from "./hash.js";
import type { CheckpointBody } from "./entries.js";
import { entriesWhere, type LedgerRow } from "./read.js";
import { rowToEntry } from "./read.js";

/** A seq/hash pair written somewhere the database's owner cannot rewrite (see anchor.ts). */
export interface Anchor {
  seq: number;
  hash: string;
  /** When it was written (GitHub's timestamp of the comment). */
  at?: string;
  /** Where it was written, for messages. */
  url?: string;
  /** Who wrote it (GitHub login), for messages. */
  by?: string;
}

export interface VerifyProblem {
  seq: number;
  what: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Entries walked. */
  count: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastHash: string | null;
  /** The checkpoint the walk started from, when the ledger was pruned. */
  checkpoint: { seq: number; throughSeq: number; throughHash: string } | null;
  anchorsChecked: number;
  /** Anchors older than the pruned prefix: nothing left to compare them with. */
  anchorsPruned: number;
  /** In seq order; the first is the first bad seq. Capped at `maxProblems`. */
  problems: VerifyProblem[];
}

export interface VerifyOptions {
  anchors?: readonly Anchor[];
  batchSize?: number;
  maxProblems?: number;
  onProgress?: (walked: number, lastSeq: number) => void;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export async function verifyLedger(handle: LedgerDatabase, options: VerifyOptions = {}): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? 10_000;
  const maxProblems = options.maxProblems ?? 100;
  const problems: VerifyProblem[] = [];
  const report = (seq: number, what: string) => {
    if (problems.length < maxProblems) problems.push({ seq, what });
  };

  const checkpoints: { seq: number; body: CheckpointBody }[] = [];
  for await (const e of entriesWhere(handle, { kinds: ["checkpoint"] })) checkpoints.push({ seq: e.seq, body: e.body as unknown as CheckpointBody });

  const anchorsBySeq = new Map<number, Anchor[]>();
  for (const anchor of options.anchors ?? []) anchorsBySeq.set(anchor.seq, [...(anchorsBySeq.get(anchor.seq) ?? []), anchor]);

  let count = 0;
  let firstSeq: number | null = null;
  let prev: { seq: number; hash: string } | null = null;
  let checkpoint: VerifyResult["checkpoint"] = null;
  let anchorsChecked = 0;
  let anchorsPruned = 0;


  const fetchAfter = (afterSeq: number): Promise<LedgerRow[]> => {
    const base = handle.db.selectFrom("ledger_entries").where("seq", ">", afterSeq).orderBy("seq", "asc").limit(batchSize);
    if (handle.dialect === "sqlite") return base.select(["seq", "recorded_at", "kind", "repository", "subject", "body", "prev_hash", "hash"]).execute();
    // recorded_at as text with its microseconds: timestamptz keeps them and a JavaScript Date would
    // drop them (an edit below the millisecond would go unseen); text is also cheaper than a Date.
    return base
      .select(["seq", "kind", "repository", "subject", "body", "prev_hash", "hash"])
      .select(sql<string>`to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as("recorded_at"))
      .execute();
  };
  let pending = fetchAfter(0);
  for (;;) {
    const rows = await pending;
    // The next batch is read (by the database server) while this one is hashed.
    if (rows.length === batchSize) pending = fetchAfter(Number(rows[rows.length - 1]!.seq));
    for (const row of rows) {
      const seq = Number(row.seq);
      count += 1;
      if (prev === null) {
        firstSeq = seq;
        checkpoint = startOfChain(seq, row.prev_hash, checkpoints, report);
        for (const [anchoredSeq, list] of anchorsBySeq) {
          if (anchoredSeq >= seq) continue;
          // The last pruned entry's hash survives in the checkpoint; older anchors have nothing left to match.
          if (anchoredSeq === seq - 1 && checkpoint) {
            anchorsChecked += list.length;
            for (const anchor of list) checkAnchor(anchor, checkpoint.throughHash, report, seq);
          } else anchorsPruned += list.length;
        }
      } else if (seq !== prev.seq + 1) {
        report(prev.seq + 1, seq === prev.seq + 2 ? `entry ${prev.seq + 1} is missing (deleted): the chain jumps from ${prev.seq} to ${seq}` : `entries ${prev.seq + 1}–${seq - 1} are missing (deleted): the chain jumps from ${prev.seq} to ${seq}`);
      } else if (row.prev_hash !== prev.hash) {
        report(seq, `entry ${seq} does not follow entry ${prev.seq}: its prev_hash is not entry ${prev.seq}'s hash (rows were reordered, replaced or rewritten)`);
      }
      const contentProblem = checkContent(row);
      if (contentProblem) report(seq, `entry ${seq} ${contentProblem}`);
      for (const anchor of anchorsBySeq.get(seq) ?? []) {
        anchorsChecked += 1;
        checkAnchor(anchor, row.hash, report, seq);
      }
      prev = { seq, hash: row.hash };
    }
    if (prev) options.onProgress?.(count, prev.seq);
    if (rows.length < batchSize) break;
  }

  const lastSeq = prev?.seq ?? null;
  for (const [seq, list] of anchorsBySeq) {
    if (lastSeq === null || seq > lastSeq) {
      for (const anchor of list) {
        anchorsChecked += 1;
        report(seq, `${describeAnchor(anchor)} names entry ${seq}, but the ledger ${lastSeq === null ? "is empty" : `ends at ${lastSeq}`}: entries were deleted`);
      }
    }
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { ok: problems.length === 0, count, firstSeq, lastSeq, lastHash: prev?.hash ?? null, checkpoint, anchorsChecked, anchorsPruned, problems };
}

/** The first remaining entry: seq 1 after the genesis hash, or the entry after a checkpoint's range. */
function startOfChain(
  seq: number,
  prevHash: string,
  checkpoints: { seq: number; body: CheckpointBody }[],
  report: (seq: number, what: string) => void,
): VerifyResult["checkpoint"] {
  if (seq === 1) {
    if (prevHash !== GENESIS_PREV_HASH) report(1, `entry 1 has prev_hash ${short(prevHash)}; the first entry's prev_hash must be 64 zeros`);
    return null;
  }
  const covering = checkpoints.find((c) => Number(c.body?.through_seq) === seq - 1);
  if (!covering) {
    report(1, seq === 2 ? "entry 1 is missing (deleted) and no checkpoint covers it" : `entries 1–${seq - 1} are missing (deleted) and no checkpoint covers them`);
    return null;
  }
  const throughHash = String(covering.body.through_hash);
  if (prevHash !== throughHash) {
    report(seq, `entry ${seq} has prev_hash ${short(prevHash)}, but checkpoint ${covering.seq} says the pruned entries ended with ${short(throughHash)}`);
  }
  return { seq: covering.seq, throughSeq: seq - 1, throughHash };
}

/** Recomputes the hash from the row's columns; any edited column changes it. */
function checkContent(row: LedgerRow): string | null {
  let recordedAt = row.recorded_at instanceof Date ? row.recorded_at.toISOString() : row.recorded_at;
  // From PostgreSQL with microseconds (…33.123000Z): the app writes whole milliseconds only.
  if (typeof recordedAt === "string" && recordedAt.length === 27) {
    if (!recordedAt.endsWith("000Z")) return `has recorded_at ${recordedAt}, with microseconds the app never writes: the row was edited`;
    recordedAt = `${recordedAt.slice(0, 23)}Z`;
  }
  if (typeof recordedAt !== "string" || !ISO_MILLIS.test(recordedAt)) return `has recorded_at ${JSON.stringify(recordedAt)}, not a UTC time with milliseconds: the row was edited`;
  if (!HEX64.test(row.hash)) return "has a hash that is not 64 lowercase hex digits: the row was edited";
  const fields = { seq: Number(row.seq), recorded_at: recordedAt, kind: row.kind, repository: row.repository, subject: row.subject };
  // SQLite holds the body as the canonical text that was hashed: if it hashes right as it is, it is intact.
  if (typeof row.body === "string" && hashCanonical(row.prev_hash, canonicalEntryWithBody(fields, row.body)) === row.hash) return null;
  let body: JsonValue;
  try {
    body = rowToEntry(row).body as JsonValue;
  } catch {
    return "has a body that is not valid JSON: the row was edited";
  }
  const expected = entryHash(row.prev_hash, { ...fields, body });
  return expected === row.hash ? null : "was edited: its hash does not match its content (seq, recorded_at, kind, repository, subject, body or prev_hash changed)";
}

function checkAnchor(anchor: Anchor, hash: string, report: (seq: number, what: string) => void, atSeq: number): void {
  if (anchor.hash !== hash) {
    report(anchor.seq, `${describeAnchor(anchor)} says entry ${anchor.seq} has hash ${short(anchor.hash)}, but the ledger has ${short(hash)}${atSeq === anchor.seq ? "" : " (from the checkpoint)"}: the chain was rewritten, or the anchor forged`);
  }
}

function describeAnchor(anchor: Anchor): string {
  return `the anchor${anchor.at ? ` of ${anchor.at}` : ""}${anchor.by ? ` by ${anchor.by}` : ""}${anchor.url ? ` (${anchor.url})` : ""}`;
}

function short(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}
