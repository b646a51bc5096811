/**
 * X.509 certificates for the `run` proxy, built with Web Crypto only (ECDSA P-256, SHA-256):
 * a self-signed local CA, and short-lived leaf certificates it signs for the hosts the proxy
 * intercepts. Certificates are assembled with the DER encoder in `asn1.ts`.
 *
 * Nothing here touches the file system; the caller stores the CA's PEMs (the key in the vault)
 * and writes any bundle the child process needs.
 *
 * @module
 */

import {
  bitString,
  boolean,
  concatBytes,
  type DerElement,
  explicit,
  implicit,
  integer,
  namedBitString,
  octetString,
  oid,
  readChildren,
  readOid,
  readSingle,
  readTime,
  sequence,
  set,
  TAG,
  utf8String,
  x509Time,
} from "./asn1.ts";

const DAY_MS = 86_400_000;

/** How far `notBefore` is back-dated, so clients with a slightly slow clock accept the cert. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;

/** The longest leaf validity browsers and TLS libraries accept (CA/B Forum: 398 days). */
export const MAX_LEAF_VALIDITY_DAYS = 397;

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

const ECDSA_IMPORT = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SIGN = { name: "ECDSA", hash: "SHA-256" } as const;

/** A source of random bytes (defaults to `crypto.getRandomValues`). */
export type RandomBytes = (length: number) => Uint8Array;

const defaultRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** A CA able to sign leaves: its certificate, its key, and what leaves copy from it. */
export interface CertificateAuthority {
  certificatePem: string;
  /** PKCS#8 (`-----BEGIN PRIVATE KEY-----`). Secret: belongs in the vault. */
  privateKeyPkcs8Pem: string;
  certificateDer: Uint8Array;
  /** The encoded subject `Name`, copied verbatim into each leaf's issuer. */
  subjectDer: Uint8Array;
  /** Becomes each leaf's authorityKeyIdentifier. */
  subjectKeyIdentifier: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the certificate DER, upper-case hex with colons (as `openssl -fingerprint`). */
  fingerprintSha256: string;
  /** Non-extractable signing key. */
  privateKey: CryptoKey;
}

