/**
 * The reason codes a verdict can carry: part of the NDJSON/SARIF contract, exactly these
 * strings, never renamed once shipped. The policy stage only ever emits codes listed here.
 */

/** Every reason code, in the order of the issue-3 contract (the last two are reserved for issue 7). */
export const REASON_CODES = [
  'port-not-documented',
  'inbound-not-documented',
  'transport-not-documented',
  'explicitly-disabled',
  'name-not-documented',
  'no-attributable-name',
  'sni-dns-mismatch',
  'protocol-mismatch',
  // Reserved for issue 7: ECH seen where the pack does not accept it; DNS to a resolver
  // outside a DNS rule's `resolvers:` (used already when a rule lists resolvers).
  'encrypted-client-hello',
  'resolver-bypass',
  // Added after issue 7, before resolver-bypass on plain DNS to a resolver a DNS rule does not
  // list: the code the device documents' reading uses for it.
  'resolver-not-configured',
] as const;

/** One reason code. */
export type ReasonCode = (typeof REASON_CODES)[number];

/** One-line meaning of each code, for `rules show`, help text and reports. */
export const REASON_TEXT: Readonly<Record<ReasonCode, string>> = Object.freeze({
  'port-not-documented': 'no rule covers this direction, protocol and port',
  'inbound-not-documented': 'a connection into the device that no inbound rule covers',
  'transport-not-documented': 'the port is documented for another transport only (QUIC where HTTPS over TCP is documented, DNS over TCP where only UDP is)',
  'explicitly-disabled': 'a deny rule matches: the document says this is disabled',
  'name-not-documented': "the port is documented, but the flow's name matches none of the rule's hosts",
  'no-attributable-name': 'the rule needs a name and the flow has none (IP literal without DNS, TLS without SNI)',
  'sni-dns-mismatch': 'SNI or Host names a documented domain, but the address was answered for another name',
  'protocol-mismatch': "the content is not what the rule's app says (plain HTTP on a TLS port, non-DNS on 53)",
  'encrypted-client-hello': 'the ClientHello is encrypted (ECH) and the pack does not accept it',
  'resolver-bypass': "DNS sent to a resolver outside the rule's resolvers, or encrypted DNS no rule declares",
  'resolver-not-configured': "plain DNS sent to a resolver other than the configured ones (the rule's resolvers)",
});
