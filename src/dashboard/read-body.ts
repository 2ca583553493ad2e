// Lenient readers of ledger entry bodies: an old or unusual entry shows with a field "not recorded"
// instead of breaking a page (bodies are JSON the app wrote, but the database is not ours alone).
import type { LedgerEntry } from "../ledger/entries.js";

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
export const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
export const int = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) ? v : null);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");

/** When a merge happened: its body's merged_at, else when it was recorded. */
export function mergedAtOf(entry: LedgerEntry): string {
  const at = str(obj(entry.body).merged_at);
  return at && !Number.isNaN(Date.parse(at)) ? new Date(at).toISOString() : entry.recorded_at;
}

/** A merge may be recorded a little after it happened (a retried append): queries look this far past a period. */
export const RECORDING_SLACK_MS = 2 * 86_400_000;
