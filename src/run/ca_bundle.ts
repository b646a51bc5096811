/**
 * The CA certificates around `run`'s proxy. The child must trust the local authsome CA (the
 * proxy's leaf certificates) and still trust everything its parent trusted, such as a
 * corporate CA named by `SSL_CERT_FILE` or `NODE_EXTRA_CA_CERTS`; the proxy itself trusts the
 * same extra CAs (plus `AUTHSOME_CA_FILE`) when it connects to the real hosts.
 *
 * @module
 */
import type { Platform } from "../platform/types.ts";

/** Where system CA certificates usually are; the first that exists is used. */
const SYSTEM_CA_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
  "/etc/ssl/ca-bundle.pem",
];

/**
 * Variables naming a CA file, in the parent's environment. `run` replaces each of them in the
 * child's environment by a bundle that still holds what the parent's file held.
 */
const CA_FILE_VARIABLES = [
  "AUTHSOME_CA_FILE",
  "SSL_CERT_FILE",
  "NODE_EXTRA_CA_CERTS",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  "GIT_SSL_CAINFO",
  "DENO_CERT",
];

/** The parent's extra CAs. */
export interface ParentCas {
  /** PEM text of every CA file the parent's variables name (each file once). */
  pems: string[];
  /** Files that were named but could not be read. */
  unreadable: string[];
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** Reads the CA files the parent's environment names. */
export async function readParentCas(platform: Platform): Promise<ParentCas> {
  const files = new Set<string>();
  for (const name of CA_FILE_VARIABLES) {
    const value = platform.env(name);
    if (value) files.add(value);
  }
  const result: ParentCas = { pems: [], unreadable: [] };
  for (const file of files) {
    const text = await platform.fs.readTextFile(file).catch(() => null);
    if (text && text.includes("-----BEGIN CERTIFICATE-----")) result.pems.push(withNewline(text));
    else result.unreadable.push(file);
  }
  return result;
}

/** The system's CA bundle, or "" when none of the usual files exists. */
export async function readSystemRoots(platform: Platform): Promise<string> {
  for (const file of SYSTEM_CA_FILES) {
    const text = await platform.fs.readTextFile(file).catch(() => null);
    if (text) return withNewline(text);
  }
  return "";
}
