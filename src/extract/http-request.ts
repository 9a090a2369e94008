/**
 * HTTP/1.x request-head extractor (RFC 9112 §2–§3, §5; RFC 9110 §7.2): method, request target and
 * the destination host (Host header, absolute-form URI or CONNECT authority). Receives the first
 * client bytes of a TCP flow (or the bytes after a previous request's head) and emits neutral
 * facts. It must never throw on input bytes, never read outside [off, off+len), and never scan
 * more than MAX_HTTP_HEAD_LENGTH bytes.
 */
import { A } from '../anomalies';
import { decodeWireText } from './tls-client-hello';
import { nameText } from './utf8';

/**
 * Largest request head (request line + header fields + empty line) we wait for. Real heads are
 * well under 8 KiB (cookies included); 16 KiB matches the flow stage's STREAM_HEAD_BYTES.
 */
export const MAX_HTTP_HEAD_LENGTH = 16384;
/** Longest method token we accept; registered methods are ≤ 17 chars (VERSION-CONTROL). */
export const MAX_HTTP_METHOD_LENGTH = 32;

/**
 * Outcome of one parse attempt: `request` with the facts, `need-more` (the empty line ending the
 * head has not arrived; call again with more bytes), `not-http` (stop looking on this flow), or
 * `malformed` with the numeric anomaly id to count.
 */
export type HttpHeadResult =
  | {
      kind: 'request';
      method: string;
      /** request-target as sent, non-printable bytes escaped as \DDD. */
      target: string;
      /** Destination host, lowercased, no port, no IPv6 brackets; null when the request names none. */
      host: string | null;
      /**
       * A second Host field that names another host (RFC 9112 §3.2 forbids it: the request
       * smuggling shape), in the same form; null when there is none. Flagged http.conflicting_host.
       */
      conflictingHost: string | null;
      /** Bytes from `off` through the empty line ending the head: the next pipelined request starts after the body. */
      headLength: number;
      /** "HTTP/1.1", "HTTP/1.0", whatever other HTTP/x.y was sent, or "HTTP/0.9" when the request line has no version. */
      version: string;
      /** Where `host` came from. */
      hostSource: 'uri' | 'connect' | 'host-header' | null;
      /** Recoverable problems as anomaly ids (e.g. `http.host_missing` for HTTP/1.1 without Host). */
      anomalies: number[];
      /**
       * Length of the body after the head (RFC 9112 §6.3): the Content-Length, 0 when the request
       * has neither Content-Length nor Transfer-Encoding, -1 when it cannot be known from the head
       * (chunked or another transfer coding, or a Content-Length that is invalid, conflicting or
       * over MAX_BODY_LENGTH).
       */
      bodyLength: number;
      /** The last transfer coding is `chunked` (RFC 9112 §6.1): the body's end is found by chunkedBodyLength. */
      chunked: boolean;
    }
  | { kind: 'need-more' }
  | { kind: 'not-http' }
  | { kind: 'malformed'; anomaly: number };

const NOT_HTTP: HttpHeadResult = Object.freeze({ kind: 'not-http' });
const NEED_MORE: HttpHeadResult = Object.freeze({ kind: 'need-more' });
const MALFORMED: HttpHeadResult = Object.freeze({ kind: 'malformed', anomaly: A['http.malformed_request'] });
const TOO_LARGE: HttpHeadResult = Object.freeze({ kind: 'malformed', anomaly: A['http.header_too_large'] });

/** CR and LF bytes skipped before a request line (two empty lines). */
const MAX_LEADING_LINE_ENDS = 4;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** Methods returned as shared constant strings (no allocation per request). */
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH'] as const;

/** Offset of the first byte at or after `off` that is not one of the first MAX_LEADING_LINE_ENDS CR or LF bytes (RFC 9112 §2.2). */
function skipLeadingLineEnds(buf: Uint8Array, off: number, end: number): number {
  let s = off;
  while (s < end && s - off < MAX_LEADING_LINE_ENDS && (buf[s] === CR || buf[s] === LF)) s++;
  return s;
}

