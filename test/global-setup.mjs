// One id per jest run, inherited by the workers: test/helpers/build.ts builds dist/ once per run.
import { randomUUID } from "node:crypto";

export default function globalSetup() {
  process.env.CHANGE_POLICY_TEST_RUN = randomUUID();
}
