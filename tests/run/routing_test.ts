import assert from "node:assert/strict";
import {
  buildRoutes,
  hostNeedsInterception,
  normalizePath,
  route,
  type RouteEntry,
} from "../../src/run/routing.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

function entry(
  provider: string,
  hostUrl: string,
  excludedUrls: string[] = [],
  connection = "default",
): RouteEntry {
  return { provider, connection, hostUrl, excludedUrls };
}

const inject = (provider: string, connection = "default") => ({
  kind: "inject",
  provider,
  connection,
});
const pass = { kind: "pass" };

Deno.test("a bare host matches every path and port on that host only", () => {
  const table = buildRoutes([entry("github", "api.github.com")]);
  assert.deepEqual(table.problems, []);
  assert.deepEqual(
    route(table, { host: "api.github.com", port: 443, path: "/user" }),
    inject("github"),
  );
  assert.deepEqual(
    route(table, { host: "api.github.com", port: 8443, path: "/" }),
    inject("github"),
  );
  assert.deepEqual(route(table, { host: "github.com", port: 443, path: "/user" }), pass);
  assert.deepEqual(route(table, { host: "evil-api.github.com", port: 443, path: "/" }), pass);
  assert.deepEqual(route(table, { host: "api.github.com.evil", port: 443, path: "/" }), pass);
});

Deno.test("hosts are compared case-insensitively and without a trailing dot", () => {
  const table = buildRoutes([entry("github", "API.GitHub.com")]);
  assert.deepEqual(
    route(table, { host: "api.github.com", port: 443, path: "/" }),
    inject("github"),
  );
  assert.deepEqual(
    route(table, { host: "Api.GITHUB.Com", port: 443, path: "/" }),
    inject("github"),
  );
  assert.deepEqual(
    route(table, { host: "api.github.com.", port: 443, path: "/" }),
    inject("github"),
  );
  assert.equal(hostNeedsInterception(table, "API.GITHUB.COM", 443), true);
});

Deno.test("a path prefix matches itself and below, never a sibling with the same start", () => {
  const table = buildRoutes([entry("ex", "https://api.example.com/v1/")]);
  assert.deepEqual(table.routes[0].pathPrefix, "/v1");
  const at = (path: string) => route(table, { host: "api.example.com", port: 443, path });
  assert.deepEqual(at("/v1"), inject("ex"));
  assert.deepEqual(at("/v1/"), inject("ex"));
  assert.deepEqual(at("/v1/users?page=2"), inject("ex"));
  assert.deepEqual(at("/v1?x=1"), inject("ex"));
  assert.deepEqual(at("/v10/users"), pass);
  assert.deepEqual(at("/v2/users"), pass);
  assert.deepEqual(at("/"), pass);
  assert.deepEqual(at("/v1/../admin"), pass, "dot segments are resolved before matching");
  assert.deepEqual(at("/v1/%2e%2e/admin"), pass, "so are percent-encoded ones");
  assert.deepEqual(at("/V1/users"), pass, "paths are case-sensitive");
  assert.equal(hostNeedsInterception(table, "api.example.com", 443), true, "path unknown yet");
});

Deno.test("a bare host may carry a path, and a URL a port", () => {
  const table = buildRoutes([
    entry("a", "api.example.com/v2"),
    entry("b", "https://local.test:8443"),
  ]);
  assert.deepEqual(table.problems, []);
  assert.deepEqual(
    route(table, { host: "api.example.com", port: 443, path: "/v2/x" }),
    inject("a"),
  );
  assert.deepEqual(route(table, { host: "api.example.com", port: 443, path: "/v3/x" }), pass);
  assert.deepEqual(route(table, { host: "local.test", port: 8443, path: "/" }), inject("b"));
  assert.deepEqual(route(table, { host: "local.test", port: 443, path: "/" }), pass);
  assert.equal(hostNeedsInterception(table, "local.test", 8443), true);
  assert.equal(hostNeedsInterception(table, "local.test", 443), false);
});

Deno.test("regex routes fully match the host, case-insensitively", () => {
  const table = buildRoutes([
    entry("google", "regex:.*googleapis.*"),
    entry("co", "regex:api\\d\\.co\\.test"),
  ]);
  const at = (host: string) => route(table, { host, port: 443, path: "/anything" });
  assert.deepEqual(at("www.googleapis.com"), inject("google"));
  assert.deepEqual(at("GMAIL.GOOGLEAPIS.COM"), inject("google"));
  assert.deepEqual(at("api1.co.test"), inject("co"));
  assert.deepEqual(at("xapi1.co.test"), pass, "no partial match at the start");
  assert.deepEqual(at("api1.co.test.evil"), pass, "no partial match at the end");
  assert.deepEqual(at("api1.co.test"), inject("co"));
  assert.equal(hostNeedsInterception(table, "storage.googleapis.com", 443), true);
  assert.equal(hostNeedsInterception(table, "example.com", 443), false);
});

