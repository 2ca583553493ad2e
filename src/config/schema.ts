// The single source of truth for the configuration: its shape, its defaults (which encode the
// Change Management Policy) and its types. Every object is strict so that a typo is an error
// instead of a silently disabled control.
import { z } from "zod";
import { CHECK_NAME } from "../policy/check-name.js";

const login = z
  .string()
  .regex(/^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/, "must be a GitHub login such as octocat")
  .transform((s) => s.replace(/^@/, "").toLowerCase());

const teamSlug = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, "must be a team written as org/team-slug")
  .transform((s) => s.toLowerCase());

const glob = z.string().min(1, "must not be empty").max(500, "is too long (500 characters at most)");
const label = z.string().min(1).max(100);
const groupName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a lower-case name such as cto-ciso");

export const groupSchema = z.strictObject({
  users: z.array(login).default([]),
  teams: z.array(teamSlug).default([]),
});

const DEFAULT_GROUPS: Record<string, GroupConfig> = {
  "cto-ciso": { users: [], teams: [] },
  compliance: { users: [], teams: [] },
  "emergency-declarers": { users: [], teams: [] },
};

export const CHANGE_CLASSES = ["standard", "normal", "emergency"] as const;
export const changeClassSchema = z.enum(CHANGE_CLASSES);
export type ChangeClass = z.infer<typeof changeClassSchema>;

const sectionSchema = z.strictObject({
  headings: z.array(z.string().min(1).max(200)).min(1, "needs at least one heading"),
  min_length: z.number().int().min(0).max(10000).default(20),
});

const fieldSchema = z.strictObject({
  names: z.array(z.string().min(1).max(100)).min(1, "needs at least one name"),
  format: z.enum(["text", "login", "date"]).default("text"),
});

const approvalSchema = z.strictObject({
  count: z.number().int().min(1).max(20).default(1),
  from: groupName.optional(),
});
export type ApprovalRequirement = z.infer<typeof approvalSchema>;

const requirementName = z.string().min(1).max(64);

const repositoryRef = z
  .string()
  .regex(/^$|^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/, "must be empty, repo or owner/repo");

/** The app's own check; requiring it of itself could never pass (CHECK_NAME in src/render/check-output.ts). */
/** This app's own check (src/policy/check-name.ts): it cannot require itself. */
export const OWN_CHECK_NAME = CHECK_NAME;
// Names of check runs or commit statuses (SPEC §9 verification), as GitHub shows them on the commit.
const checkName = z
  .string()
  .min(1, "must not be empty")
  .max(255, "is too long (255 characters at most)")
  .refine((name) => name !== OWN_CHECK_NAME, { message: `"${OWN_CHECK_NAME}" is this app's own check; it cannot require itself` });
const checkNames = z.array(checkName).default([]);

const instant = z.iso.datetime({
  offset: true,
  message: "must be an ISO 8601 time with a zone, such as 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00",
});

// A change freeze (SPEC §9): while it is active, only the classes it does not list may merge or deploy.
const freezeSchema = z.strictObject({
  name: z.string().min(1, "must not be empty").max(100),
  from: instant,
  until: instant,
  // Default: every class except emergency, so that an emergency fix can still go out.
  classes: z.array(changeClassSchema).min(1, "needs at least one class (leave the key out for standard and normal)").default(["standard", "normal"]),
  // Default (key left out): every environment the deployment gate guards.
  environments: z
    .array(z.string().min(1).max(255))
    .min(1, "needs at least one environment (leave the key out to freeze every guarded environment)")
    .optional(),
});
export type FreezeConfig = z.infer<typeof freezeSchema>;

// The Change Log Register kept as GitHub issues (SPEC §9, policy §5.1).
const registerSchema = z.strictObject({
  repository: repositoryRef.default(""),
  // A register issue is recognised by its label, so there must be one.
  labels: z.array(label).min(1, "needs at least one label: register issues are recognised by it").default(["change-request"]),
  required: z.array(changeClassSchema).default([]),
});
export type RegisterConfig = z.infer<typeof registerSchema>;

const postReviewSchema = z.strictObject({
  within_hours: z.number().positive().max(24 * 30).default(48),
  from: groupName.default("cto-ciso"),
  require: z.array(requirementName).default(["impact", "rollback"]),
  repository: repositoryRef.default(""),
  assignees: z.array(login).default([]),
  // Sweeps find open follow-ups by label, so there must be one.
  labels: z.array(label).min(1, "needs at least one label: sweeps find follow-up issues by it").default(["post-implementation-review"]),
  remind_before_hours: z.number().min(0).max(24 * 30).default(12),
});

function classSchema(defaults: { require: string[]; approvals: ApprovalRequirement[] }) {
  return z.strictObject({
    require: z.array(requirementName).default(defaults.require),
    checked: z.array(z.string().min(1).max(300)).default([]),
    approvals: z.array(approvalSchema).default(defaults.approvals),
    checks: checkNames,
    // Any class may have a post-implementation review (SPEC §9); only emergency has one by default.
    post_review: postReviewSchema.optional(),
  });
}

