// A PullSnapshot for tests: an open, non-draft PR by @author on acme/api with one ordinary changed
// file and nothing else; pass only what the test is about.
import type { PullSnapshot, Review } from "../../src/policy/snapshot.js";

export const HEAD_SHA = "a".repeat(40);

export function pullSnapshot(overrides: Partial<PullSnapshot> = {}): PullSnapshot {
  return {
    repository: { owner: "acme", name: "api", private: true },
    number: 7,
    title: "Change something",
    body: "",
    author: "author",
    draft: false,
    state: "open",
    headSha: HEAD_SHA,
    baseRef: "main",
    labels: [],
    labelEvents: [],
    files: ["src/index.ts"],
    reviews: [],
    assignees: [],
    permissions: {},
    groups: {},
    ...overrides,
  };
}

/** A review on the head commit; `at` orders reviews (minutes after a fixed time). */
export function review(author: string, state: Review["state"], at: number, overrides: Partial<Review> = {}): Review {
  return {
    author,
    authorIsBot: false,
    state,
    commitId: HEAD_SHA,
    submittedAt: new Date(Date.UTC(2026, 0, 5, 10, at)).toISOString(),
    ...overrides,
  };
}
