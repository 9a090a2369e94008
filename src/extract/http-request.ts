/**
 * HTTP/1.x request-head parser: method, target, Host. STUB: contract only.
 */

export type HttpHeadResult =
  | { kind: 'request'; method: string; target: string; host: string | null; headLength: number }
  | { kind: 'need-more' }
  | { kind: 'not-http' }
  | { kind: 'malformed'; anomaly: number };

/** True when the bytes start with an HTTP/1.x method token followed by a space. */
export function probeHttpRequest(buf: Uint8Array, off: number, len: number): boolean {
  void buf; void off; void len;
  return false;
}

/** Parses one request head starting at `off`. `host` is lowercased, without port, from Host, absolute-URI or CONNECT target. */
export function parseHttpRequestHead(buf: Uint8Array, off: number, len: number): HttpHeadResult {
  void buf; void off; void len;
  return { kind: 'not-http' };
}