/** A leaf certificate for one host, and its key. */
export interface LeafCertificate {
  /** The normalised host the certificate names (lower case, IPv6 without brackets). */
  hostname: string;
  certificatePem: string;
  /** PKCS#8 (`-----BEGIN PRIVATE KEY-----`). */
  privateKeyPkcs8Pem: string;
  certificateDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

/** A leaf key pair in the forms certificate issuing needs; see {@linkcode generateLeafKey}. */
export interface LeafKey {
  privateKeyPkcs8Pem: string;
  /** DER SubjectPublicKeyInfo. */
  publicKeySpki: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// PEM

/** DER to PEM with 64-character base64 lines. */
export function derToPem(der: Uint8Array, label: string): string {
  let binary = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    binary += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const base64 = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The first PEM block with `label` in `pem`, decoded; throws when there is none. */
export function pemToDer(pem: string, label: string): Uint8Array {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = pem.match(
    new RegExp(`-----BEGIN ${escaped}-----([A-Za-z0-9+/=\\s]*?)-----END ${escaped}-----`),
  );
  if (!match) throw new X509Error(`no "${label}" PEM block found`);
  let binary: string;
  try {
    binary = atob(match[1].replace(/\s+/g, ""));
  } catch {
    throw new X509Error(`the "${label}" PEM block is not valid base64`);
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A certificate or key that cannot be used. */
export class X509Error extends Error {
  override name = "X509Error";
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Converts a Web Crypto ECDSA signature (IEEE P1363 `r || s`) to DER `Ecdsa-Sig-Value`. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new X509Error(`bad raw ECDSA signature length ${raw.length}`);
  }
  const half = raw.length / 2;
  return sequence(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

/** SHA-256 fingerprint of DER bytes, `AB:CD:...`. */
export async function fingerprintSha256(der: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  const [, publicKey] = readChildren(readSingle(spki));
  if (publicKey.tag !== TAG.BIT_STRING) throw new X509Error("malformed SubjectPublicKeyInfo");
  const bits = publicKey.content.subarray(1);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", bits as BufferSource));
}

function algorithmIdentifier(): Uint8Array {
  // RFC 5758 §3.2: ecdsa-with-SHA256 has no parameters (not even NULL).
  return sequence(oid(OID.ecdsaWithSha256));
}

function nameWithCommonName(commonName: string | null): Uint8Array {
  if (commonName === null) return sequence();
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  // DER omits a BOOLEAN equal to its DEFAULT (critical FALSE).
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

function serialNumber(randomBytes: RandomBytes): Uint8Array {
  const bytes = randomBytes(16).slice();
  if (bytes.length !== 16) throw new X509Error("randomBytes returned the wrong length");
  // Positive and exactly 16 bytes long: top bit clear, next bit set.
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return integer(bytes);
}

function checkDays(days: number, what: string): void {
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`${what} must be a positive number of days, got ${days}`);
  }
}

async function signCertificate(tbs: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const raw = new Uint8Array(await crypto.subtle.sign(ECDSA_SIGN, key, tbs as BufferSource));
  return sequence(tbs, algorithmIdentifier(), bitString(ecdsaRawToDer(raw)));
}

function floorToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

// ---------------------------------------------------------------------------------------------
// Host names

/** A host a leaf can be issued for. */
export type CertificateHost =
  | { kind: "dns"; name: string }
  | { kind: "ip"; name: string; bytes: Uint8Array };

/**
 * Normalises a host for a leaf certificate: lower case, one trailing dot and IPv6 brackets
 * removed. IPv4 and IPv6 literals become `ip` (an iPAddress SAN); anything else must be a
 * valid DNS name (labels of letters, digits, `-` and `_`, at most 63 characters, 253 in all).
 * Throws `X509Error` otherwise.
 */
export function parseCertificateHost(hostname: string): CertificateHost {
  let host = hostname.trim().toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const v4 = parseIpv4(host);
  if (v4) return { kind: "ip", name: v4.join("."), bytes: Uint8Array.from(v4) };
  if (host.includes(":")) {
    const v6 = parseIpv6(host);
    if (!v6) throw new X509Error(`not a valid IPv6 address: ${hostname}`);
    return { kind: "ip", name: formatIpv6(v6), bytes: v6 };
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  const labels = host.split(".");
  const labelOk = (label: string) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label);
  if (host.length === 0 || host.length > 253 || !labels.every(labelOk)) {
    throw new X509Error(`not a valid host name: ${JSON.stringify(hostname)}`);
  }
  return { kind: "dns", name: host };
}

function parseIpv4(text: string): number[] | null {
  const match = text.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!match) return null;
  const parts = match.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function parseIpv6(text: string): Uint8Array | null {
  if (text.includes("%")) return null; // zone ids have no place in a certificate
  let head = text;
  let tail = "";
  const doubleColon = text.indexOf("::");
  if (doubleColon !== -1) {
    if (text.indexOf("::", doubleColon + 1) !== -1) return null;
    head = text.slice(0, doubleColon);
    tail = text.slice(doubleColon + 2);
  }
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const first = groups(head);
  const last = groups(tail);
  if (!first || !last) return null;
  // An embedded IPv4 address may only end the address.
  if (doubleColon !== -1 && head.includes(".")) return null;
  let all: number[];
  if (doubleColon === -1) {
    if (first.length !== 8) return null;
    all = first;
  } else {
    const missing = 8 - first.length - last.length;
    if (missing < 1) return null;
    all = [...first, ...new Array(missing).fill(0), ...last];
  }
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** RFC 5952 text form. */
function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

// ---------------------------------------------------------------------------------------------
// The CA

/** Options for {@linkcode createCertificateAuthority}. */
export interface CreateCaOptions {
  /** Subject CN, at most 64 characters (e.g. `authsome local CA (host)`). */
  commonName: string;
  now: Date;
  validDays: number;
  randomBytes?: RandomBytes;
}

/**
 * Creates a self-signed CA: version 3, random positive 16-byte serial, basicConstraints
 * CA:TRUE pathlen 0 and keyUsage keyCertSign+cRLSign (both critical), SKI and AKI.
 */
export async function createCertificateAuthority(
  options: CreateCaOptions,
): Promise<CertificateAuthority> {
  const { commonName, now, validDays } = options;
  checkDays(validDays, "validDays");
  if (commonName.length === 0 || commonName.length > 64) {
    throw new RangeError("commonName must be 1 to 64 characters");
  }
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  const keys = await crypto.subtle.generateKey(ECDSA_IMPORT, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const ski = await keyIdentifier(spki);
  const name = nameWithCommonName(commonName);
  const notBefore = floorToSecond(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = floorToSecond(now.getTime() + validDays * DAY_MS);

  const tbs = sequence(
    explicit(0, integer(2)),
    serialNumber(randomBytes),
    algorithmIdentifier(),
    name,
    sequence(x509Time(notBefore), x509Time(notAfter)),
    name,
    spki,
    explicit(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence(boolean(true), integer(0))),
        extension(
          OID.keyUsage,
          true,
          namedBitString([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]),
        ),
        extension(OID.subjectKeyIdentifier, false, octetString(ski)),
        extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, ski))),
      ),
    ),
  );
  const certificateDer = await signCertificate(tbs, keys.privateKey);
  return await authority(certificateDer, pkcs8, {
    subjectDer: name,
    subjectKeyIdentifier: ski,
    notBefore,
    notAfter,
  });
}

/** A usable CA from its certificate, its PKCS#8 key and the fields leaves copy from it. */
async function authority(
  certificateDer: Uint8Array,
  pkcs8: Uint8Array,
  fields: Pick<
    CertificateAuthority,
    "subjectDer" | "subjectKeyIdentifier" | "notBefore" | "notAfter"
  >,
): Promise<CertificateAuthority> {
  // Non-extractable: once loaded, the signing key cannot be read back out of the process.
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    pkcs8 as BufferSource,
    ECDSA_IMPORT,
    false,
    ["sign"],
  );
  return {
    certificatePem: derToPem(certificateDer, "CERTIFICATE"),
    privateKeyPkcs8Pem: derToPem(pkcs8, "PRIVATE KEY"),
    certificateDer,
    ...fields,
    fingerprintSha256: await fingerprintSha256(certificateDer),
    privateKey,
  };
}

/** What {@linkcode loadCertificateAuthority} reads: the PEMs `createCertificateAuthority` made. */
export interface CertificateAuthorityPems {
  certificatePem: string;
  privateKeyPkcs8Pem: string;
}

/**
 * Loads a stored CA. Checks that the certificate is a P-256 CA certificate and that the private
 * key belongs to it; throws `X509Error` otherwise. Expiry is not checked: compare `notAfter`
 * with the clock and create a new CA when it is near.
 */
export async function loadCertificateAuthority(
  pems: CertificateAuthorityPems,
): Promise<CertificateAuthority> {
  const certificateDer = pemToDer(pems.certificatePem, "CERTIFICATE");
  const pkcs8 = pemToDer(pems.privateKeyPkcs8Pem, "PRIVATE KEY");
  let parsed: ParsedCertificate;
  try {
    parsed = parseCertificate(certificateDer);
  } catch (error) {
    if (error instanceof X509Error) throw error;
    throw new X509Error(`the CA certificate cannot be parsed: ${(error as Error).message}`);
  }
  if (!parsed.isCa) throw new X509Error("the certificate is not a CA certificate");
  if (parsed.publicPoint === null) {
    throw new X509Error("the CA key is not an ECDSA P-256 key");
  }

  let jwk: JsonWebKey;
  try {
    const extractable = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8 as BufferSource,
      ECDSA_IMPORT,
      true,
      ["sign"],
    );
    jwk = await crypto.subtle.exportKey("jwk", extractable);
  } catch {
    throw new X509Error("the CA private key is not a PKCS#8 ECDSA P-256 key");
  }
  const point = concatBytes(Uint8Array.of(4), base64UrlDecode(jwk.x!), base64UrlDecode(jwk.y!));
  if (!bytesEqual(point, parsed.publicPoint)) {
    throw new X509Error("the CA private key does not match the CA certificate");
  }
  return await authority(certificateDer, pkcs8, {
    subjectDer: parsed.subjectDer,
    subjectKeyIdentifier: parsed.subjectKeyIdentifier ?? await keyIdentifier(parsed.spkiDer),
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  });
}

function base64UrlDecode(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

interface ParsedCertificate {
  subjectDer: Uint8Array;
  spkiDer: Uint8Array;
  /** The uncompressed P-256 point, or null for any other key type. */
  publicPoint: Uint8Array | null;
  notBefore: Date;
  notAfter: Date;
  subjectKeyIdentifier: Uint8Array | null;
  isCa: boolean;
}

function parseCertificate(der: Uint8Array): ParsedCertificate {
  const [tbs] = readChildren(readSingle(der));
  const fields = readChildren(tbs);
  let index = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const take = (): DerElement => {
    const field = fields[index++];
    if (!field) throw new X509Error("truncated TBSCertificate");
    return field;
  };
  take(); // serialNumber
  take(); // signature
  take(); // issuer
  const validity = readChildren(take());
  const subject = take();
  const spki = take();
  let subjectKeyIdentifier: Uint8Array | null = null;
  let isCa = false;
  for (const field of fields.slice(index)) {
    if (field.tag !== 0xa3) continue;
    for (const ext of readChildren(readChildren(field)[0])) {
      const parts = readChildren(ext);
      const id = readOid(parts[0]);
      const value = parts[parts.length - 1].content;
      if (id === OID.subjectKeyIdentifier) {
        subjectKeyIdentifier = readSingle(value).content.slice();
      } else if (id === OID.basicConstraints) {
        const first = readChildren(readSingle(value))[0];
        isCa = first?.tag === TAG.BOOLEAN && first.content[0] !== 0;
      }
    }
  }
  const [algorithm, publicKey] = readChildren(spki);
  const [algorithmId, curve] = readChildren(algorithm);
  const isP256 = readOid(algorithmId) === OID.ecPublicKey && curve?.tag === TAG.OID &&
    readOid(curve) === OID.prime256v1;
  return {
    subjectDer: subject.raw.slice(),
    spkiDer: spki.raw.slice(),
    publicPoint: isP256 ? publicKey.content.slice(1) : null,
    notBefore: readTime(validity[0]),
    notAfter: readTime(validity[1]),
    subjectKeyIdentifier,
    isCa,
  };
}

// ---------------------------------------------------------------------------------------------
// Leaves

/** A fresh P-256 key pair for leaves; one may be shared by many leaves. */
export async function generateLeafKey(): Promise<LeafKey> {
  const keys = await crypto.subtle.generateKey(ECDSA_IMPORT, true, ["sign", "verify"]);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    privateKeyPkcs8Pem: derToPem(pkcs8, "PRIVATE KEY"),
    publicKeySpki: new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey)),
  };
}