/** Adds `id` to `list` unless it is there. */
function pushOnce(list: number[], id: number): void {
  if (!list.includes(id)) list.push(id);
}

/** tchar (RFC 9110 §5.6.2). */
function isTchar(b: number): boolean {
  if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return b === 0x21 || (b >= 0x23 && b <= 0x27) || b === 0x2a || b === 0x2b || b === 0x2d || b === 0x2e ||
    b === 0x5e || b === 0x5f || b === 0x60 || b === 0x7c || b === 0x7e;
}

/** Method bytes we accept when probing: upper-case letters, digits, '-' and '_' (e.g. M-SEARCH). */
function isMethodByte(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f;
}

/**
 * True when the bytes start with an HTTP/1.x method token followed by a space (RFC 9112 §3).
 * Judges the bytes it has: "GE" is still possible. Unregistered methods count if they are an
 * upper-case token (WebDAV, SSDP). Reads at most MAX_HTTP_METHOD_LENGTH + 1 bytes.
 */
export function probeHttpRequest(buf: Uint8Array, off: number, len: number): boolean {
  if (len < 1 || off < 0 || off + len > buf.length) return false;
  // RFC 9112 §2.2: empty lines before a request line are ignored (clients send a CRLF after a
  // POST body, RFC 2616 §4.1), as parseHttpRequestHead skips them.
  const s = skipLeadingLineEnds(buf, off, off + len);
  if (s === off + len) return len < MAX_LEADING_LINE_ENDS;
  len -= s - off;
  off = s;
  if (buf[off] < 0x41 || buf[off] > 0x5a) return false;
  const n = Math.min(len, MAX_HTTP_METHOD_LENGTH + 1);
  for (let i = 1; i < n; i++) {
    const b = buf[off + i];
    if (b === SP) return true;
    if (!isMethodByte(b)) return false;
  }
  return len <= MAX_HTTP_METHOD_LENGTH;
}

/**
 * True when the request line at buf[off] (after any leading line ends) ends, within the bytes
 * at hand, without naming an HTTP version: `EHLO host`, `A1 LOGIN …`, a word in a body. A line
 * the bytes cut before its end is given the benefit of the doubt (false). Reads at most
 * MAX_HTTP_HEAD_LENGTH bytes; never throws.
 */
export function requestLineLacksVersion(buf: Uint8Array, off: number, len: number): boolean {
  if (off < 0 || len < 0 || off + len > buf.length) return true;
  const start = skipLeadingLineEnds(buf, off, off + len);
  const end = Math.min(off + len, start + MAX_HTTP_HEAD_LENGTH);
  let eol = start;
  while (eol < end && buf[eol] !== LF) eol++;
  if (eol === end) return false;
  let last = eol;
  if (last > start && buf[last - 1] === CR) last--;
  // "… HTTP/" then a digit, a dot and a digit (RFC 9112 §2.3), in either case, at the line's end.
  const v = last - 8;
  if (v <= start || buf[v - 1] !== SP) return true;
  const h = (i: number): number => buf[v + i] | 0x20;
  return !(h(0) === 0x68 && h(1) === 0x74 && h(2) === 0x74 && h(3) === 0x70 && buf[v + 4] === 0x2f &&
    isDigit(buf[v + 5]) && buf[v + 6] === 0x2e && isDigit(buf[v + 7]));
}

/**
 * Finds the end of the head: the first empty line after the request line. Lines end in LF,
 * optionally preceded by CR (RFC 9112 §2.2). Returns the offset just after it, -1 when absent.
 */
function findHeadEnd(buf: Uint8Array, start: number, end: number): number {
  let lineStart = start;
  for (let i = start; i < end; i++) {
    if (buf[i] !== LF) continue;
    const lineLen = i - lineStart - (i > lineStart && buf[i - 1] === CR ? 1 : 0);
    if (lineLen === 0 && lineStart !== start) return i + 1;
    lineStart = i + 1;
  }
  return -1;
}