const ruleSchema = z.strictObject({
  name: z.string().min(1).max(100),
  when: z
    .strictObject({
      labels: z.array(label).default([]),
      paths: z.array(glob).default([]),
      checked: z.array(z.string().min(1).max(300)).default([]),
    })
    .refine((w) => w.labels.length + w.paths.length + w.checked.length > 0, {
      message: "needs at least one of labels, paths or checked",
    }),
  require: z.array(requirementName).default([]),
  checked: z.array(z.string().min(1).max(300)).default([]),
  approvals: z.array(approvalSchema).default([]),
  checks: checkNames,
});
export type Rule = z.infer<typeof ruleSchema>;

/** SPEC §8: which deployments the app approves or rejects (a custom deployment protection rule). */
const deploymentsSchema = z.strictObject({
  // Environment names or globs the app decides for; [] = none.
  environments: z.array(glob).default(["production"]),
  // Branches (names or globs) whose head or ancestors may be deployed; [] = the default branch.
  branches: z.array(z.string().min(1).max(255)).default([]),
  require_tag: z.boolean().default(false),
  tag_pattern: glob.default("v*"),
  // A group whose members may deploy; "" = anyone who may run the workflow.
  deployers: z
    .string()
    .regex(/^$|^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be "" (anyone) or the name of a group such as release-managers')
    .default(""),
});
export type DeploymentsConfig = z.infer<typeof deploymentsSchema>;

export const DEFAULT_NORMAL_PATHS = [
  "**/package.json",
  "**/package-lock.json",
  "**/yarn.lock",
  "**/pnpm-lock.yaml",
  "**/migrations/**",
  "**/*.sql",
  "**/.env.production",
  "**/Dockerfile",
  ".github/workflows/**",
];

const DEFAULT_SECTIONS: Record<string, SectionConfig> = {
  description: { headings: ["Description", "Summary", "Purpose"], min_length: 20 },
  impact: { headings: ["Impact analysis", "Impact"], min_length: 20 },
  rollback: { headings: ["Rollback plan", "Rollback"], min_length: 20 },
  testing: { headings: ["Testing", "Test plan"], min_length: 10 },
};

const DEFAULT_FIELDS: Record<string, FieldConfig> = {
  owner: { names: ["Owner"], format: "login" },
  target_date: { names: ["Target date"], format: "date" },
};

/** Names defined by default plus by the file; read from the raw value when a sibling failed validation. */
function knownNames(defaults: Record<string, unknown>, value: unknown): string[] {
  return [...new Set([...Object.keys(defaults), ...Object.keys(asRecord(value))])];
}

export const configSchema = z
  .strictObject({
    // Probot's convention for inheriting another file; resolved before validation.
    _extends: z.string().optional(),
    groups: z
      .record(groupName, groupSchema)
      .default({})
      .transform((g): Record<string, GroupConfig> => ({ ...DEFAULT_GROUPS, ...g })),
    classification: z
      .strictObject({
        default: changeClassSchema.default("normal"),
        emergency: z
          .strictObject({ labels: z.array(label).default(["emergency", "change:emergency"]) })
          .prefault({}),
        normal: z
          .strictObject({
            labels: z.array(label).default(["change:normal"]),
            paths: z.array(glob).default(DEFAULT_NORMAL_PATHS),
          })
          .prefault({}),
        standard: z
          .strictObject({
            labels: z.array(label).default(["change:standard"]),
            paths: z.array(glob).default(["docs/**", "**/*.md"]),
          })
          .prefault({}),
      })
      .prefault({}),
    sections: z
      .record(requirementName, sectionSchema)
      .default({})
      .transform((s): Record<string, SectionConfig> => ({ ...DEFAULT_SECTIONS, ...s })),
    fields: z
      .record(requirementName, fieldSchema)
      .default({})
      .transform((f): Record<string, FieldConfig> => ({ ...DEFAULT_FIELDS, ...f })),
    classes: z
      .strictObject({
        standard: classSchema({ require: ["description"], approvals: [{ count: 1 }] }).prefault({}),
        normal: classSchema({
          require: ["description", "impact", "rollback", "owner", "target_date"],
          approvals: [{ count: 1 }, { count: 1, from: "cto-ciso" }],
        }).prefault({}),
        emergency: classSchema({ require: ["description"], approvals: [{ count: 1 }] })
          .extend({ post_review: postReviewSchema.prefault({}) })
          .prefault({}),
      })
      .prefault({}),
    rules: z.array(ruleSchema).default([
      {
        name: "Compliance review",
        when: { labels: ["privacy", "regulatory"], paths: [], checked: ["Privacy or regulatory impact"] },
        require: [],
        checked: [],
        approvals: [{ count: 1, from: "compliance" }],
        checks: [],
      },
    ]),
    approvals: z
      .strictObject({
        stale: z.enum(["dismiss", "keep"]).default("dismiss"),
        // An approval does not count from someone who authored or committed a commit of the PR.
        independent: z.boolean().default(true),
      })
      .prefault({}),
    freezes: z.array(freezeSchema).default([]),
    register: registerSchema.prefault({}),
    incidents: z
      .strictObject({
        labels: z.array(label).default(["security-incident"]),
        repository: z
          .string()
          .regex(/^$|^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/, "must be empty, repo or owner/repo")
          .default(""),
        branches: z.array(z.string().min(1).max(255)).default([]),
      })
      .prefault({}),
    deployments: deploymentsSchema.prefault({}),
  })
  // Cross-references: a typo in a group or requirement name must not disable a control. The check
  // runs even when other keys failed (`when`), so that every problem is listed at once; it then sees
  // partly raw input, so it reads defensively and adds the default names itself (the transforms that
  // add them did not run): one typo gives one problem, not a cascade of false "unknown" errors.
  .superRefine((config, ctx) => checkReferences(config, ctx.addIssue), { when: () => true });

type AddIssue = (issue: { code: "custom"; path: (string | number)[]; message: string }) => void;

function checkReferences(value: unknown, addIssue: AddIssue): void {
  const config = asRecord(value);
  const groups = new Set(knownNames(DEFAULT_GROUPS, config.groups));
  const requirements = new Set([...knownNames(DEFAULT_SECTIONS, config.sections), ...knownNames(DEFAULT_FIELDS, config.fields)]);
  const checkGroup = (name: unknown, path: (string | number)[]) => {
    if (typeof name === "string" && !groups.has(name)) {
      addIssue({ code: "custom", path, message: `unknown group "${name}" (known: ${[...groups].join(", ")})` });
    }
  };
  const checkRequire = (names: unknown, path: (string | number)[]) =>
    asArray(names).forEach((name, i) => {
      if (typeof name === "string" && !requirements.has(name)) {
        addIssue({ code: "custom", path: [...path, i], message: `unknown section or field "${name}" (known: ${[...requirements].join(", ")})` });
      }
    });
  const checkApprovals = (approvals: unknown, path: (string | number)[]) =>
    asArray(approvals).forEach((a, i) => checkGroup(asRecord(a).from, [...path, i, "from"]));

  const classes = asRecord(config.classes);
  for (const cls of CHANGE_CLASSES) {
    const klass = asRecord(classes[cls]);
    checkRequire(klass.require, ["classes", cls, "require"]);
    checkApprovals(klass.approvals, ["classes", cls, "approvals"]);
  }
  for (const cls of CHANGE_CLASSES) {
    const postReview = asRecord(asRecord(classes[cls]).post_review);
    checkGroup(postReview.from, ["classes", cls, "post_review", "from"]);
    checkRequire(postReview.require, ["classes", cls, "post_review", "require"]);
  }
  checkFreezes(config.freezes, addIssue);
  asArray(config.rules).forEach((rule, r) => {
    checkRequire(asRecord(rule).require, ["rules", r, "require"]);
    checkApprovals(asRecord(rule).approvals, ["rules", r, "approvals"]);
  });
  const deployers = asRecord(config.deployments).deployers;
  if (deployers !== "") checkGroup(deployers, ["deployments", "deployers"]);
}

/** Each freeze ends after it starts, and names are unique (messages and timers name freezes). */
function checkFreezes(freezes: unknown, addIssue: AddIssue): void {
  const names = new Map<string, number>();
  asArray(freezes).forEach((value, i) => {
    const freeze = asRecord(value);
    const from = typeof freeze.from === "string" ? Date.parse(freeze.from) : NaN;
    const until = typeof freeze.until === "string" ? Date.parse(freeze.until) : NaN;
    if (Number.isFinite(from) && Number.isFinite(until) && until <= from) {
      addIssue({ code: "custom", path: ["freezes", i, "until"], message: `must be later than \`from\` (${String(freeze.from)})` });
    }
    if (typeof freeze.name === "string") {
      const key = freeze.name.trim().toLowerCase();
      const first = names.get(key);
      if (first !== undefined) addIssue({ code: "custom", path: ["freezes", i, "name"], message: `"${freeze.name}" is already the name of freezes.${first}; give each freeze its own name` });
      else names.set(key, i);
    }
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export type Config = z.infer<typeof configSchema>;
export type GroupConfig = z.infer<typeof groupSchema>;
export type SectionConfig = z.infer<typeof sectionSchema>;
export type FieldConfig = z.infer<typeof fieldSchema>;
export type PostReviewConfig = z.infer<typeof postReviewSchema>;

/** The post-implementation review a merged change of this class gets, or null when it gets none. */
export function postReviewOf(config: Config, changeClass: ChangeClass): PostReviewConfig | null {
  return config.classes[changeClass].post_review ?? null;
}

/** The configuration an empty file stands for: the policy's defaults. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
