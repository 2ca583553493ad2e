import { dashboardSettingsFromEnv } from "../../src/dashboard/settings.js";
import { SettingsError } from "../../src/settings.js";

const complete = {
  GITHUB_CLIENT_ID: "Iv1.abc",
  GITHUB_CLIENT_SECRET: "client-secret",
  DASHBOARD_SESSION_SECRET: "x".repeat(32),
  DASHBOARD_TEAMS: "acme/security-leads, Acme/Auditors",
};

describe("dashboard settings from the environment", () => {
  it("is off when neither DASHBOARD_TEAMS nor DASHBOARD_SESSION_SECRET is set (the OAuth client alone does not turn it on)", () => {
    expect(dashboardSettingsFromEnv({})).toBeNull();
    expect(dashboardSettingsFromEnv({ GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "s" })).toBeNull();
    expect(dashboardSettingsFromEnv({ DASHBOARD_TEAMS: "", DASHBOARD_SESSION_SECRET: "" })).toBeNull();
  });

  it("reads a complete set, with github.com and a 300 s membership cache by default", () => {
    expect(dashboardSettingsFromEnv(complete)).toEqual({
      clientId: "Iv1.abc",
      clientSecret: "client-secret",
      sessionSecret: "x".repeat(32),
      teams: [
        { org: "acme", slug: "security-leads" },
        { org: "acme", slug: "auditors" },
      ],
      membershipCacheSeconds: 300,
      webBaseUrl: "https://github.com",
      apiBaseUrl: "https://api.github.com",
    });
  });

  it("uses GHE_HOST and GHE_PROTOCOL for GitHub Enterprise Server", () => {
    expect(dashboardSettingsFromEnv({ ...complete, GHE_HOST: "github.example.com", MEMBERSHIP_CACHE_SECONDS: "60" })).toMatchObject({
      webBaseUrl: "https://github.example.com",
      apiBaseUrl: "https://github.example.com/api/v3",
      membershipCacheSeconds: 60,
    });
    expect(dashboardSettingsFromEnv({ ...complete, GHE_HOST: "127.0.0.1:8080", GHE_PROTOCOL: "http" })).toMatchObject({ webBaseUrl: "http://127.0.0.1:8080", apiBaseUrl: "http://127.0.0.1:8080/api/v3" });
  });

  it.each([
    ["the session secret is missing", { DASHBOARD_SESSION_SECRET: undefined }, "DASHBOARD_SESSION_SECRET: is not set, and the compliance dashboard needs it (at least 32 random characters"],
    ["the session secret is short", { DASHBOARD_SESSION_SECRET: "short" }, "DASHBOARD_SESSION_SECRET: must be at least 32 characters (generate one with `openssl rand -hex 32`)"],
    ["the client id is missing", { GITHUB_CLIENT_ID: undefined }, "GITHUB_CLIENT_ID: is not set, and the compliance dashboard needs it (the GitHub App's OAuth client ID"],
    ["the client secret is missing", { GITHUB_CLIENT_SECRET: "" }, "GITHUB_CLIENT_SECRET: is not set, and the compliance dashboard needs it"],
    ["the client secret is blank", { GITHUB_CLIENT_SECRET: "   " }, "GITHUB_CLIENT_SECRET: is not set, and the compliance dashboard needs it"],
    ["the teams are missing", { DASHBOARD_TEAMS: undefined }, "DASHBOARD_TEAMS: is not set, and the compliance dashboard needs it (the teams allowed in"],
    ["a team is not org/team", { DASHBOARD_TEAMS: "acme/auditors,security-leads" }, 'DASHBOARD_TEAMS: must be written as org/team-slug, and "security-leads" is not'],
    ["the teams list is empty", { DASHBOARD_TEAMS: " , " }, "DASHBOARD_TEAMS: must name at least one team"],
    ["the cache is not a number", { MEMBERSHIP_CACHE_SECONDS: "5m" }, "MEMBERSHIP_CACHE_SECONDS: must be a whole number of seconds"],
    ["the cache is longer than a session", { MEMBERSHIP_CACHE_SECONDS: "90000" }, "MEMBERSHIP_CACHE_SECONDS: must be at most 28800"],
    ["GHE_PROTOCOL is odd", { GHE_HOST: "ghe.example.com", GHE_PROTOCOL: "ftp" }, "GHE_PROTOCOL: must be https or http"],
  ])("refuses to start when %s, saying so in one line for that variable", (_label, change, message) => {
    const env: Record<string, string | undefined> = { ...complete, ...change };
    let error: unknown;
    try {
      dashboardSettingsFromEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const problems = (error as SettingsError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it("a missing setting says how to run without the dashboard", () => {
    expect(() => dashboardSettingsFromEnv({ ...complete, GITHUB_CLIENT_ID: undefined })).toThrow("unset DASHBOARD_TEAMS and DASHBOARD_SESSION_SECRET to run without the dashboard");
  });

  it("names every bad variable at once and never prints a secret's value", () => {
    let message = "";
    try {
      dashboardSettingsFromEnv({ DASHBOARD_SESSION_SECRET: "too-short-secret", GITHUB_CLIENT_SECRET: "the-client-secret-value" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("3 bad settings");
    expect(message).toContain("GITHUB_CLIENT_ID: is not set");
    expect(message).toContain("DASHBOARD_TEAMS: is not set");
    expect(message).toContain("DASHBOARD_SESSION_SECRET: must be at least 32 characters");
    expect(message).not.toContain("too-short-secret");
    expect(message).not.toContain("the-client-secret-value");
  });
});
