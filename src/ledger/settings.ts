// The ledger's environment, read in one place (the lead may move this into src/settings.ts):
// DATABASE_URL (PostgreSQL; replicas share it) or DATA_DIR (the embedded SQLite file, default ./data),
// LEDGER_RETENTION_DAYS (default 400; policy §10 wants at least a year) and LEDGER_ANCHOR_REPOSITORY.
import path from "node:path";
import type { RepoRef } from "../github/types.js";
import { parseAnchorRepository } from "./anchor.js";
import { DEFAULT_RETENTION_DAYS } from "./prune.js";

export interface LedgerSettings {
  databaseUrl: string | undefined;
  /** Absolute. */
  dataDir: string;
  retentionDays: number;
  anchorRepository: RepoRef | null;
}

/** Policy §10: the audit trail is kept at least one year. */
export const MIN_RETENTION_DAYS = 365;

export function readLedgerSettings(env: Record<string, string | undefined>, cwd: string = process.cwd()): LedgerSettings {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error("DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database); unset it to use the embedded SQLite file in DATA_DIR");
  }
  const retentionText = env.LEDGER_RETENTION_DAYS?.trim();
  const retentionDays = retentionText ? Number(retentionText) : DEFAULT_RETENTION_DAYS;
  if (!Number.isInteger(retentionDays) || retentionDays < MIN_RETENTION_DAYS || retentionDays > 36_500) {
    throw new Error(`LEDGER_RETENTION_DAYS must be a whole number of days from ${MIN_RETENTION_DAYS} (policy §10 keeps the audit trail at least a year) to 36500, not "${retentionText}"`);
  }
  return {
    databaseUrl,
    dataDir: path.resolve(cwd, env.DATA_DIR?.trim() || "data"),
    retentionDays,
    anchorRepository: parseAnchorRepository(env.LEDGER_ANCHOR_REPOSITORY),
  };
}
