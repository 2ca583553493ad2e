// The ledger's environment, as src/settings.ts parses it:
// DATABASE_URL (PostgreSQL; replicas share it) or DATA_DIR (the embedded SQLite file, default ./data),
// LEDGER_RETENTION_DAYS (default 400; policy §10 wants at least a year) and LEDGER_ANCHOR_REPOSITORY.
import path from "node:path";
import type { RepoRef } from "../github/types.js";
import { parseAnchorRepository } from "./anchor.js";
import { parseSettings } from "../settings.js";

export interface LedgerSettings {
  databaseUrl: string | undefined;
  /** Absolute. */
  dataDir: string;
  retentionDays: number;
  anchorRepository: RepoRef | null;
}

/** Policy §10: the audit trail is kept at least one year. */
export const MIN_RETENTION_DAYS = 365;

/** The ledger's part of the environment (src/settings.ts parses it; its errors name the variable). */
export function readLedgerSettings(env: Record<string, string | undefined>, cwd: string = process.cwd()): LedgerSettings {
  const { ledger, raw } = parseSettings(env, { cwd });
  return {
    databaseUrl: ledger.databaseUrl,
    dataDir: path.resolve(cwd, ledger.dataDir),
    retentionDays: ledger.retentionDays,
    anchorRepository: parseAnchorRepository(raw.LEDGER_ANCHOR_REPOSITORY),
  };
}
