/**
 * Where TLS begins in a TCP client stream that did not open with it. Many protocols speak in
 * the clear first and then switch the same connection to TLS, and the ClientHello — with the
 * name the flow should carry — comes after that plaintext preamble:
 *
 * - the STARTTLS family: SMTP and LMTP (RFC 3207), IMAP (RFC 9051 §6.2.1), POP3 `STLS`
 *   (RFC 2595 §4), FTP `AUTH TLS` (RFC 4217 §4), NNTP (RFC 4642), ManageSieve (RFC 5804 §2.2),
 *   XMPP `<starttls/>` (RFC 6120 §5.4), LDAP's StartTLS extended operation (RFC 4511 §4.14);
 * - PostgreSQL's SSLRequest and MySQL's SSL request packet;
 * - SOCKS 4, 4a and 5 (RFC 1928, RFC 1929): a CONNECT through the proxy, then the tunnel.
 *   (HTTP CONNECT is found by the HTTP request parser; the pipeline then uses the same path.)
 * - RDP's X.224 Connection Request asking for TLS or CredSSP (MS-RDPBCGR §1.3.1.1).
 *
 * This module reports facts: which protocol the client's first bytes are, and the offset in the
 * client stream after the client's upgrade request — where its TLS starts if the server agreed.
 * Whether a ClientHello really follows is for the TLS parser to say (a refused STARTTLS is
 * followed by more plaintext, which it rejects). Only client bytes are read: the pipeline does
 * not keep the server's.
 *
 * Must never throw on stream bytes, read outside [off, off + len), or look further than
 * MAX_PREAMBLE_BYTES: a client that does not upgrade within that is `plain`.
 */
import { startsWithAscii, u32be } from '../decode/bytes';
import { decodeWireText } from './tls-client-hello';

/** The most plaintext we read before the upgrade (real preambles are tens of bytes: EHLO, CAPA, a SOCKS request). */
export const MAX_PREAMBLE_BYTES = 4096;
/** Text lines before the upgrade command: EHLO, CAPABILITY, FEAT, ... then STARTTLS. */
const MAX_PREAMBLE_LINES = 16;
/** BER messages before LDAP's StartTLS (it is normally the first operation). */
const MAX_LDAP_MESSAGES = 8;

export const enum Upgrade {
  /** Not a protocol this module knows. */
  None = 0,
  /** More client bytes are needed to say (`app` is set when the protocol is already known). */
  NeedMore = 1,
  /** The client asked to upgrade: its TLS starts `at` bytes into the stream. */
  TlsAt = 2,
  /** A known protocol that did not ask to upgrade within the bound. */
  Plain = 3,
}

export interface TlsUpgrade {
  readonly kind: Upgrade;
  /**
   * `smtp`, `lmtp`, `imap`, `pop3`, `ftp`, `nntp`, `sieve`, `xmpp`, `ldap`, `postgresql`, `mysql`,
   * `socks`, `rdp`; null when unknown (also for a TlsAt after a bare STARTTLS on another port).
   */
  readonly app: string | null;
  /** Stream offset (from `off`) where TLS starts; -1 unless `kind` is TlsAt. */
  readonly at: number;
  /**
   * The destination host name a SOCKS 4a or 5 CONNECT asked the proxy for (lowercased, odd
   * bytes escaped as \DDD like an SNI); absent otherwise (an address, or another protocol).
   */
  readonly host?: string;
}

const NONE: TlsUpgrade = Object.freeze({ kind: Upgrade.None, app: null, at: -1 });
const MAYBE: TlsUpgrade = Object.freeze({ kind: Upgrade.NeedMore, app: null, at: -1 });
const needMore = (app: string): TlsUpgrade => ({ kind: Upgrade.NeedMore, app, at: -1 });
const plain = (app: string): TlsUpgrade => ({ kind: Upgrade.Plain, app, at: -1 });
const tlsAt = (app: string | null, at: number): TlsUpgrade => ({ kind: Upgrade.TlsAt, app, at });

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;

/**
 * Reads the first `len` bytes of a client stream at buf[off] and says whether, and where, it
 * switches to TLS. `serverPort` only settles commands two protocols share (`USER`, `AUTH`, a
 * bare `STARTTLS`). A result of NeedMore with `app` null means "could still be one of them".
 */