/** Options for {@linkcode issueLeafCertificate}. */
export interface IssueLeafOptions {
  /** A DNS name or an IP literal (IPv6 with or without brackets). */
  hostname: string;
  now: Date;
  /** Capped at {@linkcode MAX_LEAF_VALIDITY_DAYS} and at the CA's own expiry. */
  validDays: number;
  /** Reuse this key instead of generating one (faster; see {@linkcode LeafCache}). */
  key?: LeafKey;
  randomBytes?: RandomBytes;
}

/**
 * Issues a TLS server certificate for one host, signed by `ca`: subjectAltName dNSName or
 * iPAddress, basicConstraints CA:FALSE and keyUsage digitalSignature (critical), extKeyUsage
 * serverAuth, SKI, and AKI = the CA's SKI. `notBefore` is back-dated by
 * {@linkcode CLOCK_SKEW_MS}. Throws `X509Error` for a bad host name or an expired CA.
 */
export async function issueLeafCertificate(
  ca: CertificateAuthority,
  options: IssueLeafOptions,
): Promise<LeafCertificate> {
  const { now, validDays } = options;
  checkDays(validDays, "validDays");
  const host = parseCertificateHost(options.hostname);
  const key = options.key ?? await generateLeafKey();
  const randomBytes = options.randomBytes ?? defaultRandomBytes;

  const notBefore = floorToSecond(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = floorToSecond(
    Math.min(
      now.getTime() + validDays * DAY_MS,
      notBefore.getTime() + MAX_LEAF_VALIDITY_DAYS * DAY_MS,
      ca.notAfter.getTime(),
    ),
  );
  if (notAfter.getTime() <= now.getTime()) {
    throw new X509Error(`the CA expired on ${ca.notAfter.toISOString()}`);
  }

  // The CN is informational (clients match the SAN); it is limited to 64 characters, so a
  // longer name gets an empty subject and a critical SAN (RFC 5280 §4.2.1.6).
  const commonName = host.name.length <= 64 ? host.name : null;
  const generalName = host.kind === "dns"
    ? implicit(2, new TextEncoder().encode(host.name))
    : implicit(7, host.bytes);

  const tbs = sequence(
    explicit(0, integer(2)),
    serialNumber(randomBytes),
    algorithmIdentifier(),
    ca.subjectDer,
    sequence(x509Time(notBefore), x509Time(notAfter)),
    nameWithCommonName(commonName),
    key.publicKeySpki,
    explicit(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, namedBitString([KEY_USAGE.digitalSignature])),
        extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
        extension(OID.subjectAltName, commonName === null, sequence(generalName)),
        extension(
          OID.subjectKeyIdentifier,
          false,
          octetString(await keyIdentifier(key.publicKeySpki)),
        ),
        extension(
          OID.authorityKeyIdentifier,
          false,
          sequence(implicit(0, ca.subjectKeyIdentifier)),
        ),
      ),
    ),
  );
  const certificateDer = await signCertificate(tbs, ca.privateKey);
  return {
    hostname: host.name,
    certificatePem: derToPem(certificateDer, "CERTIFICATE"),
    privateKeyPkcs8Pem: key.privateKeyPkcs8Pem,
    certificateDer,
    notBefore,
    notAfter,
  };
}

