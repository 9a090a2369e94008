/**
 * TLS ClientHello parser (RFC 8446 §4.1.2, RFC 6066 §3). STUB: contract only.
 */

/** Facts from one ClientHello; neutral, no policy. */
export interface ClientHelloInfo {
  /** server_name host_name (RFC 6066 §3), or null when absent. Non-printable bytes escaped as \DDD. */
  sni: string | null;
  /** ALPN protocol names in offered order (RFC 7301). */
  alpn: string[];
  /** legacy_version of the ClientHello body (e.g. 0x0303). */
  legacyVersion: number;
  /** supported_versions (RFC 8446 §4.2.1) in order, GREASE included; empty when absent. */
  supportedVersions: number[];
  /** Cipher suites in order, GREASE included. */
  cipherSuites: number[];
  /** Extension types in wire order, GREASE included. */
  extensionTypes: number[];
  /** supported_groups (RFC 8446 §4.2.7) in order. */
  supportedGroups: number[];
  /** ec_point_formats (RFC 8422 §5.1.2) in order. */
  ecPointFormats: number[];
  /** signature_algorithms (RFC 8446 §4.2.3) in order. */
  signatureAlgorithms: number[];
  /** Groups of the key_share entries (RFC 8446 §4.2.8); 0x11EC is X25519MLKEM768. */
  keyShareGroups: number[];
  /** encrypted_client_hello (0xfe0d) present. */
  ech: boolean;
  /** Total bytes of the handshake message (4-byte header included). */
  messageLength: number;
}

export type ClientHelloResult =
  | { kind: 'found'; hello: ClientHelloInfo }
  | { kind: 'need-more'; needed: number }
  | { kind: 'not-tls' }
  | { kind: 'malformed'; anomaly: number };

/** True when the bytes can start a TLS handshake record (content type 22, version 3.x). */
export function probeTlsRecord(buf: Uint8Array, off: number, len: number): boolean {
  void buf; void off; void len;
  return false;
}

/** Parses a ClientHello from a TLS record stream starting at `off` (the stream's first client byte). */
export function parseClientHelloRecords(buf: Uint8Array, off: number, len: number): ClientHelloResult {
  void buf; void off; void len;
  return { kind: 'not-tls' };
}

/** Parses a bare ClientHello handshake message (type 1 + 3-byte length), as QUIC CRYPTO frames carry it. */
export function parseClientHelloMessage(buf: Uint8Array, off: number, len: number): ClientHelloResult {
  void buf; void off; void len;
  return { kind: 'not-tls' };
}