export function findTlsUpgrade(buf: Uint8Array, off: number, len: number, serverPort: number): TlsUpgrade {
  if (len <= 0 || off < 0 || off + len > buf.length) return NONE;
  const b0 = buf[off];
  if (b0 === 0x30) return ldapUpgrade(buf, off, len);
  if (b0 === 0x00) return postgresUpgrade(buf, off, len);
  if (b0 === 0x20) return mysqlUpgrade(buf, off, len);
  if (b0 === 0x05) return socks5Upgrade(buf, off, len);
  if (b0 === 0x04) return socks4Upgrade(buf, off, len);
  if (b0 === 0x03) return rdpUpgrade(buf, off, len);
  if (b0 === 0x3c || isXmlSpace(b0)) return xmppUpgrade(buf, off, len);
  // Commands start with a letter; IMAP tags with any printable character (OpenSSL's is ".").
  if (b0 > SP && b0 < 0x7f) return textUpgrade(buf, off, len, serverPort);
  return NONE;
}

// ------------------------------------------------------------------------- line protocols

/** Commands that can open a client's side of a STARTTLS-capable line protocol, by protocol. */
const FIRST_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['EHLO', 'smtp'], ['HELO', 'smtp'], ['LHLO', 'lmtp'],
  ['CAPA', 'pop3'], ['STLS', 'pop3'], ['APOP', 'pop3'],
  ['FEAT', 'ftp'], ['SYST', 'ftp'],
  ['CAPABILITIES', 'nntp'], ['MODE', 'nntp'],
  // Shared by several protocols: settled by the port (below).
  ['STARTTLS', ''], ['USER', ''], ['AUTH', ''],
]);
/** IMAP commands a client sends before STARTTLS (RFC 9051 §6.1, §6.2; RFC 2971 ID). */
const IMAP_FIRST_COMMANDS: ReadonlySet<string> = new Set(['CAPABILITY', 'STARTTLS', 'NOOP', 'ID', 'LOGIN', 'AUTHENTICATE', 'LOGOUT', 'ENABLE']);
/** The longest first or second word we read (IMAP tags are client-chosen; real ones are under 10 characters). */
const MAX_WORD = 32;

/** The protocol of a first line whose first word is `w` (upper case) and second word `w2`. */
function lineProtocol(w: string, w2: string, serverPort: number): string | null {
  const known = FIRST_COMMANDS.get(w);
  if (known === undefined) {
    // IMAP: every command is "tag SP command" (RFC 9051 §2.2.1).
    return IMAP_FIRST_COMMANDS.has(w2) && isImapTag(w) ? 'imap' : null;
  }
  if (known === 'nntp' && w === 'MODE' && w2 !== 'READER') return null;
  if (known !== '') return known;
  // A bare STARTTLS is how SMTP (without EHLO), NNTP, ManageSieve and IRCv3 clients may begin:
  // the port says which; elsewhere the protocol is unknown ('') but the upgrade is still one.
  if (w === 'STARTTLS') return STARTTLS_PORTS.get(serverPort) ?? '';
  if (w === 'AUTH' && /^(TLS|SSL)(-[CP])?$/.test(w2)) return 'ftp'; // RFC 4217 §4; POP3's AUTH names a SASL mechanism
  // USER and AUTH <mechanism> open FTP and POP3 sessions, and IRC's USER too: only their ports tell.
  return serverPort === 110 ? 'pop3' : serverPort === 21 ? 'ftp' : null;
}

/** Ports where a session may open with a bare STARTTLS, and their protocols. */
const STARTTLS_PORTS: ReadonlyMap<number, string> = new Map([
  [25, 'smtp'], [587, 'smtp'], [2525, 'smtp'], [24, 'lmtp'], [119, 'nntp'], [433, 'nntp'], [4190, 'sieve'],
]);

/** True when a line's words (upper case, see lineWords) ask a server of `app` to start TLS. */
function isUpgradeLine(app: string, words: string[]): boolean {
  switch (app) {
    case 'pop3': return words.length === 1 && words[0] === 'STLS';
    case 'ftp': return words.length === 2 && words[0] === 'AUTH' && /^(TLS|SSL)(-[CP])?$/.test(words[1]);
    case 'imap': return words.length === 2 && words[1] === 'STARTTLS';
    default: return words.length === 1 && words[0] === 'STARTTLS'; // smtp, lmtp, nntp, sieve
  }
}

