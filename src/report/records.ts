/**
 * The NDJSON record types: the machine contract of egress-audit (one object per line).
 * Fields are only ever added, never renamed or removed. Every output format renders from
 * these records; nothing here does I/O.
 */

/** How a flow's name was learned, strongest first. */
export type NameSource = 'sni' | 'quic-sni' | 'http-host' | 'socks-host' | 'dns-answer' | 'dns-query';

export interface NameCandidate { name: string; source: NameSource }

/** Verdict fields added by the policy stage (absent when no rules were given). */
export interface VerdictFields {
  verdict?: 'declared' | 'undeclared';
  /** Rule id that declares the record, or the deny rule that forbids it; null when none. */
  rule?: string | null;
  /** Pack the rule belongs to. */
  pack?: string | null;
  /** Reason codes (empty when declared). */
  reasons?: string[];
  /** One sentence a human can act on. */
  explanation?: string;
}

/**
 * Why a flow has no name (`unnamed_reason`). Every reason the pipeline gives is listed here, so
 * the reports' wording for each (report/html UNNAMED_TEXT) is checked complete when compiled.
 */
export const UNNAMED_REASONS = [
  'ip-literal', 'tls-no-sni', 'tls-hello-incomplete', 'tls-roles-reversed', 'started-before-capture',
  'ech', 'stream-gap', 'inbound', 'quic-version-not-decryptable',
] as const;
export type UnnamedReason = typeof UNNAMED_REASONS[number];

export interface FlowRecord extends VerdictFields {
  type: 'flow';
  id: number;
  proto: 'tcp' | 'udp';
  direction: 'egress' | 'inbound' | 'local';
  device_ip: string;
  device_port: number;
  remote_ip: string;
  remote_port: number;
  /** Epoch seconds with microseconds. */
  first_ts: number;
  last_ts: number;
  packets_out: number;
  packets_in: number;
  /** Wire lengths (pcap orig_len) summed per direction. */
  bytes_out: number;
  bytes_in: number;
  /** What the content shows: tls, http, dns, mdns, llmnr, quic, ntp, ssh, ... or null. */
  app: string | null;
  sni: string | null;
  alpn: string[] | null;
  http_host: string | null;
  /** Names asked for (DNS flows) — null for other flows. */
  dns_names: string[] | null;
  name: string | null;
  name_source: NameSource | null;
  names: NameCandidate[];
  anomalies: string[];
  /** Why the flow has no name (ip-literal, tls-no-sni, stream-gap, ech, ...), when name is null. */
  unnamed_reason?: UnnamedReason | null;
  /** Tunnel layers outside this flow (0 = outermost). */
  tunnel_depth?: number;
  /** TCP handshake seen (SYN from the initiator). */
  syn_seen?: boolean;
  /** How direction was decided: syn | first-packet | port-heuristic | http-request. */
  initiator_by?: 'syn' | 'first-packet' | 'port-heuristic' | 'http-request' | 'quic-initial';
  tls_versions?: number[] | null;
  key_share_groups?: number[] | null;
  /** The ClientHello (TLS or QUIC) carries encrypted_client_hello (0xfe0d): `sni` is then the outer, public name. */
  ech?: boolean;
  /** Set on an ECH flow when DNS (HTTPS/SVCB `ech`) gave an ECH configuration for one of its names earlier in the run. */
  ech_config?: boolean;
  /**
   * Present (true) only when the ClientHello carries ESNI, encrypted_server_name (0xffce), ECH's
   * draft predecessor: the real server name is encrypted, and `sni`, if any, is a cover or a decoy.
   */
  esni?: boolean;
  /** JA3 (salesforce/ja3): MD5 of the ClientHello's version, ciphers, extensions, groups, point formats (GREASE removed). */
  ja3?: string | null;
  /** JA4 (FoxIO): `t`/`q` + version + SNI flag + counts + ALPN, then two truncated SHA-256 hashes. */
  ja4?: string | null;
  /** Encrypted DNS recognised on this flow: DNS over TLS, over QUIC, or over HTTPS to a listed resolver. */
  encrypted_dns?: 'dot' | 'doq' | 'doh' | null;
  /** QUIC version of the client's Initials, hex (0x00000001 = v1, 0x6b3343cf = v2, 0xff00001d = draft-29). */
  quic_version?: string;
  /**
   * Names of the certificate the server presented in the clear (TLS 1.0–1.2; its subjectAltName
   * DNS names, else its commonName), read only for a hello without SNI. A fact, not a name: the
   * server chose it, so it is not among `names` and no verdict rests on it.
   */
  server_cert_names?: string[];
  /**
   * The process the flow belongs to, where the capture format records it (Apple's PKTAP, as
   * macOS's `tcpdump -i pktap` writes it: the effective process's command name, so the app a
   * system daemon works for). Bytes outside printable ASCII as \DDD.
   */
  process?: string;
  /**
   * Present (true) only when the client spoke HTTP/2 in cleartext (h2c: its connection preface
   * was seen, sent at once or after an `Upgrade: h2c`); `http_host` is then the `:authority`
   * of its first request.
   */
  h2c?: boolean;
  /**
   * Present (`"responder"`) only when TLS ran with its roles reversed: the side that answered
   * the SYN sent the ClientHello that `sni`, `alpn`, `ja3` and the other hello fields describe.
   * Its server name then names the connection's initiator, so it is among `names` only when
   * the device sent it (the device answered the SYN); otherwise the remote chose it, and like
   * `server_cert_names` it names nothing and no verdict rests on it.
   */
  tls_client?: 'responder';
  /**
   * Present only on a unicast mDNS or LLMNR reply to a query the receiver multicast (RFC 6762
   * §6.7, RFC 4795 §2.4): the id of the query's flow, and the group it went to. Such a flow is
   * `local`, and a rule pack judges it as the exchange it belongs to, traffic to that group.
   */
  reply_to?: number;
  reply_group?: string;
  /**
   * Present (true) only with `--device`, when neither end is a `--device` address: another
   * host's traffic the capture holds (a mirror port, a shared LAN). Reported, never judged, and
   * its addresses are not the device's (`device_ip` is then the initiator's).
   */
  foreign?: boolean;
  /**
   * Present only on a QUIC flow that is another path of a connection read on flow `quic_path_of`
   * (a NAT rebinding, or a migration that kept its connection ID): its first datagram, a short
   * header, carried a connection ID that connection's long headers gave. The connection's server
   * name is among `names` as `quic-sni`.
   */
  quic_path_of?: number;
  /**
   * Live capture only: true on a record written while the flow was still open, because it was
   * judged undeclared; the flow's final record (same `id`, no `open`) follows when it ends.
   */
  open?: boolean;
}

