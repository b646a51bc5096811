import assert from "node:assert/strict";
import { editDistance, suggest } from "../../src/commands/suggest.ts";

const COMMANDS = [
  "init",
  "list",
  "inspect",
  "login",
  "logout",
  "revoke",
  "remove",
  "register",
  "get",
  "export",
  "run",
  "log",
  "doctor",
  "whoami",
  "daemon",
  "completions",
];

Deno.test("editDistance() counts insertions, deletions, substitutions and transpositions", () => {
  const cases: [string, string, number][] = [
    ["", "", 0],
    ["", "abc", 3],
    ["abc", "", 3],
    ["login", "login", 0],
    ["lgoin", "login", 1],
    ["ab", "ba", 1],
    ["kitten", "sitting", 3],
    ["exprot", "export", 1],
    ["doctr", "doctor", 1],
  ];
  for (const [a, b, distance] of cases) {
    assert.equal(editDistance(a, b), distance, `${a} → ${b}`);
    assert.equal(editDistance(b, a), distance, `${b} → ${a}`);
  }
});

Deno.test("suggest() finds the command the user meant", () => {
  const cases: [string, string | undefined][] = [
    ["lgoin", "login"],
    ["loign", "login"],
    ["logni", "login"],
    ["exprot", "export"],
    ["expor", "export"],
    ["whoamii", "whoami"],
    ["dotcor", "doctor"],
    ["LOGIN", "login"],
    ["comp", "completions"],
    ["complet", "completions"],
    ["deamon", "daemon"],
    ["regsiter", "register"],
    ["gte", "get"],
    ["rn", "run"],
    ["xyzzy", undefined],
    ["g", undefined],
    ["", undefined],
    ["kubectl", undefined],
  ];
  for (const [input, expected] of cases) {
    assert.equal(suggest(input, COMMANDS), expected, input);
  }
});

Deno.test("suggest() prefers the earlier candidate on a tie", () => {
  assert.equal(suggest("logn", COMMANDS), "login");
  assert.equal(suggest("logn", ["log", "login"]), "log");
});

Deno.test("suggest() works for flag names", () => {
  const flags = ["field", "show-secret", "connection", "json", "quiet", "profile", "log-file"];
  assert.equal(suggest("fild", flags), "field");
  assert.equal(suggest("show-secrets", flags), "show-secret");
  assert.equal(suggest("jsn", flags), "json");
  assert.equal(suggest("conn", flags), "connection");
  assert.equal(suggest("profle", flags), "profile");
  assert.equal(suggest("logfile", flags), "log-file");
  assert.equal(suggest("zzz", flags), undefined);
});

Deno.test("suggest() returns undefined without candidates", () => {
  assert.equal(suggest("login", []), undefined);
});

Deno.test("suggest() takes the one candidate a word starts over a closer edit", () => {
  const daemon = ["serve", "start", "unlock", "stop", "status"];
  assert.equal(suggest("stat", daemon), "status");
  assert.equal(suggest("stsrt", daemon), "start", "no prefix: edit distance decides");
  assert.equal(suggest("st", daemon), "start", "several start with st: the earliest");
});
