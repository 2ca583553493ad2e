// Shapes shared by the readers and writers in src/github/ and the handlers that use them.

export type { PullRef, RepoRef } from "../policy/refs.js";

/** The newest `Change Policy` check run of this app on the PR's head commit, if any. */
export interface ExistingCheck {
  id: number;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
}