function textUpgrade(buf: Uint8Array, off: number, len: number, serverPort: number): TlsUpgrade {
  const end = off + Math.min(len, MAX_PREAMBLE_BYTES);
  const app = firstLineProtocol(buf, off, end, serverPort);
  if (app === undefined) return len >= MAX_PREAMBLE_BYTES ? NONE : MAYBE;
  if (app === null) return NONE;
  // '' (a bare STARTTLS on a port of no known protocol): an upgrade, but no app to report.
  const plainOf = (): TlsUpgrade => (app === '' ? NONE : plain(app));
  let lineStart = off;
  for (let lines = 0; lines < MAX_PREAMBLE_LINES; lines++) {
    let i = lineStart;
    while (i < end && buf[i] !== LF) {
      if (!isTextByte(buf[i])) return plainOf();
      i++;
    }
    // An incomplete line: wait for it, up to the bound.
    if (i >= end) return len >= MAX_PREAMBLE_BYTES ? plainOf() : app === '' ? MAYBE : needMore(app);
    if (isUpgradeLine(app, lineWords(buf, lineStart, i))) return tlsAt(app === '' ? null : app, i + 1 - off);
    lineStart = i + 1;
  }
  return plainOf();
}

/**
 * The protocol the first line's first words show: null when none of ours, undefined while the
 * words are still incomplete and could become one. Reads at most two short words, so an HTTP
 * request or any other text costs a few byte reads here.
 */
function firstLineProtocol(buf: Uint8Array, off: number, end: number, serverPort: number): string | null | undefined {
  const w1End = wordEnd(buf, off, end);
  if (w1End < 0) return null;
  if (w1End === end) {
    const partial = latin1Upper(buf, off, end);
    for (const w of FIRST_COMMANDS.keys()) if (w.startsWith(partial)) return undefined;
    return isImapTag(partial) ? undefined : null;
  }
  const w1 = latin1Upper(buf, off, w1End);
  const known = FIRST_COMMANDS.get(w1);
  const needsSecond = known === undefined || known === '';
  if (known !== undefined && !needsSecond && w1 !== 'MODE') return known;
  if (buf[w1End] !== SP) return known === undefined ? null : lineProtocol(w1, '', serverPort);
  const w2Start = w1End + 1;
  const w2End = wordEnd(buf, w2Start, end);
  if (w2End < 0) return known === undefined ? null : lineProtocol(w1, '', serverPort);
  if (w2End === end) {
    if (known !== undefined) return undefined;
    const partial = latin1Upper(buf, w2Start, end);
    for (const c of IMAP_FIRST_COMMANDS) if (c.startsWith(partial)) return isImapTag(w1) ? undefined : null;
    return null;
  }
  return lineProtocol(w1, latin1Upper(buf, w2Start, w2End), serverPort);
}

/** End of the word at buf[p] (at SP, CR or LF, or `end` when cut short); -1 when longer than MAX_WORD or not printable. */
function wordEnd(buf: Uint8Array, p: number, end: number): number {
  const limit = p + MAX_WORD;
  let i = p;
  while (i < end && buf[i] !== SP && buf[i] !== CR && buf[i] !== LF) {
    if (i >= limit || buf[i] < 0x21 || buf[i] >= 0x7f) return -1;
    i++;
  }
  return i;
}

/** Upper-cased, space-separated words of the line buf[start, lfAt) without its CR (at most three: commands are short). */
function lineWords(buf: Uint8Array, start: number, lfAt: number): string[] {
  let e = lfAt;
  if (e > start && buf[e - 1] === CR) e--;
  const words: string[] = [];
  let i = start;
  while (i < e && words.length < 3) {
    while (i < e && (buf[i] === SP || buf[i] === 0x09)) i++;
    const ws = i;
    while (i < e && buf[i] !== SP && buf[i] !== 0x09) i++;
    if (i > ws) words.push(i - ws > 64 ? '' : latin1Upper(buf, ws, i));
  }
  return words;
}