Deno.test("alternation in a regex is anchored as a whole", () => {
  const table = buildRoutes([entry("p", "regex:a\\.test|b\\.test")]);
  assert.deepEqual(route(table, { host: "b.test", port: 443, path: "/" }), inject("p"));
  assert.deepEqual(route(table, { host: "a.test.evil", port: 443, path: "/" }), pass);
  assert.deepEqual(route(table, { host: "evil.b.test", port: 443, path: "/" }), pass);
});

Deno.test("the longest path prefix wins, then an exact host over a regex, then a port", () => {
  const table = buildRoutes([
    entry("any", "regex:.*\\.example\\.com"),
    entry("host", "api.example.com"),
    entry("v1", "https://api.example.com/v1"),
    entry("v1-users", "api.example.com/v1/users"),
    entry("port", "https://api.example.com:8443"),
  ]);
  const at = (host: string, path: string, port = 443) => route(table, { host, port, path });
  assert.deepEqual(at("api.example.com", "/v1/users/7"), inject("v1-users"));
  assert.deepEqual(at("api.example.com", "/v1/orgs"), inject("v1"));
  assert.deepEqual(at("api.example.com", "/v2"), inject("host"));
  assert.deepEqual(at("api.example.com", "/v2", 8443), inject("port"));
  assert.deepEqual(at("api.example.com", "/v1/x", 8443), inject("v1"), "path beats port");
  assert.deepEqual(at("other.example.com", "/v1"), inject("any"));
  // A regex route with a longer path cannot exist (regex routes have no path), so a matching
  // path prefix always beats a regex.
  const regexVsPath = buildRoutes([
    entry("r", "regex:api\\.x\\.test"),
    entry("p", "api.x.test/v1"),
  ]);
  assert.deepEqual(
    route(regexVsPath, { host: "api.x.test", port: 443, path: "/v1/a" }),
    inject("p"),
  );
  assert.deepEqual(route(regexVsPath, { host: "api.x.test", port: 443, path: "/v2" }), inject("r"));
});

Deno.test("a tie between different connections is ambiguous", () => {
  const table = buildRoutes([
    entry("b", "api.shared.test"),
    entry("a", "https://API.shared.test/"),
    entry("c", "regex:.*\\.shared\\.test"),
    entry("d", "regex:api\\.shared\\..*"),
  ]);
  assert.deepEqual(route(table, { host: "api.shared.test", port: 443, path: "/x" }), {
    kind: "ambiguous",
    candidates: ["a/default", "b/default"],
  });
  assert.deepEqual(route(table, { host: "www.shared.test", port: 443, path: "/" }), inject("c"));
  assert.deepEqual(route(table, { host: "api.shared.org", port: 443, path: "/" }), inject("d"));
  const regexTie = route(table, { host: "api.shared.test", port: 1, path: "/" });
  assert.equal(regexTie.kind, "ambiguous", "exact hosts still tie on any port");

  const two = buildRoutes([
    entry("gh", "api.github.com", [], "work"),
    entry("gh", "api.github.com", [], "personal"),
  ]);
  assert.deepEqual(route(two, { host: "api.github.com", port: 443, path: "/" }), {
    kind: "ambiguous",
    candidates: ["gh/personal", "gh/work"],
  });
  const regexOnly = buildRoutes([entry("x", "regex:.*\\.t"), entry("y", "regex:a\\..*")]);
  assert.deepEqual(route(regexOnly, { host: "a.t", port: 443, path: "/" }), {
    kind: "ambiguous",
    candidates: ["x/default", "y/default"],
  });
});

Deno.test("the same connection listed twice is not ambiguous", () => {
  const table = buildRoutes([entry("gh", "api.github.com"), entry("gh", "https://api.github.com")]);
  assert.deepEqual(route(table, { host: "api.github.com", port: 443, path: "/" }), inject("gh"));
});

