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

  test("a private key with literal \\n is read as PEM; something that is no key is an error naming the variable", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----";
    expect(parseSettings({ PRIVATE_KEY: pem }).privateKey).toBe("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----");
    expect(() => parseSettings({ PRIVATE_KEY: "not a key" })).toThrow(/PRIVATE_KEY: /);
  });
});
