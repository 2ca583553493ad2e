import { parseSettings, SettingsError } from "../src/settings.js";

describe("the environment, parsed once", () => {
  test("defaults when nothing is set", () => {
    const s = parseSettings({});
    expect(s.port).toBe(3000);
    expect(s.sweepIntervalMinutes).toBe(60);
    expect(s.sweepLabels).toEqual(["post-implementation-review"]);
    expect(s.coalesce).toEqual({ windowMs: 2_000, maxWaitMs: 10_000 });
    expect(s.ledger).toEqual({ dataDir: "./data", retentionDays: 400 });
    expect(s.apiBaseUrl).toBeUndefined();
    expect(s.webBaseUrl).toBe("https://github.com");
  });

  test.each([
    [undefined, 60],
    ["", 60],
    ["0", 0],
    ["15", 15],
  ])("SWEEP_INTERVAL_MINUTES %p → %p minutes", (value, minutes) => {
    expect(parseSettings(value === undefined ? {} : { SWEEP_INTERVAL_MINUTES: value }).sweepIntervalMinutes).toBe(minutes);
  });

  test("every bad variable is named once, in one error, instead of a silent default", () => {
    let error: unknown;
    try {
      parseSettings({ SWEEP_INTERVAL_MINUTES: "hourly", PORT: "-1", REDIS_URL: "http://cache:6379", GHE_HOST: "https://ghe.example.com" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const problems = (error as SettingsError).problems;
    expect(problems).toEqual([
      "PORT: must not be negative",
      "GHE_HOST: must be a host name such as github.example.com (no protocol, no path)",
      "REDIS_URL: must start with redis:// or rediss://",
      "SWEEP_INTERVAL_MINUTES: must be a number",
    ]);
    expect((error as Error).message).toContain("4 bad settings");
  });

  test("GitHub Enterprise Server: the API and web addresses follow GHE_HOST and GHE_PROTOCOL", () => {
    const s = parseSettings({ GHE_HOST: "ghe.example.com", GHE_PROTOCOL: "http" });
    expect(s.apiBaseUrl).toBe("http://ghe.example.com/api/v3");
    expect(s.webBaseUrl).toBe("http://ghe.example.com");
  });

  test("the membership caches' lifetime and the ETag cache's budget: defaults, values, and a bad value named", () => {
    expect(parseSettings({})).toMatchObject({ membershipCacheSeconds: 300, etagCacheMb: 64 });
    expect(parseSettings({ MEMBERSHIP_CACHE_SECONDS: "0", ETAG_CACHE_MB: "8" })).toMatchObject({ membershipCacheSeconds: 0, etagCacheMb: 8 });
    expect(() => parseSettings({ MEMBERSHIP_CACHE_SECONDS: "5m" })).toThrow("MEMBERSHIP_CACHE_SECONDS: must be a whole number of seconds, e.g. 300");
    expect(() => parseSettings({ MEMBERSHIP_CACHE_SECONDS: "28801" })).toThrow("MEMBERSHIP_CACHE_SECONDS: must be at most 28800");
    expect(() => parseSettings({ ETAG_CACHE_MB: "0" })).toThrow(/ETAG_CACHE_MB: /);
  });

  describe("the compliance dashboard", () => {
    const complete = { GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "client-secret", DASHBOARD_SESSION_SECRET: "s".repeat(32), DASHBOARD_TEAMS: "acme/auditors" };

    test("is off (null) without DASHBOARD_TEAMS and DASHBOARD_SESSION_SECRET, even with the OAuth client Probot's set-up writes", () => {
      expect(parseSettings({}).dashboard).toBeNull();
      expect(parseSettings({ GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "s" }).dashboard).toBeNull();
    });

    test("on GitHub Enterprise Server, signs in and asks the API there, with the membership cache's lifetime", () => {
      expect(parseSettings({ ...complete, GHE_HOST: "ghe.example.com", MEMBERSHIP_CACHE_SECONDS: "60" }).dashboard).toEqual({
        clientId: "Iv1.abc",
        clientSecret: "client-secret",
        sessionSecret: "s".repeat(32),
        teams: [{ org: "acme", slug: "auditors" }],
        membershipCacheSeconds: 60,
        webBaseUrl: "https://ghe.example.com",
        apiBaseUrl: "https://ghe.example.com/api/v3",
      });
    });

    test("asked for but incomplete: its problems are listed with every other bad variable, in one error", () => {
      let error: unknown;
      try {
        parseSettings({ PORT: "web", DASHBOARD_SESSION_SECRET: "short" });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SettingsError);
      const problems = (error as SettingsError).problems;
      expect(problems.map((p) => p.slice(0, p.indexOf(":")))).toEqual(["PORT", "DASHBOARD_SESSION_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "DASHBOARD_TEAMS"]);
      expect(problems[1]).toBe("DASHBOARD_SESSION_SECRET: must be at least 32 characters (generate one with `openssl rand -hex 32`)");
      expect(problems.join("\n")).not.toContain("short");
    });
  });

  test("a private key with literal \\n is read as PEM; something that is no key is an error naming the variable", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----";
    expect(parseSettings({ PRIVATE_KEY: pem }).privateKey).toBe("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----");
    expect(() => parseSettings({ PRIVATE_KEY: "not a key" })).toThrow(/PRIVATE_KEY: /);
  });
});
