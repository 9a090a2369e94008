/**
 * Encrypted ClientHello (ECH, draft-ietf-tls-esni) as the policy sees it: does this flow's ECH
 * extension really hide the server name, or is it GREASE? Chrome (since 117) and Safari send a
 * GREASE ECH extension on every TLS 1.3 connection that has no ECH configuration, and by design
 * (draft-ietf-tls-esni §6.2) it looks like the real thing; its outer SNI is then the real name.
 * With real ECH the outer SNI is the provider's `public_name` and the real name is sealed.
 *
 * So an ECH extension is taken to hide the name only with evidence: no outer SNI; an outer SNI
 * that is a known ECH public name; or an ECH configuration seen in DNS for the flow's names
 * (`ech_config`). (An outer SNI that differs from the names DNS answered is already the
 * `sni-dns-mismatch` finding, whatever the cause.) ESNI (0xffce, the draft that preceded ECH)
 * has no GREASE form, so its presence alone hides the name: its cleartext SNI, when there is
 * one, is a cover or a decoy. Per flow; pure; never throws.
 */
import type { FlowRecord } from '../report/records';

/**
 * Public names of ECH deployments, where the outer SNI is never the real destination.
 * - cloudflare-ech.com: Cloudflare's ECH public name for every zone it serves with ECH
 *   (https://blog.cloudflare.com/announcing-encrypted-client-hello/), e.g. in
 *   ../shared/corpus/zeek__tls__tls13-ech.pcap and zeek__dns__ech.pcap.
 * - cover.defo.ie: the public name of the DEfO project's ECH test servers (https://defo.ie/).
 */
export const ECH_PUBLIC_NAMES: ReadonlySet<string> = new Set(['cloudflare-ech.com', 'cover.defo.ie']);

/** How the policy reads a flow's ECH extension. */
export interface EchAssessment {
  /** none: no ECH extension; hidden: the real name is sealed; grease: taken as GREASE. */
  readonly kind: 'none' | 'hidden' | 'grease';
  /** Why (one clause, for the explanation); empty for `none`. */
  readonly why: string;
}

/** The assessment of a record without ECH (DNS records, non-TLS flows). */
export const NO_ECH: EchAssessment = Object.freeze({ kind: 'none', why: '' });

/** Reads the ECH facts of a flow record (`esni`, `ech`, `sni`, `ech_config`, DNS-answer names). */
export function assessEch(flow: FlowRecord): EchAssessment {
  // ESNI (0xffce) has no GREASE form: its presence means the real name is encrypted.
  if (flow.esni === true) return { kind: 'hidden', why: 'the ClientHello carries ESNI (0xffce, the draft that preceded ECH), which encrypts the real server name' };
  if (flow.ech !== true) return NO_ECH;
  const sni = flow.sni?.toLowerCase().replace(/\.$/, '') ?? null;
  if (sni === null) return { kind: 'hidden', why: 'the ClientHello carries ECH and no outer server name' };
  if (ECH_PUBLIC_NAMES.has(sni)) return { kind: 'hidden', why: `${sni} is a known ECH public name` };
  if (flow.ech_config === true) return { kind: 'hidden', why: 'DNS returned an ECH configuration (HTTPS/SVCB `ech`) for this destination' };
  return { kind: 'grease', why: `nothing shows an ECH configuration for ${sni}, so the extension is taken as GREASE (sent by Chrome and Safari on every TLS 1.3 connection) and ${sni} as the real name` };
}
