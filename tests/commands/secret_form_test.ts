import assert from "node:assert/strict";
import { browserFormWanted, collectSecretInBrowser } from "../../src/commands/secret_form.ts";
import { AuthenticationError, InterruptedError } from "../../src/errors.ts";
import { type FakePlatform, fakePlatform } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

// Deno's fetch honours HTTP(S)_PROXY even for 127.0.0.1.
for (
  const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"]
) {
  Deno.env.delete(name);
}
Deno.env.set("NO_PROXY", "127.0.0.1,localhost");

const REQUEST = {
  title: "Acme <credentials>",
  label: "API key",
  hint: "Keys start with acme_",
  docs: "https://acme.test/keys",
};

interface Exchange {
  status: number;
  text: string;
}

async function get(url: string): Promise<Exchange> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

async function post(url: string, secret: string): Promise<Exchange> {
  const response = await fetch(url, { method: "POST", body: new URLSearchParams({ secret }) });
  return { status: response.status, text: await response.text() };
}

/** Raw request with a chosen Host header (fetch will not send a foreign one). */
async function rawGet(platform: FakePlatform, url: string, host: string): Promise<string> {
  const { port, pathname } = new URL(url);
  const bytes = await platform.loopbackRequest(
    Number(port),
    new TextEncoder().encode(
      `GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    ),
    5_000,
  );
  return new TextDecoder().decode(bytes);
}

function collect(platform: FakePlatform, signal?: AbortSignal) {
  const notes: string[] = [];
  const result = collectSecretInBrowser(platform, REQUEST, (text) => notes.push(text), signal);
  return { result, notes };
}

Deno.test("the browser form returns what the user submitted, then refuses and closes", async () => {
  const platform = fakePlatform();
  const seen: Record<string, Exchange> = {};
  let formUrl = "";
  platform.openBrowser = async (url) => {
    formUrl = url;
    seen.form = await get(url);
    seen.post = await post(url, "acme_s3cret value");
    seen.again = await post(url, "acme_other");
    seen.getAgain = await get(url);
    return true;
  };
  const { result, notes } = collect(platform);
  const secret = await result;
  assert.equal(secret.reveal(), "acme_s3cret value");
  assert.match(formUrl, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
  assert.deepEqual(notes, [`Opening your browser for secure input: ${formUrl}`]);
  assert.equal(seen.form.status, 200);
  assert.match(seen.form.text, /<input type="password" name="secret"/);
  assert.match(seen.form.text, /Acme &#60;credentials&#62;/, "title is HTML-escaped");
  assert.ok(!seen.form.text.includes("<credentials>"));
  assert.match(seen.form.text, /Keys start with acme_/);
  assert.match(seen.form.text, /href="https:\/\/acme\.test\/keys"/);
  assert.equal(seen.post.status, 200);
  assert.match(seen.post.text, /Saved/);
  assert.ok(!seen.post.text.includes("acme_s3cret"), "the secret is not echoed back");
  assert.equal(seen.again.status, 410);
  assert.equal(seen.getAgain.status, 410);
  // The server is gone once the secret was collected.
  await assert.rejects(fetch(formUrl));
});

Deno.test("the browser form answers 404 to a wrong path or a foreign Host header", async () => {
  const platform = fakePlatform();
  const seen: Record<string, Exchange | string> = {};
  platform.openBrowser = async (url) => {
    const { origin, pathname } = new URL(url);
    seen.root = await get(`${origin}/`);
    seen.otherToken = await post(`${origin}/${"0".repeat(32)}`, "acme_guess");
    seen.prefix = await get(`${url}/x`);
    seen.foreign = await rawGet(platform, url, "evil.test");
    seen.localhost = await rawGet(platform, url, `localhost:${new URL(url).port}`);
    seen.right = await rawGet(platform, url, `127.0.0.1:${new URL(url).port}`);
    seen.wrongPathPost = await post(`${origin}${pathname.toUpperCase()}X`, "acme_guess");
    seen.post = await post(url, "acme_real");
    return true;
  };
  const secret = await collect(platform).result;
  assert.equal(secret.reveal(), "acme_real");
  assert.equal((seen.root as Exchange).status, 404);
  assert.equal((seen.otherToken as Exchange).status, 404);
  assert.equal((seen.prefix as Exchange).status, 404);
  assert.equal((seen.wrongPathPost as Exchange).status, 404);
  assert.match(seen.foreign as string, /^HTTP\/1\.1 404/);
  assert.match(seen.localhost as string, /^HTTP\/1\.1 404/);
  assert.match(seen.right as string, /^HTTP\/1\.1 200/);
  assert.equal((seen.post as Exchange).status, 200);
});

Deno.test("an empty submission gets 400 and the form stays open", async () => {
  const platform = fakePlatform();
  const seen: Exchange[] = [];
  platform.openBrowser = async (url) => {
    seen.push(await post(url, ""));
    seen.push(await post(url, "   "));
    const response = await fetch(url, {
      method: "POST",
      body: new URLSearchParams({ other: "x" }),
    });
    seen.push({ status: response.status, text: await response.text() });
    const put = await fetch(url, { method: "PUT", body: "secret=x" });
    seen.push({ status: put.status, text: await put.text() });
    seen.push(await post(url, "acme_finally"));
    return true;
  };
  const secret = await collect(platform).result;
  assert.equal(secret.reveal(), "acme_finally");
  assert.deepEqual(seen.map((e) => e.status), [400, 400, 400, 405, 200]);
  assert.match(seen[0].text, /Nothing was entered/);
});

Deno.test("a browser that cannot be opened rejects, and the server is closed", async () => {
  const platform = fakePlatform();
  let formUrl = "";
  platform.openBrowser = (url) => {
    formUrl = url;
    return Promise.resolve(false);
  };
  await assert.rejects(collect(platform).result, (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.match(error.message, /could not open a browser/);
    return true;
  });
  assert.ok(formUrl);
  await assert.rejects(fetch(formUrl));
});

Deno.test("Ctrl-C while the form is open rejects with InterruptedError and closes it", async () => {
  const platform = fakePlatform();
  const controller = new AbortController();
  let formUrl = "";
  platform.openBrowser = (url) => {
    formUrl = url;
    return Promise.resolve(true);
  };
  const { result } = collect(platform, controller.signal);
  // Let the form open, then interrupt.
  while (!formUrl) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal((await get(formUrl)).status, 200);
  controller.abort();
  await assert.rejects(result, InterruptedError);
  await assert.rejects(fetch(formUrl));
});

Deno.test("browserFormWanted follows AUTHSOME_SECRET_INPUT, AUTHSOME_BROWSER, CI and the desktop", () => {
  const wanted = (env: Record<string, string>, tty: boolean, os = "linux") => {
    const platform = fakePlatform({ env, stdinIsTerminal: tty });
    platform.os = os;
    return browserFormWanted(platform);
  };
  // Explicit choices win over everything.
  assert.equal(wanted({ AUTHSOME_SECRET_INPUT: "browser", CI: "1" }, false), true);
  assert.equal(wanted({ AUTHSOME_SECRET_INPUT: "browser", AUTHSOME_BROWSER: "none" }, false), true);
  assert.equal(wanted({ AUTHSOME_SECRET_INPUT: "terminal", DISPLAY: ":0" }, true), false);
  assert.equal(wanted({ AUTHSOME_BROWSER: "none", DISPLAY: ":0" }, true), false);
  assert.equal(wanted({ CI: "true", DISPLAY: ":0" }, true), false);
  // Linux: a display and a terminal.
  assert.equal(wanted({ DISPLAY: ":0" }, true), true);
  assert.equal(wanted({ WAYLAND_DISPLAY: "wayland-0" }, true), true);
  assert.equal(wanted({ DISPLAY: ":0" }, false), false, "piped stdin");
  assert.equal(wanted({}, true), false, "no display (ssh session)");
  // macOS and Windows always have a desktop.
  assert.equal(wanted({}, true, "darwin"), true);
  assert.equal(wanted({}, true, "windows"), true);
  assert.equal(wanted({}, false, "darwin"), false);
  assert.equal(wanted({ CI: "1" }, true, "darwin"), false);
});
