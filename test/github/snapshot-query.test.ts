import { validate } from "@octokit/graphql-schema";
import { PULL_QUERY, pullQuery } from "../../src/github/snapshot.js";

test("the pull request query is valid against GitHub's published GraphQL schema", () => {
  expect(validate(PULL_QUERY)).toEqual([]);
});

test("with the members of three teams (aliases t0–t2) it is still valid, and asks for reviewers' write access", () => {
  const query = pullQuery(3);
  expect(validate(query)).toEqual([]);
  expect(query).toContain("authorCanPushToRepository");
  for (const i of [0, 1, 2]) expect(query).toContain(`t${i}: organization(login: $o${i}) { team(slug: $s${i})`);
  expect(query).not.toContain("t3:");
});

test("an invalid field would be reported (the validation can fail)", () => {
  expect(validate(PULL_QUERY.replace("headRefOid", "headSha")).length).toBeGreaterThan(0);
  expect(validate(pullQuery(1).replace("team(slug:", "team(name:")).length).toBeGreaterThan(0);
});