/**
 * Parses one request head starting at `off`. `host` is lowercased, without port, from the
 * absolute-form URI (which wins over Host, RFC 9112 §3.2.2), the CONNECT authority (§3.2.3) or
 * the Host header (RFC 9110 §7.2). `need-more` until the empty line; over MAX_HTTP_HEAD_LENGTH
 * → malformed `http.header_too_large`.
 */
export function parseHttpRequestHead(buf: Uint8Array, off: number, len: number): HttpHeadResult {
  if (off < 0 || len < 0 || off + len > buf.length) return NOT_HTTP;
  const end = off + len;
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) before the request-line.
  const start = skipLeadingLineEnds(buf, off, end);
  if (start === end) return len >= MAX_LEADING_LINE_ENDS ? NOT_HTTP : NEED_MORE;
  if (!probeHttpRequest(buf, start, end - start)) return NOT_HTTP;
  const scanEnd = Math.min(end, off + MAX_HTTP_HEAD_LENGTH);
  const headEnd = findHeadEnd(buf, start, scanEnd);
  if (headEnd < 0) return scanEnd < end || len >= MAX_HTTP_HEAD_LENGTH ? tooLarge(buf, off, start, scanEnd) : NEED_MORE;
  return parseHead(buf, off, start, headEnd, false);
}

/**
 * A head longer than MAX_HTTP_HEAD_LENGTH (a cookie jar, a header flood): the request is still
 * read from the lines that are whole within the bytes scanned, so a Host near the top still
 * names the flow (tshark reads any length), flagged http.header_too_large. Where the head and
 * the body end is unknown: bodyLength -1, headLength the lines read.
 */
function tooLarge(buf: Uint8Array, off: number, start: number, scanEnd: number): HttpHeadResult {
  return fromWholeLines(buf, off, start, scanEnd, A['http.header_too_large'], TOO_LARGE);
}

/**
 * The request read from the whole lines of a head that does not end within buf[start, end)
 * (flagged `anomaly`): where the head and the body end is unknown (bodyLength -1, headLength the
 * lines read). `otherwise` when not even the request line is whole.
 */
function fromWholeLines(buf: Uint8Array, off: number, start: number, end: number, anomaly: number, otherwise: HttpHeadResult): HttpHeadResult {
  let lastLf = end - 1;
  while (lastLf >= start && buf[lastLf] !== LF) lastLf--;
  if (lastLf < start) return otherwise;
  const r = parseHead(buf, off, start, lastLf + 1, true);
  if (r.kind !== 'request') return otherwise;
  r.anomalies.push(anomaly);
  r.bodyLength = -1;
  r.chunked = false;
  return r;
}

/**
 * parseHttpRequestHead for bytes that end where the capture cut the segment (its snapshot
 * length): a head that does not end within them is read from its whole lines, so a Host line
 * captured whole names the flow as tshark names it (flagged http.head_cut); a line cut short
 * gives nothing, never a part of a name.
 */
export function parseHttpRequestHeadCut(buf: Uint8Array, off: number, len: number): HttpHeadResult {
  const r = parseHttpRequestHead(buf, off, len);
  if (r.kind !== 'need-more') return r;
  return fromWholeLines(buf, off, skipLeadingLineEnds(buf, off, off + len), off + len, A['http.head_cut'], NEED_MORE);
}

function lineEndAt(buf: Uint8Array, i: number, end: number): number {
  while (i < end && buf[i] !== LF) i++;
  return i;
}

/**
 * Reads the head in buf[start, headEnd): through its empty line, or, when `cut`, through the
 * last whole line of a head too long to end within the bytes given.
 */
