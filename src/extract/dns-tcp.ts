/**
 * DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): each message is preceded by a 2-byte
 * big-endian length. Splits a buffered client/server byte stream into message bounds; several
 * messages may share a segment and one message may span segments. Also the port helpers for
 * the DNS-format protocols on other ports (mDNS, LLMNR).
 * Never throws and never copies: it returns offsets into the caller's buffer.
 */

/** DNS header length (RFC 1035 §4.1.1): a framed message shorter than this cannot be DNS. */
export const DNS_HEADER_LENGTH = 12;

/** Result of splitting a TCP byte range into DNS messages. */
export interface DnsTcpSplit {
  /** Complete messages as [offset, length] into the caller's buffer (length prefix excluded). */
  messages: Array<[number, number]>;
  /** Bytes from `off` up to the end of the last complete message: drop them from the stream buffer. */
  consumed: number;
  /** A message has started but its bytes have not all arrived: buffer and call again. */
  needMore: boolean;
  /** When `needMore`: how many more bytes complete the next message (at least 1). */
  needed: number;
  /** A length prefix below the 12-byte header: the stream is not (or no longer) DNS; stop parsing it (count dns.tcp_bad_length). */
  bad: boolean;
}

/**
 * Splits `buf[off, off+len)` — the start of a DNS-over-TCP stream, or the bytes following the
 * last `consumed` — into length-prefixed messages. Work and output are proportional to the
 * bytes present, never to a length field.
 */
export function splitDnsTcpStream(buf: Uint8Array, off: number, len: number): DnsTcpSplit {
  const end = off + len;
  const messages: Array<[number, number]> = [];
  let p = off;
  let needMore = false;
  let needed = 0;
  let bad = false;
  while (p < end) {
    if (end - p < 2) { needMore = true; needed = 1; break; }
    const msgLen = (buf[p] << 8) | buf[p + 1];
    if (msgLen < DNS_HEADER_LENGTH) { bad = true; break; }
    if (end - p - 2 < msgLen) { needMore = true; needed = msgLen - (end - p - 2); break; }
    messages.push([p + 2, msgLen]);
    p += 2 + msgLen;
  }
  return { messages, consumed: p - off, needMore, needed, bad };
}

/** UDP port of Multicast DNS (RFC 6762 §3): DNS message format, id 0, QU/cache-flush class bits. */
export const MDNS_PORT = 5353;
/** UDP/TCP port of LLMNR (RFC 4795 §2): DNS message format with C/TC/T flag bits. */
export const LLMNR_PORT = 5355;

/** True for the mDNS port (RFC 6762). */
export function isMdnsPort(port: number): boolean {
  return port === MDNS_PORT;
}

/** True for the LLMNR port (RFC 4795). */
export function isLlmnrPort(port: number): boolean {
  return port === LLMNR_PORT;
}
