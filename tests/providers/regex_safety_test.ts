import assert from "node:assert/strict";
import { ProviderDefinitionError } from "../../src/errors.ts";
import { BUNDLED_PROVIDERS } from "../../src/providers/catalogue.ts";
import {
  backtrackingProblem,
  fullMatch,
  hostPatternProblem,
  MAX_MATCH_INPUT,
} from "../../src/providers/regex_safety.ts";
import { validateProvider } from "../../src/providers/schema.ts";
import { buildRoutes, route } from "../../src/run/routing.ts";
import { apiKey, oauth, ORIGIN, rejects } from "./fixtures.ts";

/** Known catastrophic-backtracking shapes (OWASP ReDoS examples and friends). */
const REDOS = [
  "^(a+)+$",
  "(a*)*b",
  "(a|a)*",
  "(a|aa)+$",
  "(.*a){12}",
  "^(\\w+\\s?)+$",
  "^(([a-z])+.)+[A-Z]([a-z])+$",
  "(x+x+)+y",
  "([a-zA-Z]+)*$",
  "(\\d|\\w)+z",
  "^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+$",
  "(a)\\1",
  // Polynomial: a degree-5 run took 9 s on 200 characters (keys are matched up to 4,096).
  "^sk-\\w*\\w*\\w*\\w*\\w*x$",
  "^\\w+\\d*\\w+$",
  "(\\w*)(\\w*)(\\w*)!",
  // A group's own run continues the outer one; a literal the class also matches separates nothing.
  "(\\w*\\w*)\\w*!",
  "\\w*a\\w*a\\w*!",
  "^.*foo.*bar.*$",
  "^\\d+1\\d+2\\d+$",
];

Deno.test("regex safety: every known ReDoS shape is refused, with a reason", () => {
  for (const pattern of REDOS) {
    assert.ok(backtrackingProblem(pattern), `${pattern} should be refused`);
  }
});

Deno.test("regex safety: ordinary key and host patterns pass", () => {
  for (
    const pattern of [
      "^sk-[A-Za-z0-9_-]{20,}$",
      "^SG\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
      "^(sk|pk)_[a-z]+$",
      "(ab|cd)+",
      "^(?:[a-z0-9.-]+\\.)?googleapis\\.com$",
      "[\\])]+x",
      // Literals the classes cannot match keep the runs apart.
      "^[a-z]+-[a-z]+-[a-z]+$",
      "^[0-9]+\\.[0-9]+\\.[0-9]+$",
      "^[A-Za-z0-9]+\\.[A-Za-z0-9]+\\.[A-Za-z0-9]+$",
    ]
  ) {
    assert.equal(backtrackingProblem(pattern), null, pattern);
  }
});

Deno.test("regex safety: a key_pattern of (a+)+ is refused at registration (it hung login)", () => {
  rejects(apiKey({}, { key_pattern: "^(a+)+$" }), "api_key.key_pattern", /exponential time/);
  // What login would have run: the bound keeps even polynomial shapes quick.
  assert.equal(fullMatch("\\d+\\d+x", "1".repeat(MAX_MATCH_INPUT + 1)), false);
});

Deno.test("regex safety: host patterns must be anchored and end in a literal domain", () => {
  assert.match(hostPatternProblem(".*googleapis.*")!, /anchored with \^ and \$/);
  assert.match(hostPatternProblem("^.*googleapis.*$")!, /literal domain suffix/);
  assert.equal(hostPatternProblem("^api\\.(x|twitter)\\.com$"), null);
});

Deno.test("register refuses an unanchored regex host_url and hints at the anchored form", () => {
  let error: unknown;
  try {
    validateProvider(oauth({ host_url: "regex:api\\.acme\\.test" }), ORIGIN, { registering: true });
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ProviderDefinitionError);
  assert.equal(error.exitCode, 2);
  assert.match(error.message, /^providers\/acme\.json: host_url: .*anchored/);
  assert.equal(error.hint, 'In the file, write "host_url": "regex:^(?:api\\\\.acme\\\\.test)$"');
  // The hinted form is accepted.
  const fixed = validateProvider(
    oauth({ host_url: "regex:^(?:api\\.acme\\.test)$" }),
    ORIGIN,
    { registering: true },
  );
  assert.equal(fixed.host_url, "regex:^(?:api\\.acme\\.test)$");
  // A file installed before anchors were required still loads; run refuses to route by it.
  const old = validateProvider(oauth({ host_url: "regex:.*acme.*" }), ORIGIN);
  assert.equal(old.host_url, "regex:.*acme.*");
});

Deno.test("host patterns: every top-level alternative needs a literal domain suffix", () => {
  assert.equal(hostPatternProblem("^(?:a\\.test|b\\.test)$"), null);
  assert.match(hostPatternProblem("^(?:.*evil|x\\.com)$")!, /literal domain suffix/);
  assert.match(hostPatternProblem("^.*evil|x\\.com$")!, /literal domain suffix/);
  assert.match(hostPatternProblem("^(?:a)|(?:b\\.com)$")!, /literal domain suffix/);
  // Judged as the full match routing makes of it:
  assert.equal(hostPatternProblem(".*\\.acme\\.com", true), null);
  assert.match(hostPatternProblem(".*googleapis.*", true)!, /literal domain suffix/);
});

Deno.test("bundled regex hosts are safe: google's does not match googleapis.evil.test", () => {
  const definitions = BUNDLED_PROVIDERS.map((raw) => validateProvider(raw, "bundled"));
  for (const definition of definitions) {
    const hostUrl = definition.host_url ?? "";
    if (!hostUrl.startsWith("regex:")) continue;
    assert.equal(hostPatternProblem(hostUrl.slice(6)), null, definition.name);
  }
  const google = definitions.find((d) => d.name === "google")!;
  const table = buildRoutes([{
    provider: "google",
    connection: "default",
    hostUrl: google.host_url!,
    excludedUrls: [],
  }]);
  const decide = (host: string) => route(table, { host, port: 443, path: "/" }).kind;
  assert.equal(decide("googleapis.evil.test"), "pass");
  assert.equal(decide("evilgoogleapis.com"), "pass");
  assert.equal(decide("www.googleapis.com"), "inject");
  assert.equal(decide("us-central1-aiplatform.googleapis.com"), "inject");
  assert.equal(decide("googleapis.com"), "inject");
});
