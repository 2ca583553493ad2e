/** The check run's name: what admins require in branch protection and rulesets (SPEC §1). */
export const CHECK_NAME = "Change Policy";
