// Unauthorized changes become security-incident issues (SPEC §4). Filled in by issue #4.
import type { Probot } from "probot";
import type { AppDependencies } from "../app.js";

export function registerIncidents(_app: Probot, _deps: AppDependencies): void {}