Deno.test("OAuth endpoints of any provider are never injected", () => {
  const googleOAuth = [
    "https://accounts.google.com/o/oauth2/v2/auth",
    "https://oauth2.googleapis.com/token",
    "https://oauth2.googleapis.com/revoke",
    "https://oauth2.googleapis.com/device/code",
  ];
  const table = buildRoutes([
    entry("google", "regex:.*googleapis.*", googleOAuth),
    entry("ex", "api.example.com", [
      "https://api.example.com/oauth/token",
      "https://api.example.com:8443/register",
    ]),
    entry("other", "login.example.com/api", ["https://api.example.com/oauth/authorize"]),
  ]);
  assert.deepEqual(table.problems, []);
  const at = (host: string, path: string, port = 443) => route(table, { host, port, path });
  assert.deepEqual(at("oauth2.googleapis.com", "/token"), pass);
  assert.deepEqual(at("OAUTH2.googleapis.com", "/token?grant_type=x"), pass);
  assert.deepEqual(at("oauth2.googleapis.com", "/revoke"), pass);
  assert.deepEqual(at("oauth2.googleapis.com", "/device/code"), pass);
  assert.deepEqual(at("oauth2.googleapis.com", "/tokeninfo"), inject("google"));
  assert.deepEqual(at("oauth2.googleapis.com", "/x/../token"), pass);
  assert.deepEqual(at("www.googleapis.com", "/drive/v3/files"), inject("google"));
  assert.deepEqual(at("api.example.com", "/oauth/token"), pass);
  assert.deepEqual(at("api.example.com", "/oauth/token/"), pass);
  assert.deepEqual(at("api.example.com", "/oauth/authorize"), pass, "another provider's too");
  assert.deepEqual(at("api.example.com", "/oauth/tokens"), inject("ex"));
  assert.deepEqual(at("api.example.com", "/register"), inject("ex"), "exclusion has a port");
  assert.deepEqual(at("api.example.com", "/register", 8443), pass);
  assert.equal(hostNeedsInterception(table, "oauth2.googleapis.com", 443), true);
});

Deno.test("IPv6 literals match with or without brackets", () => {
  const table = buildRoutes([
    entry("a", "https://[::1]:8443/api"),
    entry("b", "[2001:DB8::5]"),
    entry("c", "fe80::7"),
  ]);
  assert.deepEqual(table.problems, []);
  assert.deepEqual(route(table, { host: "[::1]", port: 8443, path: "/api/x" }), inject("a"));
  assert.deepEqual(route(table, { host: "::1", port: 8443, path: "/api" }), inject("a"));
  assert.deepEqual(route(table, { host: "::1", port: 8443, path: "/" }), pass);
  assert.deepEqual(route(table, { host: "[2001:db8::5]", port: 443, path: "/" }), inject("b"));
  assert.deepEqual(route(table, { host: "2001:db8::5", port: 443, path: "/" }), inject("b"));
  assert.deepEqual(route(table, { host: "[FE80::7]", port: 443, path: "/" }), inject("c"));
  assert.equal(hostNeedsInterception(table, "[::1]", 8443), true);
  assert.equal(hostNeedsInterception(table, "::1", 443), false);
});

Deno.test("loopback hosts are routable, for local test servers", () => {
  const table = buildRoutes([entry("local", "http://127.0.0.1:9999/v1")]);
  assert.deepEqual(
    route(table, { host: "127.0.0.1", port: 9999, path: "/v1/me" }),
    inject("local"),
  );
  assert.equal(hostNeedsInterception(table, "127.0.0.1", 9999), true);
  assert.equal(hostNeedsInterception(table, "127.0.0.1", 9998), false);
});

Deno.test("unusable host_urls and excluded URLs are reported and left out", () => {
  const table = buildRoutes([
    entry("bad-regex", "regex:(unclosed"),
    entry("empty-regex", "regex:"),
    entry("ftp", "ftp://files.example.com"),
    entry("creds", "https://user:pw@api.example.com"),
    entry("blank", "  "),
    entry("ok", "api.ok.test", ["{base_url}/oauth/token", "relative/path"]),
  ]);
  assert.deepEqual(table.problems.map((p) => [p.provider, p.value]), [
    ["bad-regex", "regex:(unclosed"],
    ["empty-regex", "regex:"],
    ["ftp", "ftp://files.example.com"],
    ["creds", "https://user:pw@api.example.com"],
    ["blank", "  "],
    ["ok", "{base_url}/oauth/token"],
    ["ok", "relative/path"],
  ]);
  assert.equal(table.routes.length, 1);
  assert.deepEqual(route(table, { host: "api.ok.test", port: 443, path: "/" }), inject("ok"));
});

Deno.test("an empty table passes everything and intercepts nothing", () => {
  const table = buildRoutes([]);
  assert.deepEqual(route(table, { host: "api.github.com", port: 443, path: "/" }), pass);
  assert.equal(hostNeedsInterception(table, "api.github.com", 443), false);
});

Deno.test("normalizePath", () => {
  assert.equal(normalizePath("/"), "");
  assert.equal(normalizePath(""), "");
  assert.equal(normalizePath("/a/b/?q=1#f"), "/a/b");
  assert.equal(normalizePath("/a/./b/../c"), "/a/c");
  assert.equal(normalizePath("a/b"), "/a/b");
  assert.equal(normalizePath("https://h.test/x/y?z"), "/x/y");
});