/** Options for {@linkcode LeafCache}. */
export interface LeafCacheOptions {
  /** Leaf validity; default 30 days. */
  validDays?: number;
  /** Re-issue a cached leaf once it has less than this left; default one day. */
  renewBeforeMs?: number;
  /** Most hosts kept (least recently used are dropped); default 512. */
  maxEntries?: number;
  /** The clock; default `() => new Date()`. */
  now?: () => Date;
}

interface CacheEntry {
  promise: Promise<LeafCertificate>;
  /** Set once issued. */
  notAfter: number | null;
}

/**
 * Leaves by host name, issued on first use. All leaves share one key pair generated on first
 * use, so a new host costs one signature. Concurrent requests for the same host share one
 * issuance; a failed issuance is not cached.
 */
export class LeafCache {
  readonly #ca: CertificateAuthority;
  readonly #validDays: number;
  readonly #renewBeforeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => Date;
  readonly #entries = new Map<string, CacheEntry>();
  #key: Promise<LeafKey> | null = null;

  constructor(ca: CertificateAuthority, options: LeafCacheOptions = {}) {
    this.#ca = ca;
    this.#validDays = options.validDays ?? 30;
    this.#renewBeforeMs = options.renewBeforeMs ?? DAY_MS;
    this.#maxEntries = options.maxEntries ?? 512;
    this.#now = options.now ?? (() => new Date());
    checkDays(this.#validDays, "validDays");
  }

  /** Hosts currently cached. */
  get size(): number {
    return this.#entries.size;
  }

  /** The leaf for `hostname` (normalised as in {@linkcode parseCertificateHost}). */
  get(hostname: string): Promise<LeafCertificate> {
    let name: string;
    try {
      name = parseCertificateHost(hostname).name;
    } catch (error) {
      return Promise.reject(error);
    }
    const now = this.#now();
    const existing = this.#entries.get(name);
    if (existing) {
      this.#entries.delete(name);
      const fresh = existing.notAfter === null ||
        existing.notAfter - now.getTime() > this.#renewBeforeMs;
      if (fresh) {
        this.#entries.set(name, existing);
        return existing.promise;
      }
    }
    const entry: CacheEntry = { promise: this.#issue(name, now), notAfter: null };
    entry.promise.then(
      (leaf) => {
        entry.notAfter = leaf.notAfter.getTime();
      },
      () => {
        if (this.#entries.get(name) === entry) this.#entries.delete(name);
      },
    );
    this.#entries.set(name, entry);
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return entry.promise;
  }

  /** Drops every cached leaf (the shared key is kept). */
  clear(): void {
    this.#entries.clear();
  }

  async #issue(hostname: string, now: Date): Promise<LeafCertificate> {
    if (this.#key === null) {
      const key = generateLeafKey();
      this.#key = key;
      key.catch(() => {
        if (this.#key === key) this.#key = null;
      });
    }
    return issueLeafCertificate(this.#ca, {
      hostname,
      now,
      validDays: this.#validDays,
      key: await this.#key,
    });
  }
}
