// The words for a zod validation issue, shared by the readers of user-written input (the policy
// file, snapshot files): zod says "expected array, received undefined" when a required key is
// absent, which reads like a bug; this says the key is missing.
export function issueMessage(issue: { code: string; message: string; expected?: unknown }): string {
  if (issue.code !== "invalid_type" || !issue.message.endsWith("received undefined")) return issue.message;
  return `is missing (required: ${String(issue.expected ?? "a value")})`;
}
