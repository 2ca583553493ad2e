import fc from "fast-check";
import { CookieSigner, parseCookies, readOAuthState, readSession, serializeCookie } from "../../src/dashboard/session.js";

const SECRET = "a-session-secret-of-at-least-32-characters";
const NOW = 1_800_000_000;
const session = { sid: "s1", login: "alice", userId: 1, teams: ["acme/auditors"], issuedAt: NOW - 10, checkedAt: NOW - 10, expiresAt: NOW + 3600 };

describe("signed cookies", () => {
  const signer = new CookieSigner(SECRET);

  it("reads back what it signed", () => {
    expect(readSession(signer.verify("session", signer.sign("session", session)), NOW)).toEqual(session);
  });

  it("refuses another secret's signature, another purpose's, an expired session and a session from the future", () => {
    expect(new CookieSigner(`${SECRET}-other`).verify("session", signer.sign("session", session))).toBeNull();
    expect(signer.verify("session", signer.sign("oauth-state", session))).toBeNull();
    expect(readSession(signer.verify("session", signer.sign("session", { ...session, expiresAt: NOW })), NOW)).toBeNull();
    expect(readSession(signer.verify("session", signer.sign("session", { ...session, issuedAt: NOW + 3600 })), NOW)).toBeNull();
    expect(readSession({ ...session, teams: "acme/auditors" }, NOW)).toBeNull();
    expect(readOAuthState(signer.verify("oauth-state", signer.sign("oauth-state", { state: "x", returnTo: "/dashboard", expiresAt: NOW - 1 })), NOW)).toBeNull();
  });

  it("refuses every change to a signed value (any character, anywhere)", () => {
    const value = signer.sign("session", session);
    fc.assert(
      fc.property(fc.nat({ max: value.length - 1 }), fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), (index, replacement) => {
        fc.pre(value[index] !== replacement);
        const tampered = value.slice(0, index) + replacement + value.slice(index + 1);
        // base64url's last character can carry unused bits: a change there may decode to the same bytes.
        const same = Buffer.from(tampered.split(".")[1] ?? "", "base64url").equals(Buffer.from(value.split(".")[1]!, "base64url")) && tampered.split(".")[0] === value.split(".")[0];
        expect(signer.verify("session", tampered) === null || same).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary input, and refuses it", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5000 }), (text) => {
        expect(signer.verify("session", text)).toBeNull();
      }),
    );
    expect(signer.verify("session", "x".repeat(10_000))).toBeNull();
  });

  it("parses a Cookie header and writes HttpOnly, SameSite=Lax cookies, Secure when asked", () => {
    expect([...parseCookies("a=1; b=two=2;c=3; a=4; junk").entries()]).toEqual([
      ["a", "1"],
      ["b", "two=2"],
      ["c", "3"],
    ]);
    expect(serializeCookie("n", "v", { path: "/dashboard", maxAgeSeconds: 60, secure: true })).toBe("n=v; Path=/dashboard; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
    expect(serializeCookie("n", "", { path: "/dashboard", maxAgeSeconds: -5, secure: false })).toBe("n=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Lax");
  });
});
