/**
 * The value `authsome run` (proxy mode) puts in a child's credential variables so SDKs start;
 * the proxy adds the real credential to the requests. It is never a real credential, so
 * `login` refuses it (someone ran `authsome login` inside `authsome run`).
 *
 * @module
 */

/** The placeholder SDKs see instead of the credential. */
export const RUN_PLACEHOLDER = "authsome-proxy-managed";