function parseHead(buf: Uint8Array, off: number, start: number, headEnd: number, cut: boolean): HttpHeadResult {
  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3). A recipient MAY
  // parse it on whitespace-delimited word boundaries (§3): runs of SP and HTAB between the
  // parts and before the line's end are taken, as tshark and Zeek take them. A line without a
  // version (HTTP/0.9's "GET /path") or with one other than 1.x is not HTTP/1.x, but tshark
  // and Zeek still read the header fields after it and so name its Host: it is read too,
  // flagged http.malformed_request.
  const lf = lineEndAt(buf, start, headEnd);
  const lineEnd = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
  const anomalies: number[] = [];
  let i = start;
  while (i < lineEnd && isTchar(buf[i])) i++;
  if (i === start || i >= lineEnd || buf[i] !== SP) return MALFORMED;
  const method = methodString(buf, start, i);
  while (i < lineEnd && (buf[i] === SP || buf[i] === HT)) i++;
  // The target is the first word; control bytes inside it (a NUL, DEL) are flagged, not fatal.
  const targetStart = i;
  while (i < lineEnd && buf[i] !== SP && buf[i] !== HT) {
    if (buf[i] < SP || buf[i] === 0x7f) pushOnce(anomalies, A['http.malformed_request']);
    i++;
  }
  const targetEnd = i;
  if (targetEnd === targetStart) return MALFORMED;
  while (i < lineEnd && (buf[i] === SP || buf[i] === HT)) i++;
  let versionEnd = lineEnd;
  while (versionEnd > i && (buf[versionEnd - 1] === SP || buf[versionEnd - 1] === HT)) versionEnd--;
  let version: string;
  let http11 = false; // HTTP/1.1 or a later 1.x: Host is required
  if (versionEnd === i) {
    version = 'HTTP/0.9';
    pushOnce(anomalies, A['http.malformed_request']);
  } else {
    // The version is the line's last word; words between it and the target are spaces sent
    // unescaped inside the target ("GET /a b HTTP/1.1"), flagged, as tshark still reads on.
    let vs = versionEnd;
    while (vs > i && buf[vs - 1] !== SP && buf[vs - 1] !== HT) vs--;
    if (vs > i) pushOnce(anomalies, A['http.malformed_request']);
    if (isOtherProtocolVersion(buf, vs, versionEnd)) return MALFORMED; // RTSP, SIP, ICAP: their Hosts are not HTTP's
    if (versionEnd - vs === 8 && buf[vs] === 0x48 && buf[vs + 1] === 0x54 && buf[vs + 2] === 0x54 && buf[vs + 3] === 0x50 &&
      buf[vs + 4] === 0x2f && isDigit(buf[vs + 5]) && buf[vs + 6] === 0x2e && isDigit(buf[vs + 7])) {
      // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3)
      const major = buf[vs + 5] - 0x30;
      const minor = buf[vs + 7] - 0x30;
      version = major === 1 && minor === 1 ? 'HTTP/1.1' : major === 1 && minor === 0 ? 'HTTP/1.0' : `HTTP/${major}.${minor}`;
      if (major !== 1) pushOnce(anomalies, A['http.malformed_request']);
      http11 = major === 1 && minor >= 1;
    } else {
      // "http/1.1", "HTTP/1", "HTTP/1.1x": not a version, but a method and a target came first,
      // and tshark reads the fields after such a line; kept as sent, flagged.
      version = decodeWireText(buf, vs, versionEnd - vs);
      pushOnce(anomalies, A['http.malformed_request']);
    }
  }

  // Header fields: find the first Host (RFC 9110 §7.2). field-name ":" OWS value OWS (RFC 9112 §5).
  let hostStart = -1;
  let hostEnd = -1;
  let otherStart = -1;
  let otherEnd = -1;
  let hostCount = 0;
  let contentLength = -2; // -2: no Content-Length; -1: unusable
  let unreadLine = false; // a line that is no field: it may have been meant as the Host
  let transferEncoding = false;
  let chunked = false;
  let p = lf + 1;
  while (p < headEnd) {
    const e = lineEndAt(buf, p, headEnd);
    const le = e > p && buf[e - 1] === CR ? e - 1 : e;
    if (le === p) break; // the empty line
    if (buf[p] === SP || buf[p] === HT) {
      p = e + 1; // obs-fold continuation (RFC 9112 §5.2): not a new field
      continue;
    }
    let c = p;
    while (c < le && isTchar(buf[c])) c++;
    // RFC 9112 §5.1: no whitespace between field name and colon; a name is at least one tchar.
    // A line that is no field ("User Agent: x", a line without a colon) is flagged and passed
    // over: the other fields still count, as tshark reads them.
    if (c === p || c >= le || buf[c] !== COLON) {
      pushOnce(anomalies, A['http.malformed_request']);
      unreadLine = true;
      p = e + 1;
      continue;
    }
    if (c - p === 4 && isHostName(buf, p)) {
      let vs = c + 1;
      let ve = le;
      while (vs < ve && (buf[vs] === SP || buf[vs] === HT)) vs++;
      while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HT || buf[ve - 1] === CR)) ve--; // CR CR LF line ends too
      hostCount++;
      if (hostCount === 1) {
        hostStart = vs;
        hostEnd = ve;
      } else if (otherStart < 0 && !sameBytesFolded(buf, hostStart, hostEnd, vs, ve)) {
        // RFC 9112 §3.2: more than one Host line is an error; differing ones are the smuggling
        // shape (a front end and a back end may each take another). Both are reported, as
        // tshark lists both, so a policy judges the request by every server it may reach.
        otherStart = vs;
        otherEnd = ve;
      }
    } else if (c - p === 14 && isFieldName(buf, p, CONTENT_LENGTH)) {
      const n = decimalValue(buf, c + 1, le);
      contentLength = contentLength === -2 || contentLength === n ? n : -1; // differing values: unusable (§6.3 item 5)
    } else if (c - p === 17 && isFieldName(buf, p, TRANSFER_ENCODING)) {
      transferEncoding = true;
      chunked = endsWithChunked(buf, c + 1, le);
    }
    p = e + 1;
  }

  let host: string | null = null;
  let hostSource: 'uri' | 'connect' | 'host-header' | null = null;
  const t = targetStart;
  if (method === 'CONNECT') {
    // authority-form (RFC 9112 §3.2.3): uri-host ":" port
    host = hostFromAuthority(buf, t, targetEnd, true);
    if (host === null) return MALFORMED;
    hostSource = 'connect';
  } else if (buf[t] !== 0x2f && buf[t] !== 0x2a && authorityStart(buf, t, targetEnd) >= 0) {
    // absolute-form (RFC 9112 §3.2.2): scheme "://" authority path-abempty [ "?" query ].
    // A target that is neither origin- nor absolute-form (e.g. ".servlets/x", seen from real
    // devices) is tolerated as servers do: the Host header then names the server.
    const auth = authorityStart(buf, t, targetEnd);
    let ae = auth;
    while (ae < targetEnd && buf[ae] !== 0x2f && buf[ae] !== 0x3f && buf[ae] !== 0x23) ae++;
    let hs = auth;
    for (let k = auth; k < ae; k++) if (buf[k] === 0x40) hs = k + 1; // drop userinfo "@"
    host = hostFromAuthority(buf, hs, ae);
    hostSource = host === null ? null : 'uri';
  }
  let conflictingHost: string | null = null;
  if (host !== null && hostStart >= 0) {
    // RFC 9112 §3.2.2: a proxy takes the target's authority and ignores the Host field; an origin
    // server behind a lax proxy may take the field. One naming another host is both names of
    // the request (tshark reports the field), flagged as two Host fields are.
    const field = hostFromAuthority(buf, hostStart, hostEnd);
    if (field !== null && field !== host) {
      conflictingHost = field;
      anomalies.push(A['http.conflicting_host']);
    }
  } else if (host === null && hostStart >= 0) {
    host = hostFromAuthority(buf, hostStart, hostEnd);
    if (host === null && hostEnd > hostStart) {
      // A Host field that is no uri-host [":" port] still names the request: servers route it
      // anyway (nginx takes `name:http` as `name`), and a flow left without it would be named
      // by a weaker DNS answer instead. Flagged.
      host = lenientHostField(buf, hostStart, hostEnd);
      pushOnce(anomalies, A['http.malformed_request']);
    }
    if (host !== null) hostSource = 'host-header';
    if (otherStart >= 0) {
      anomalies.push(A['http.conflicting_host']);
      conflictingHost = hostFromAuthority(buf, otherStart, otherEnd);
      if (conflictingHost === host) conflictingHost = null; // differing only in case or port
    }
  }
  // RFC 9112 §3.2: an HTTP/1.1 request MUST carry Host; HTTP/1.0 may omit it.
  if (hostCount === 0 && http11 && !cut && !unreadLine) anomalies.push(A['http.host_missing']);
  return {
    kind: 'request', method, target: decodeWireText(buf, targetStart, targetEnd - targetStart), host, conflictingHost,
    headLength: headEnd - off, version, hostSource, anomalies,
    // §6.3: Transfer-Encoding overrides Content-Length; the chunked body's end is in the body.
    bodyLength: transferEncoding ? -1 : contentLength === -2 ? 0 : contentLength,
    chunked: transferEncoding && chunked,
  };
}

