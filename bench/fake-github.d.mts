// Types of bench/fake-github.mjs for the tests that use it.
export const HEAD: string;

export type FaultAnswer = { status: number; headers?: Record<string, string>; body?: unknown } | { hang: true };
export interface Fault {
  method?: string;
  path: string | RegExp;
  times?: number;
  /** `applied`: a check write is made, then answered with the status. */
  answer: FaultAnswer & { applied?: boolean };
}

export interface FakeGitHub {
  checks: Map<string, { databaseId: number; status: string; conclusion: string; title: string; summary: string }>;
  requests: string[];
  notModified: number;
  lastRequestAt: number;
  writeWaiters: Map<string, () => void>;
  currentPr: Map<string, number>;
  faultLog: { request: string; answer: number | string }[];
  pulls: Map<string, { head: string; reviews: unknown[] }>;
  checkWrites: { key: string; method: string; id: number; headSha: string; conclusion: string; title: string; at: number; answered: number }[];
  randomFaults: null | { rate: number; answers: (FaultAnswer & { applied?: boolean })[]; random: () => number };
  port: number;
  fail(fault: Fault): FakeGitHub;
  hanging(): number;
  close(): Promise<void>;
}

export function startFakeGitHub(options?: { config?: string; body?: string }): Promise<FakeGitHub>;
