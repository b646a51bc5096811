/**
 * Why the proxy could not reach a host, in words a user can act on: shown in the 502 body the
 * child receives and in the debug log.
 *
 * @module
 */

/** A short reason for a failed connection to `host:port` (DNS, refused, TLS verification). */
export function describeUpstreamFailure(error: unknown, host: string, port: number): string {
  const name = (error as Error)?.name ?? "";
  const message = (error as Error)?.message ?? String(error);
  if (/upstream proxy/.test(message)) return message;
  if (name === "ConnectionRefused" || /connection refused/i.test(message)) {
    return `connection refused by ${host}:${port}`;
  }
  if (
    /lookup address|name or service not known|nodename nor servname|no such host/i.test(message)
  ) {
    return `could not resolve host ${host}`;
  }
  if (name === "TimedOut" || /timed out/i.test(message)) {
    return `connection to ${host}:${port} timed out`;
  }
  if (name === "InvalidData" || /certificate|handshake|tls/i.test(message)) {
    return `TLS verification of ${host}:${port} failed (${message}); if a private or corporate ` +
      "CA signs it, point AUTHSOME_CA_FILE (or SSL_CERT_FILE) at that CA's PEM file";
  }
  return `could not connect to ${host}:${port}: ${message}`;
}
