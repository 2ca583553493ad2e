// Evaluates a pull request and publishes the `Change Policy` check (SPEC §1).
import type { Probot } from "probot";
import type { AppDependencies } from "../app.js";

export function registerPullEvaluation(_app: Probot, _deps: AppDependencies): void {}
