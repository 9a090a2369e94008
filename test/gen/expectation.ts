/**
 * The shape of what each generated capture is expected to produce from
 * `egress-audit replay <capture> --format ndjson`, in the field names of the NDJSON contract
 * (src/report/records.ts). The generator fills these in from the same scenario that writes the
 * packets; the sidecar .md renders them; test/e2e/captures.test.ts asserts them.
 *
 * Types only: never holds values, never imports runtime code from src/.
 */
import type { DnsAnswerRecord, NameCandidate, NameSource } from '../../src/report/records';

/**
 * One flow record the tool must print. The five key fields identify it; every other field that
 * is present is asserted (absent = not asserted, `null` = must be null).
 */
export interface FlowExpectation {
  /** What this flow shows and why its name (or missing name) is what it is. */
  why: string;
  proto: 'tcp' | 'udp';
  direction: 'egress' | 'inbound' | 'local';
  device_ip: string;
  device_port: number;
  remote_ip: string;
  remote_port: number;
  /** Epoch seconds; compared within 2 µs (ns captures may round or truncate). */
  first_ts?: number;
  last_ts?: number;
  packets_out?: number;
  packets_in?: number;
  bytes_out?: number;
  bytes_in?: number;
  app?: string | null;
  sni?: string | null;
  alpn?: string[] | null;
  http_host?: string | null;
  dns_names?: string[] | null;
  name?: string | null;
  name_source?: NameSource | null;
  /** Candidates that must appear in `names` (others may too). */
  names_include?: NameCandidate[];
  unnamed_reason?: string | null;
  /** Groups that must appear in `key_share_groups`. */
  key_share_groups_include?: number[];
  syn_seen?: boolean;
  /** TCP/UDP layers outside the flow (tunnels); not asserted when absent. */
  tunnel_depth?: number;
  /** The process the capture header names (PKTAP); not asserted when absent. */
  process?: string;
  /** HTTP/2 in cleartext was seen; not asserted when absent. */
  h2c?: boolean;
  /** The TCP responder sent the ClientHello; not asserted when absent. */
  tls_client?: 'responder';
  /** The flow's anomaly ids, exactly; not asserted when absent. */
  anomalies?: string[];
}

/** One `{"type":"dns"}` record: one per question of every query message. */
export interface DnsExpectation {
  ts: number;
  proto: 'udp' | 'tcp';
  client_ip: string;
  client_port: number;
  server_ip: string;
  server_port: number;
  id: number;
  qname: string;
  qtype: string;
  rcode: string | null;
  /** Answer section in wire order (names lowercased, no trailing dot). */
  answers: DnsAnswerRecord[];
  /** The process the capture header names for the query (PKTAP); not asserted when absent. */
  process?: string;
}

/** The `{"type":"summary"}` record. */
export interface SummaryExpectation {
  /** Whole records read (a cut-short last record is not counted). */
  packets: number;
  /** Sum of wire lengths (orig_len) of those records. */
  bytes: number;
  flows: number;
  dns_queries: number;
  /** The device addresses that appear in the flows (not every --device value); compared as a set. */
  device_ips: string[];
  inputs: { format: 'pcap' | 'pcapng'; link_types: string[]; packets: number }[];
  /** Codes that must appear in `errors` (empty: `errors` absent or empty). */
  error_codes: string[];
  /**
   * For a file cut short: byte offset where the cut record's header starts. The
   * EA_CAPTURE_TRUNCATED error must name the file and give an offset in [truncated_at, truncated_at + 16]
   * (the record header or the record data).
   */
  truncated_at?: number;
}

/** Everything asserted for one capture. `flows` and `dns` are complete lists. */
export interface CaptureExpectation {
  file: string;
  /** Extra CLI arguments after `replay <capture> --format ndjson`. */
  args: string[];
  exit_code: 0 | 1 | 2;
  summary: SummaryExpectation;
  flows: FlowExpectation[];
  dns: DnsExpectation[];
}
