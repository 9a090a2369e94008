/**
 * DNS message parser (RFC 1035 §4). STUB: contract only.
 */
import { AnomalyCounters } from '../anomalies';

export interface DnsQuestion { name: string; type: number }
export interface DnsAnswer {
  /** Owner name, as in DnsQuestion.name. */
  name: string;
  type: number;
  ttl: number;
  /** A/AAAA: address text (RFC 5952 for IPv6); CNAME/PTR/NS/DNAME: target name; HTTPS/SVCB: "prio target key=value..."; others: a short summary. */
  data: string;
  /** HTTPS/SVCB only: an `ech` SvcParam is present. */
  ech?: boolean;
}
export interface DnsMessage {
  id: number;
  /** true for a response (QR = 1). */
  response: boolean;
  opcode: number;
  rcode: number;
  questions: DnsQuestion[];
  /** Answer-section records (empty unless answers were requested and the message is a response). */
  answers: DnsAnswer[];
}

/** Parses one DNS message at buf[off, off+len). Returns null (and counts an anomaly) when even the header/questions are unusable. */
export function parseDnsMessage(buf: Uint8Array, off: number, len: number, anomalies: AnomalyCounters, wantAnswers: boolean): DnsMessage | null {
  void buf; void off; void len; void anomalies; void wantAnswers;
  return null;
}

/** Name of a DNS RR type (A, AAAA, CNAME, HTTPS, ...) or TYPEnnn (RFC 3597). */
export function dnsTypeName(type: number): string {
  return `TYPE${type}`;
}

/** Name of a DNS RCODE (NOERROR, NXDOMAIN, ...). */
export function dnsRcodeName(rcode: number): string {
  return `RCODE${rcode}`;
}