export interface DnsAnswerRecord { name: string; type: string; data: string; ttl: number }

export interface DnsRecord extends VerdictFields {
  type: 'dns';
  ts: number;
  proto: 'udp' | 'tcp';
  /** dns | mdns | llmnr */
  app?: string;
  client_ip: string;
  client_port: number;
  server_ip: string;
  server_port: number;
  id: number;
  qname: string;
  qtype: string;
  rcode: string | null;
  answers: DnsAnswerRecord[];
  response_only?: boolean;
  /** Flow id of the DNS flow that carried this query. */
  flow_id?: number;
  /**
   * Where the capture records it (Apple's PKTAP), the process that sent the query (for a
   * response alone, the one it was delivered to): the effective process when the header names
   * one, so on macOS the app mDNSResponder resolved for. Bytes outside printable ASCII as \DDD.
   */
  process?: string;
  /**
   * With `--device` only: `"inbound"` when the device is the server (it answered another host's
   * query: a lookup the device served, judged as inbound traffic to its port, not as one of its
   * own lookups). Absent for the device's own lookups.
   */
  direction?: 'inbound';
  /** With `--device` only: true when neither end is a `--device` address (another host's lookup); reported, never judged. */
  foreign?: boolean;
  /**
   * The name whose lookup this one continues: an earlier answer to the same client gave `qname`
   * as a CNAME's target (a resolver on the device, such as unbound, asks for the target itself).
   * Judged as a lookup of that name. Absent otherwise.
   */
  cname_of?: string;  /** An HTTPS/SVCB answer carried an `ech` parameter (set when the answer comes, so written after the fields above). */
  ech_config?: boolean;
}

export interface InputSummary {
  file: string;
  format: string;
  link_types: string[];
  packets: number;
  bytes?: number;
  sha256?: string;
  /** Present when the file was compressed ('gzip', 'zstd'); `bytes` then counts decompressed bytes. */
  compression?: 'gzip' | 'zstd';
}

export interface SummaryRecord {
  type: 'summary';
  packets: number;
  bytes: number;
  flows: number;
  dns_queries: number;
  device_ips: string[];
  /** How device_ips were chosen: 'flag' (--device) or 'inferred' (heuristic). */
  device_source?: 'flag' | 'inferred' | 'interface';
  /**
   * The prefixes taken as the device (from --device, or the capture interface's own addresses as
   * /32 and /128), whether or not traffic from them was seen; [] when the device side is inferred.
   * `device_ips` lists the addresses actually seen.
   */
  device_prefixes?: string[];
  anomalies: Record<string, number>;
  inputs: InputSummary[];
  non_flow?: Record<string, number>;
  errors?: { code: string; message: string; file?: string; offset?: number; hint?: string }[];
  first_ts?: number | null;
  last_ts?: number | null;
  verdicts?: { declared: number; undeclared: number; not_judged?: number };
  evicted?: { flows: number; dns_cache: number };
  /**
   * From `live`: the kernel's counters, and the times the capture link was down (epoch seconds;
   * `end` null when it was still down at the end, `seconds` null for a flap between two readings).
   */
  capture?: { received: number; dropped: number; if_dropped: number; link_outages?: { start: number; end: number | null; seconds: number | null }[] };
}

export type OutputRecord = FlowRecord | DnsRecord | SummaryRecord;