/** The longest body skipped to find the next request (a firmware upload fits; a lying length does not hide a day of requests). */
export const MAX_BODY_LENGTH = 1 << 30;
const CONTENT_LENGTH = 'content-length';
const TRANSFER_ENCODING = 'transfer-encoding';

/** True when the field value buf[s, e)'s last transfer coding is "chunked" (any case, optional whitespace). */
function endsWithChunked(buf: Uint8Array, s: number, e: number): boolean {
  while (e > s && (buf[e - 1] === SP || buf[e - 1] === HT)) e--;
  const word = 'chunked';
  if (e - s < word.length) return false;
  const w = e - word.length;
  if (!isFieldName(buf, w, word)) return false;
  return w === s || buf[w - 1] === SP || buf[w - 1] === HT || buf[w - 1] === 0x2c;
}

/** Most chunks walked in one body (each is at least 5 bytes: "0\r\n\r\n"-like, so a segment holds far fewer). */
const MAX_CHUNKS = 1 << 16;
/** Longest chunk-size line (size, extensions) or trailer line read. */
const MAX_CHUNK_LINE = 4096;

/**
 * Length of a chunked body (RFC 9112 §7.1: chunks, last-chunk, trailer section, CRLF) that
 * starts at buf[off] and lies whole inside buf[off, off + len); -1 when it goes on past the
 * bytes given, -2 when it is malformed. Reads only inside the range; every step consumes bytes.
 */
