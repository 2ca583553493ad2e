import { validate } from "@octokit/graphql-schema";
import { MERGED_PULLS_QUERY } from "../../src/github/merged-pulls.js";
import { HEAD_CHECKS_PAGE_QUERY, PULL_COMMITS_PAGE_QUERY } from "../../src/github/snapshot-extras.js";
import { PULL_QUERY } from "../../src/github/snapshot.js";

test.each([
  ["the pull request query, with commits and head checks", PULL_QUERY],
  ["the audit's search, which shares the fragment", MERGED_PULLS_QUERY],
  ["the page of older commits", PULL_COMMITS_PAGE_QUERY],
  ["the page of further head checks", HEAD_CHECKS_PAGE_QUERY],
])("%s is valid against GitHub's published GraphQL schema", (_name, query) => {
  expect(validate(query)).toEqual([]);
});

test("the validation can fail: a misspelt field of the commit history is reported", () => {
  expect(validate(PULL_QUERY.replace("authors(first: 10)", "coauthors(first: 10)")).length).toBeGreaterThan(0);
});
