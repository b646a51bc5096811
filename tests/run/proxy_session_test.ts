import assert from "node:assert/strict";
import { effectiveHostUrl } from "../../src/run/proxy_session.ts";
import { nodeProxyWarning } from "../../src/run/node_child.ts";

const GOOGLE = "regex:^(?:[a-z0-9.-]+\\.)?googleapis\\.com$";

Deno.test("a connection stored with the old unanchored google pattern routes by the safe one", () => {
  // Connections keep the host_url they were created with; google's used to be .*googleapis.*
  assert.deepEqual(effectiveHostUrl("regex:.*googleapis.*", GOOGLE), {
    hostUrl: GOOGLE,
    replaced: "regex:.*googleapis.*",
  });
  assert.deepEqual(effectiveHostUrl("regex:.*evil.*", null), {
    hostUrl: null,
    replaced: "regex:.*evil.*",
  });
  assert.deepEqual(effectiveHostUrl("api.example.com", GOOGLE), { hostUrl: "api.example.com" });
  assert.deepEqual(effectiveHostUrl(null, GOOGLE), { hostUrl: GOOGLE });
  // A custom file from before anchors were required: safe as a full match, so still used.
  assert.deepEqual(effectiveHostUrl(null, "regex:.*\\.acme\\.com"), {
    hostUrl: "regex:.*\\.acme\\.com",
  });
  assert.deepEqual(effectiveHostUrl(null, "regex:.*acme.*"), {
    hostUrl: null,
    replaced: "regex:.*acme.*",
  });
});

Deno.test("the Node warning names node children only", () => {
  for (const program of ["node", "/usr/bin/node", "nodejs", "node20", "C:\\node\\node.exe"]) {
    assert.match(nodeProxyWarning([program, "x.js"]) ?? "", /NODE_USE_ENV_PROXY.*--env/, program);
  }
  for (const program of ["npm", "nodemon", "deno", "python3", "sh"]) {
    assert.equal(nodeProxyWarning([program]), null, program);
  }
});