export function chunkedBodyLength(buf: Uint8Array, off: number, len: number): number {
  return new ChunkedBodyWalker().feed(buf, off, len);
}

const enum Chunk { Size, Ext, Data, DataCr, DataLf, Trailer }

/**
 * A chunked body (RFC 9112 §7.1) read as its bytes come, in one piece (chunkedBodyLength) or as
 * the segments of an upload arrive, so the next request is found where the body ends and a
 * request line inside the body is never taken for one. Keeps a few numbers, never the bytes:
 * chunk data is stepped over by its size; a size line (after its digits) or trailer line may
 * run MAX_CHUNK_LINE bytes, the body MAX_BODY_LENGTH, and MAX_CHUNKS chunks come before the
 * last one. Never throws; reads only inside the range it is given.
 */
export class ChunkedBodyWalker {
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;
  /** Bytes of the current size-line extension or trailer line, its line end not counted. */
  private line = 0;
  /** The current trailer line began with CR. */
  private lineCr = false;
  private chunks = 0;
  /** Bytes fed before the current call. */
  private fed = 0;

  /**
   * Reads buf[off, off + len), the body's next bytes: the number of them that ended the body
   * (the next request starts right after), -1 when the body goes on past them, -2 when it is
   * malformed.
   */
  feed(buf: Uint8Array, off: number, len: number): number {
    if (off < 0 || len < 0 || off + len > buf.length) return -2;
    const end = off + len;
    let p = off;
    while (p < end) {
      const b = buf[p];
      switch (this.state) {
        case Chunk.Size: {
          const h = hexValue(b);
          if (h >= 0) {
            if (++this.digits > 8) return -2;
            this.size = this.size * 16 + h;
            p++;
            break;
          }
          if (this.digits === 0) return -2;
          this.state = Chunk.Ext;
          this.line = 0;
          break;
        }
        case Chunk.Ext:
          if (this.line === MAX_CHUNK_LINE) return -2;
          p++;
          if (b !== LF) { this.line++; break; }
          if (this.size === 0) { this.startLine(); break; }
          if (this.size > MAX_BODY_LENGTH || this.fed + (p - off) + this.size > MAX_BODY_LENGTH) return -2;
          this.state = Chunk.Data;
          break;
        case Chunk.Data: {
          const take = Math.min(this.size, end - p);
          p += take;
          this.size -= take;
          if (this.size === 0) this.state = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          p++;
          if (b === CR) { this.state = Chunk.DataLf; break; }
          if (b !== LF || !this.nextChunk()) return -2;
          break;
        case Chunk.DataLf:
          p++;
          if (b !== LF || !this.nextChunk()) return -2;
          break;
        case Chunk.Trailer:
          if (this.line === MAX_CHUNK_LINE) return -2;
          p++;
          if (b === LF) {
            if (this.line === 0 || (this.line === 1 && this.lineCr)) return p - off; // the empty line ends the body
            this.startLine();
            break;
          }
          if (this.line === 0) this.lineCr = b === CR;
          this.line++;
          break;
      }
    }
    this.fed += len;
    return -1;
  }

  /** The next trailer line (after the last chunk's size line, or another trailer field). */
  private startLine(): void {
    this.state = Chunk.Trailer;
    this.line = 0;
    this.lineCr = false;
  }

  /** After a chunk's data and its line end: false when MAX_CHUNKS chunks have come. */
  private nextChunk(): boolean {
    if (++this.chunks >= MAX_CHUNKS) return false;
    this.state = Chunk.Size;
    this.size = 0;
    this.digits = 0;
    return true;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** True when buf[p, p + name.length) is `name` (lower case) in any case. */
function isFieldName(buf: Uint8Array, p: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) if (lower(buf[p + k]) !== name.charCodeAt(k)) return false;
  return true;
}

/** A field value of 1*DIGIT with optional whitespace around it (RFC 9110 §8.6), at most MAX_BODY_LENGTH; else -1. */
function decimalValue(buf: Uint8Array, s: number, e: number): number {
  while (s < e && (buf[s] === SP || buf[s] === HT)) s++;
  while (e > s && (buf[e - 1] === SP || buf[e - 1] === HT)) e--;
  if (s === e) return -1;
  let n = 0;
  for (let k = s; k < e; k++) {
    if (!isDigit(buf[k])) return -1;
    n = n * 10 + (buf[k] - 0x30);
    if (n > MAX_BODY_LENGTH) return -1;
  }
  return n;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** "host" in any case. */
function isHostName(buf: Uint8Array, p: number): boolean {
  return (buf[p] | 0x20) === 0x68 && (buf[p + 1] | 0x20) === 0x6f && (buf[p + 2] | 0x20) === 0x73 && (buf[p + 3] | 0x20) === 0x74;
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

function sameBytesFolded(buf: Uint8Array, a: number, ae: number, b: number, be: number): boolean {
  if (ae - a !== be - b) return false;
  for (let k = 0; k < ae - a; k++) if (lower(buf[a + k]) !== lower(buf[b + k])) return false;
  return true;
}

function methodString(buf: Uint8Array, s: number, e: number): string {
  for (const m of KNOWN_METHODS) {
    if (m.length !== e - s) continue;
    let k = 0;
    while (k < m.length && m.charCodeAt(k) === buf[s + k]) k++;
    if (k === m.length) return m;
  }
  let out = '';
  for (let k = s; k < e; k++) out += String.fromCharCode(buf[k]); // tchar: printable ASCII
  return out;
}

/** True when buf[s, e) is the version of RTSP, SIP or ICAP ("RTSP/1.0"): requests of another protocol that look like HTTP's. */
function isOtherProtocolVersion(buf: Uint8Array, s: number, e: number): boolean {
  for (const p of OTHER_PROTOCOLS) {
    if (e - s <= p.length || buf[s + p.length] !== 0x2f) continue;
    let k = 0;
    while (k < p.length && buf[s + k] === p.charCodeAt(k)) k++;
    if (k === p.length) return true;
  }
  return false;
}
const OTHER_PROTOCOLS = ['RTSP', 'SIP', 'ICAP'] as const;

/** Offset after "scheme://" when the target starts with a URI scheme (RFC 3986 §3.1), else -1. */
function authorityStart(buf: Uint8Array, s: number, e: number): number {
  const b0 = buf[s] | 0x20;
  if (b0 < 0x61 || b0 > 0x7a) return -1;
  let k = s + 1;
  while (k < e) {
    const b = buf[k];
    const alpha = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
    if (alpha || isDigit(b) || b === 0x2b || b === 0x2d || b === 0x2e) k++;
    else break;
  }
  if (e - k < 3 || buf[k] !== COLON || buf[k + 1] !== 0x2f || buf[k + 2] !== 0x2f) return -1;
  return k + 3;
}

/**
 * The name a Host field `buf[s, e)` that hostFromAuthority rejects still gives: the host before
 * a port that is no number (`name:http`, `name:99999999` is a number and passes), else the
 * whole value as text (`user@name`, `name/x`): a name no rule's pattern matches, so the request
 * is judged by what it said rather than by a DNS answer for its address.
 */
function lenientHostField(buf: Uint8Array, s: number, e: number): string {
  if (buf[s] !== 0x5b) {
    let colon = -1;
    for (let k = s; k < e; k++) {
      if (buf[k] === COLON) {
        if (colon >= 0) { colon = -1; break; }
        colon = k;
      }
    }
    if (colon > s) {
      const h = hostFromAuthority(buf, s, colon);
      if (h !== null) return h;
    }
  }
  return nameText(buf, s, e, true, false);
}

/**
 * host of `host [":" port]` or `"[" IPv6 "]" [":" port]` (RFC 3986 §3.2.2), lowercased, no
 * brackets, no port; null when empty or not an authority ('/', '?', '#', '@' in the host, a
 * non-numeric port, or a missing port when `requirePort`, as CONNECT's authority-form needs).
 * A bare IPv6 address (several colons, no brackets) is kept whole. Non-printable bytes become
 * \DDD as in the TLS SNI.
 */
export function hostFromAuthority(buf: Uint8Array, s: number, e: number, requirePort = false): string | null {
  if (s >= e) return null;
  let hs = s;
  let he = e;
  let portAt = -1;
  if (buf[s] === 0x5b) {
    let k = s + 1;
    while (k < e && buf[k] !== 0x5d) k++;
    if (k >= e || k === s + 1) return null;
    hs = s + 1;
    he = k;
    if (k + 1 < e) {
      if (buf[k + 1] !== COLON) return null;
      portAt = k + 2;
    }
  } else {
    let colon = -1;
    let colons = 0;
    for (let k = s; k < e; k++) {
      const b = buf[k];
      if (b === 0x2f || b === 0x3f || b === 0x23 || b === 0x40) return null;
      if (b === COLON) {
        colon = k;
        colons++;
      }
    }
    if (colons === 1) {
      he = colon;
      portAt = colon + 1;
    }
  }
  if (portAt >= 0) {
    for (let k = portAt; k < e; k++) if (!isDigit(buf[k])) return null; // port = *DIGIT
  }
  if (requirePort && (portAt < 0 || portAt >= e)) return null;
  // A fully qualified "example.com." names the same host as "example.com" (RFC 1034 §3.1); names
  // are reported without the root's dot everywhere (SNI has none, RFC 6066 §3; DNS names neither).
  if (buf[hs] !== 0x5b && he - hs > 1 && buf[he - 1] === 0x2e && buf[he - 2] !== 0x2e) he--;
  return he > hs ? nameText(buf, hs, he, true, false) : null;
}