/** An IMAP tag: 1+ ASTRING-CHARs except '+' (RFC 9051 §9). */
function isImapTag(w: string): boolean {
  if (w.length === 0 || w.length > MAX_WORD) return false;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c <= SP || c >= 0x7f || c === 0x2b || c === 0x28 || c === 0x29 || c === 0x7b || c === 0x25 || c === 0x2a || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

function latin1Upper(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = buf[i];
    s += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  return s;
}

/** Printable ASCII, tab, CR, or a UTF-8 byte (EHLO may carry an IDN): no control characters. */
function isTextByte(b: number): boolean {
  return b >= SP ? b !== 0x7f : b === 0x09 || b === CR;
}

// ------------------------------------------------------------------------- XMPP

const XML_DECL = '<?xml';
const STREAM_OPEN = '<stream:stream';
const STARTTLS_OPEN = '<starttls';
const STARTTLS_CLOSE = '</starttls>';

function isXmlSpace(b: number): boolean {
  return b === SP || b === 0x09 || b === CR || b === LF;
}

/** XMPP (RFC 6120 §5.4.2.1): the stream header, then `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`. */
function xmppUpgrade(buf: Uint8Array, off: number, len: number): TlsUpgrade {
  const end = off + Math.min(len, MAX_PREAMBLE_BYTES);
  let p = off;
  while (p < end && isXmlSpace(buf[p])) p++;
  if (p - off > 64) return NONE;
  const avail = end - p;
  const isDecl = startsWithAscii(buf, p, end - p, XML_DECL);
  const isStream = startsWithAscii(buf, p, end - p, STREAM_OPEN);
  if (!isDecl && !isStream) {
    // Too short to tell yet?
    const k = Math.min(avail, STREAM_OPEN.length);
    return k < STREAM_OPEN.length && (prefixOf(buf, p, k, XML_DECL) || prefixOf(buf, p, k, STREAM_OPEN)) ? MAYBE : NONE;
  }
  // A declaration must be followed by the stream header: otherwise this is some other XML.
  if (isDecl) {
    const s = indexOfText(buf, p, end, STREAM_OPEN);
    if (s < 0) return len >= MAX_PREAMBLE_BYTES ? NONE : MAYBE;
  }
  const st = indexOfText(buf, p, end, STARTTLS_OPEN);
  if (st < 0) return len >= MAX_PREAMBLE_BYTES ? plain('xmpp') : needMore('xmpp');
  const afterName = st + STARTTLS_OPEN.length;
  if (afterName < end && !(isXmlSpace(buf[afterName]) || buf[afterName] === 0x2f || buf[afterName] === 0x3e)) return plain('xmpp');
  const gt = indexOfByte(buf, afterName, end, 0x3e);
  if (gt < 0) return len >= MAX_PREAMBLE_BYTES ? plain('xmpp') : needMore('xmpp');
  if (buf[gt - 1] === 0x2f) return tlsAt('xmpp', gt + 1 - off); // <starttls .../>
  const close = indexOfText(buf, gt + 1, end, STARTTLS_CLOSE);
  if (close < 0) return len >= MAX_PREAMBLE_BYTES ? plain('xmpp') : needMore('xmpp');
  return tlsAt('xmpp', close + STARTTLS_CLOSE.length - off);
}

function prefixOf(buf: Uint8Array, p: number, k: number, text: string): boolean {
  for (let i = 0; i < k; i++) if (buf[p + i] !== text.charCodeAt(i)) return false;
  return true;
}

function indexOfText(buf: Uint8Array, from: number, end: number, text: string): number {
  const c0 = text.charCodeAt(0);
  for (let i = from; i + text.length <= end; i++) {
    if (buf[i] === c0 && startsWithAscii(buf, i, end - i, text)) return i;
  }
  return -1;
}

function indexOfByte(buf: Uint8Array, from: number, end: number, b: number): number {
  for (let i = from; i < end; i++) if (buf[i] === b) return i;
  return -1;
}

// ------------------------------------------------------------------------- LDAP

/** RFC 4511 §4.14.1: the StartTLS extended request's requestName. */
const LDAP_STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
const BER_SEQUENCE = 0x30;
const BER_INTEGER = 0x02;
/** [APPLICATION 23] ExtendedRequest (constructed). */
const LDAP_EXTENDED_REQUEST = 0x77;
/** requestName [0] LDAPOID (primitive, context-specific). */
const LDAP_REQUEST_NAME = 0x80;

/** A BER length at buf[p]: [length, offset after it]; -1 length when cut short, -2 when invalid. */
function berLength(buf: Uint8Array, p: number, end: number): [number, number] {
  if (p >= end) return [-1, p];
  const b = buf[p];
  if (b < 0x80) return [b, p + 1];
  const k = b & 0x7f;
  if (k === 0 || k > 3) return [-2, p]; // indefinite lengths are not allowed in LDAP (RFC 4511 §5.1); 16 MB is plenty
  if (p + 1 + k > end) return [-1, p];
  let n = 0;
  for (let i = 1; i <= k; i++) n = n * 256 + buf[p + i];
  return [n, p + 1 + k];
}

/** LDAPMessage (RFC 4511 §4.1.1): SEQUENCE { messageID INTEGER, protocolOp [APPLICATION n], ... }. */
function ldapUpgrade(buf: Uint8Array, off: number, len: number): TlsUpgrade {
  const end = off + len;
  let p = off;
  for (let m = 0; m < MAX_LDAP_MESSAGES; m++) {
    const app = m === 0 ? null : 'ldap';
    if (p >= end) return app === null ? MAYBE : needMore(app);
    if (buf[p] !== BER_SEQUENCE) return app === null ? NONE : plain(app);
    const [msgLen, body] = berLength(buf, p + 1, end);
    if (msgLen === -2) return app === null ? NONE : plain(app);
    if (msgLen === -1) return app === null ? MAYBE : needMore(app);
    const msgEnd = body + msgLen;
    if (msgEnd - off > MAX_PREAMBLE_BYTES) return app === null ? NONE : plain(app);
    // messageID: INTEGER of 1..4 bytes (0 .. 2^31 - 1).
    if (body + 2 > end) return app === null ? MAYBE : needMore(app);
    if (buf[body] !== BER_INTEGER || buf[body + 1] < 1 || buf[body + 1] > 4) return app === null ? NONE : plain(app);
    const op = body + 2 + buf[body + 1];
    if (op >= end) return app === null ? MAYBE : needMore(app);
    // protocolOp: an APPLICATION-class tag (0x40–0x7f) inside the message.
    if ((buf[op] & 0xc0) !== 0x40 || op >= msgEnd) return app === null ? NONE : plain(app);
    if (msgEnd > end) return needMore('ldap');
    if (buf[op] === LDAP_EXTENDED_REQUEST && isStartTlsRequest(buf, op + 1, msgEnd)) return tlsAt('ldap', msgEnd - off);
    p = msgEnd;
  }
  return plain('ldap');
}

function isStartTlsRequest(buf: Uint8Array, p: number, msgEnd: number): boolean {
  const [opLen, opBody] = berLength(buf, p, msgEnd);
  if (opLen < 0 || opBody + opLen > msgEnd || opBody >= msgEnd || buf[opBody] !== LDAP_REQUEST_NAME) return false;
  const [nameLen, name] = berLength(buf, opBody + 1, msgEnd);
  if (nameLen !== LDAP_STARTTLS_OID.length || name + nameLen > msgEnd) return false;
  return startsWithAscii(buf, name, nameLen, LDAP_STARTTLS_OID);
}

// ------------------------------------------------------------------------- PostgreSQL, MySQL

/** PostgreSQL frontend request codes (protocol §55.2.10, §55.7): SSLRequest, GSSENCRequest, CancelRequest; v3 StartupMessage. */
const PG_SSL_REQUEST = 80877103;
const PG_GSSENC_REQUEST = 80877104;
const PG_CANCEL_REQUEST = 80877102;
const PG_PROTOCOL_3 = 0x00030000;

/** PostgreSQL: an 8-byte SSLRequest, then (after the server's 'S') the ClientHello. */
function postgresUpgrade(buf: Uint8Array, off: number, len: number): TlsUpgrade {
  if (len < 8) {
    // Lengths of the requests we know are small: the first two bytes are 0 either way.
    return len < 2 || buf[off + 1] === 0 ? MAYBE : NONE;
  }
  const n = u32be(buf, off);
  const code = u32be(buf, off + 4);
  if (n === 8 && code === PG_SSL_REQUEST) return tlsAt('postgresql', 8);
  if (n === 8 && code === PG_GSSENC_REQUEST) {
    // libpq's gssencmode=prefer asks for GSSAPI encryption first; refused ('N'), it sends an
    // SSLRequest on the same connection. Anything else after it is GSSAPI or a startup.
    if (len < 16) return needMore('postgresql');
    return u32be(buf, off + 8) === 8 && u32be(buf, off + 12) === PG_SSL_REQUEST ? tlsAt('postgresql', 16) : plain('postgresql');
  }
  if (n === 16 && code === PG_CANCEL_REQUEST) return plain('postgresql');
  if (code === PG_PROTOCOL_3 && n > 8 && n <= 10000) return plain('postgresql'); // StartupMessage, no TLS
  return NONE;
}

/** MySQL client capability flags (CLIENT_PROTOCOL_41, CLIENT_SSL). */
const MYSQL_CLIENT_PROTOCOL_41 = 0x200;
const MYSQL_CLIENT_SSL = 0x800;
/** SSLRequest: 4-byte packet header (length 32, sequence 1), caps, max packet, charset, 23 zero bytes. */
const MYSQL_SSL_REQUEST_LENGTH = 36;
/** Its packet header: payload length 32 (3 bytes, little-endian), sequence id 1. */
const MYSQL_SSL_REQUEST_HEADER = [0x20, 0x00, 0x00, 0x01];

/**
 * MySQL (client/server protocol, "Protocol::SSLRequest"): the server greets first; a client
 * that wants TLS answers with a 32-byte packet whose capabilities include CLIENT_SSL, then
 * starts TLS on the same connection.
 */
function mysqlUpgrade(buf: Uint8Array, off: number, len: number): TlsUpgrade {
  for (let i = 0; i < Math.min(len, 4); i++) if (buf[off + i] !== MYSQL_SSL_REQUEST_HEADER[i]) return NONE;
  if (len < MYSQL_SSL_REQUEST_LENGTH) return MAYBE;
  const caps = buf[off + 4] | (buf[off + 5] << 8) | (buf[off + 6] << 16) | (buf[off + 7] << 24);
  if ((caps & MYSQL_CLIENT_PROTOCOL_41) === 0) return NONE;
  for (let i = 13; i < MYSQL_SSL_REQUEST_LENGTH; i++) if (buf[off + i] !== 0) return NONE;
  return (caps & MYSQL_CLIENT_SSL) !== 0 ? tlsAt('mysql', MYSQL_SSL_REQUEST_LENGTH) : NONE;
}

// ------------------------------------------------------------------------- RDP

/** X.224 Connection Request TPDU code (ITU-T X.224 §13.3), the upper nibble of its second byte. */
const X224_CR = 0xe0;
/** RDP_NEG_REQ (MS-RDPBCGR §2.2.1.1.1): type 1, 8 bytes. */
const RDP_NEG_REQ = 0x01;
/** requestedProtocols that switch the connection to TLS: PROTOCOL_SSL, PROTOCOL_HYBRID, PROTOCOL_HYBRID_EX. */
const RDP_TLS_PROTOCOLS = 0x1 | 0x2 | 0x8;

/**
 * RDP (MS-RDPBCGR §1.3.1.1): a TPKT (RFC 1006: version 3, reserved 0, length) holding an X.224
 * Connection Request, whose RDP_NEG_REQ at its end asks for TLS (standard, CredSSP or its
 * extended form). When the server agrees, the client's next bytes are its ClientHello.
 */
function rdpUpgrade(buf: Uint8Array, off: number, len: number): TlsUpgrade {
  if (len < 4) return len < 2 || buf[off + 1] === 0 ? MAYBE : NONE;
  if (buf[off + 1] !== 0) return NONE;
  const tpktLen = (buf[off + 2] << 8) | buf[off + 3];
  if (tpktLen < 11 || tpktLen > 512) return NONE; // the fixed part and a cookie line; real requests are under 100 bytes
  if (len < 6) return MAYBE;
  // X.224 length indicator: the TPDU's header length, the bytes after it to the TPKT's end.
  if (buf[off + 4] !== tpktLen - 5 || (buf[off + 5] & 0xf0) !== X224_CR) return NONE;
  if (len < tpktLen) return MAYBE;
  const neg = off + tpktLen - 8;
  const negotiates = tpktLen >= 19 && buf[neg] === RDP_NEG_REQ && buf[neg + 2] === 8 && buf[neg + 3] === 0;
  const protocols = negotiates ? buf[neg + 4] | (buf[neg + 5] << 8) | (buf[neg + 6] << 16) | (buf[neg + 7] << 24) : 0;
  return (protocols & RDP_TLS_PROTOCOLS) !== 0 ? tlsAt('rdp', tpktLen) : plain('rdp');
}

// ------------------------------------------------------------------------- SOCKS

const SOCKS_CMD_CONNECT = 1;

/**
 * SOCKS 5 (RFC 1928 §3–§4): greeting (VER 5, NMETHODS, METHODS), optionally the
 * username/password sub-negotiation (RFC 1929 §2: VER 1, ULEN, UNAME, PLEN, PASSWD), then the
 * request (VER 5, CMD, RSV 0, ATYP, DST.ADDR, DST.PORT). After a CONNECT, the tunnel's bytes.
 */
function socks5Upgrade(buf: Uint8Array, off: number, len: number): TlsUpgrade {
  const end = off + len;
  if (len < 2) return MAYBE;
  const nMethods = buf[off + 1];
  if (nMethods === 0) return NONE;
  let p = off + 2 + nMethods;
  if (p >= end) return MAYBE;
  if (buf[p] === 0x01) {
    // Username/password sub-negotiation.
    if (p + 2 > end) return MAYBE;
    const uLen = buf[p + 1];
    if (uLen === 0) return NONE;
    const pl = p + 2 + uLen;
    if (pl >= end) return MAYBE;
    p = pl + 1 + buf[pl];
    if (p >= end) return MAYBE;
  }
  if (buf[p] !== 0x05) return NONE;
  if (p + 5 > end) return MAYBE;
  const cmd = buf[p + 1];
  const atyp = buf[p + 3];
  if (cmd < 1 || cmd > 3 || buf[p + 2] !== 0) return NONE;
  let addrEnd: number;
  if (atyp === 1) addrEnd = p + 4 + 4;
  else if (atyp === 4) addrEnd = p + 4 + 16;
  else if (atyp === 3) {
    const n = buf[p + 4];
    if (n === 0) return NONE;
    addrEnd = p + 5 + n;
  } else return NONE;
  const reqEnd = addrEnd + 2;
  if (reqEnd > end) return MAYBE;
  if (cmd !== SOCKS_CMD_CONNECT) return plain('socks');
  return atyp === 3 ? socksConnect(reqEnd - off, buf, p + 5, addrEnd) : tlsAt('socks', reqEnd - off);
}

/** A SOCKS CONNECT to the host name at buf[s, e): its tunnel starts at `at`. */
function socksConnect(at: number, buf: Uint8Array, s: number, e: number): TlsUpgrade {
  return { kind: Upgrade.TlsAt, app: 'socks', at, host: decodeWireText(buf, s, e - s).toLowerCase() };
}

/** SOCKS 4 and 4a: VN 4, CD, DSTPORT, DSTIP, USERID NUL, and for 4a (DSTIP 0.0.0.x) the host name NUL. */
function socks4Upgrade(buf: Uint8Array, off: number, len: number): TlsUpgrade {
  const end = off + len;
  if (len < 2) return MAYBE;
  const cmd = buf[off + 1];
  if (cmd !== 1 && cmd !== 2) return NONE;
  if (len < 9) return MAYBE;
  const is4a = buf[off + 4] === 0 && buf[off + 5] === 0 && buf[off + 6] === 0 && buf[off + 7] !== 0;
  let p = off + 8;
  const fields = is4a ? 2 : 1;
  let hostStart = -1;
  for (let f = 0; f < fields; f++) {
    const start = p;
    if (f === 1) hostStart = start;
    while (p < end && buf[p] !== 0) {
      if (buf[p] < SP || buf[p] >= 0x7f || p - start >= 255) return NONE;
      p++;
    }
    if (p >= end) return MAYBE;
    p++; // the NUL
  }
  if (cmd !== SOCKS_CMD_CONNECT) return plain('socks');
  return hostStart >= 0 && p - 1 > hostStart ? socksConnect(p - off, buf, hostStart, p - 1) : tlsAt('socks', p - off);
}
