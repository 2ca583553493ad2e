import { validate } from "@octokit/graphql-schema";
import { PULL_QUERY } from "../../src/github/snapshot.js";

test("the pull request query is valid against GitHub's published GraphQL schema", () => {
  expect(validate(PULL_QUERY)).toEqual([]);
});

test("an invalid field would be reported (the validation can fail)", () => {
  expect(validate(PULL_QUERY.replace("headRefOid", "headSha")).length).toBeGreaterThan(0);
});
