import assert from "node:assert/strict";
import { parentProxy } from "../../src/run/upstream_proxy.ts";
import { describeUpstreamFailure } from "../../src/run/upstream_failure.ts";
import { fakePlatform } from "../_fakes/platform.ts";

Deno.test("the parent's HTTPS_PROXY is used except for NO_PROXY and loopback hosts", () => {
  const { pick, warning } = parentProxy(fakePlatform({
    env: {
      HTTPS_PROXY: "http://user:p%40ss@proxy.corp:3128",
      NO_PROXY: "internal.corp, .svc.local,db.corp:5432",
    },
  }));
  assert.equal(warning, undefined);
  const via = { hostname: "proxy.corp", port: 3128, authorization: `Basic ${btoa("user:p@ss")}` };
  assert.deepEqual(pick("api.github.com", 443), via);
  assert.equal(pick("internal.corp", 443), null);
  assert.equal(pick("git.internal.corp", 443), null);
  assert.deepEqual(pick("notinternal.corp", 443), via, "a suffix match needs a dot");
  assert.equal(pick("a.svc.local", 443), null);
  assert.equal(pick("db.corp", 5432), null);
  assert.deepEqual(pick("db.corp", 443), via, "a NO_PROXY port limits the entry to it");
  for (const host of ["127.0.0.2", "localhost", "::1"]) assert.equal(pick(host, 443), null, host);
});

Deno.test("no proxy, NO_PROXY=*, and unsupported proxy URLs mean direct connections", () => {
  assert.equal(parentProxy(fakePlatform({ env: {} })).pick("a.test", 443), null);
  const all = parentProxy(fakePlatform({ env: { https_proxy: "proxy:8080", no_proxy: "*" } }));
  assert.equal(all.pick("a.test", 443), null);
  const socks = parentProxy(fakePlatform({ env: { HTTPS_PROXY: "socks5://proxy:1080" } }));
  assert.equal(socks.pick("a.test", 443), null);
  assert.match(socks.warning!, /only http:\/\/host:port proxies/);
});

Deno.test("upstream failures read as reasons a user can act on", () => {
  const refused = Object.assign(new Error("Connection refused (os error 111)"), {
    name: "ConnectionRefused",
  });
  assert.equal(describeUpstreamFailure(refused, "a.test", 443), "connection refused by a.test:443");
  assert.equal(
    describeUpstreamFailure(
      new Error("failed to lookup address information: Name or service not known"),
      "a.test",
      443,
    ),
    "could not resolve host a.test",
  );
  const tls = Object.assign(new Error("invalid peer certificate: UnknownIssuer"), {
    name: "InvalidData",
  });
  assert.match(
    describeUpstreamFailure(tls, "a.test", 443),
    /^TLS verification of a\.test:443 failed \(invalid peer certificate: UnknownIssuer\).*AUTHSOME_CA_FILE/,
  );
  assert.equal(
    describeUpstreamFailure(
      new Error("the upstream proxy p:1 refused CONNECT a.test:443: 403"),
      "a.test",
      443,
    ),
    "the upstream proxy p:1 refused CONNECT a.test:443: 403",
  );
});
