import assert from "node:assert/strict";
import { closestMatch, levenshtein } from "../../src/providers/suggest.ts";

Deno.test("levenshtein: classic distances", () => {
  assert.equal(levenshtein("", ""), 0);
  assert.equal(levenshtein("abc", ""), 3);
  assert.equal(levenshtein("", "abc"), 3);
  assert.equal(levenshtein("kitten", "sitting"), 3);
  assert.equal(levenshtein("github", "githb"), 1);
  assert.equal(levenshtein("flaw", "lawn"), 2);
});

Deno.test("closestMatch: typos, prefixes, case and no match", () => {
  const names = ["github", "gitlab", "google", "microsoft", "openai", "x"];
  assert.equal(closestMatch("githb", names), "github");
  assert.equal(closestMatch("gitlba", names), "gitlab");
  assert.equal(closestMatch("GitHub", names), "github");
  assert.equal(closestMatch("opena1", names), "openai");
  assert.equal(closestMatch("micro", names), "microsoft");
  assert.equal(closestMatch("y", names), "x");
  assert.equal(closestMatch("salesforce", names), null);
  assert.equal(closestMatch("", names), null);
  assert.equal(closestMatch("github", []), null);
});
