/**
 * The version-1 rule-file schema (zod) and the compiled types the evaluator uses. This module
 * only describes shapes: parsing, positions and compilation live in load-rules.ts. Must never
 * accept unknown keys (strict objects everywhere): a typo in a rule file is an error, not a
 * silently ignored field.
 */
import { z } from 'zod';
import type { AddressSet } from './address-set';
import type { DomainPattern, DomainTrie } from './domain-matcher';
import type { PortSet } from './port-set';

/** The only schema version this build reads. */
export const RULE_FILE_VERSION = 1;

/** Where something was written: 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** `source:` — the quoted sentence/table row of the document, or `{ implied: reason }`. */
const SourceSchema = z.union([nonEmpty, z.strictObject({ implied: nonEmpty })]);

/** Switch values: YAML 1.2 reads `on`/`off` as strings; booleans are accepted and stringified. */
const SwitchValue = z.union([z.string().min(1), z.boolean()]).transform((v) => String(v));

const RuleFields = {
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'id must be 1-64 characters: letters, digits, _ . : -'),
  description: nonEmpty,
  source: SourceSchema,
  proto: z.enum(['tcp', 'udp', 'both']),
  ports: z.array(z.union([z.number(), z.string()])).min(1, 'ports must list at least one port').max(4096),
  hosts: z.union([z.literal('any'), z.array(z.string()).min(1, "hosts must list at least one pattern (or be 'any')").max(4096)]),
  app: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'app must be a lowercase protocol name like tls, http, dns').optional(),
  resolvers: z.array(z.string()).min(1).max(256).optional(),
  when: z.record(z.string(), SwitchValue).optional(),
};

/** An `egress:` or `inbound:` rule as written. */
export const RuleSchema = z.strictObject(RuleFields);
/** A `deny:` rule as written: the same fields plus the direction it forbids. */
export const DenyRuleSchema = z.strictObject({ ...RuleFields, direction: z.enum(['egress', 'inbound', 'local']) });

const TransportPolicy = z.enum(['allowed', 'finding']);

/** The whole file as written. */
export const RuleFileSchema = z.strictObject({
  version: z.literal(RULE_FILE_VERSION),
  device: z.strictObject({ name: nonEmpty, vendor: nonEmpty.optional(), model: nonEmpty.optional() }),
  document: z.strictObject({
    title: nonEmpty,
    vendor: nonEmpty,
    source: nonEmpty,
    retrieved: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'retrieved must be a date like 2025-01-31'),
    references: z.array(z.strictObject({ title: nonEmpty, source: nonEmpty })).optional(),
  }),
  switches: z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'switch names are lowercase: tor, ssh'),
      z.strictObject({
        description: nonEmpty.optional(),
        source: SourceSchema.optional(),
        values: z.array(SwitchValue).min(2, 'a switch needs at least two values').max(32),
        default: SwitchValue,
      }),
    )
    .optional(),
  transports: z.strictObject({ quic: TransportPolicy.optional(), 'dns-over-tcp': TransportPolicy.optional() }).optional(),
  ech: TransportPolicy.optional(),
  /** Local-network traffic (multicast, broadcast, link-local): judge it, or leave it unjudged. Absent: judged when the pack has rules for it. */
  local: z.enum(['judge', 'ignore']).optional(),
  egress: z.array(RuleSchema).max(10000).optional(),
  inbound: z.array(RuleSchema).max(10000).optional(),
  deny: z.array(DenyRuleSchema).max(10000).optional(),
});

/** The parsed (not yet compiled) file. */
export type RuleFileInput = z.output<typeof RuleFileSchema>;

/** Which list a rule came from. */
export type RuleKind = 'egress' | 'inbound' | 'deny';

/** One rule after validation and compilation; immutable. */
export interface CompiledRule {
  readonly id: string;
  /** Name of the pack (file base name without .yaml). */
  readonly pack: string;
  readonly kind: RuleKind;
  /** Direction of flows it speaks about (deny rules say it; others follow their list). */
  readonly direction: 'egress' | 'inbound' | 'local';
  readonly description: string;
  /** The quoted document text, or the reason when `implied`. */
  readonly source: string;
  readonly implied: boolean;
  readonly protos: ReadonlySet<'tcp' | 'udp'>;
  readonly proto: 'tcp' | 'udp' | 'both';
  readonly ports: PortSet;
  /** `hosts: any`. */
  readonly anyHost: boolean;
  readonly domainPatterns: readonly DomainPattern[];
  /** Compiled matcher over `domainPatterns` (null when the rule lists none). */
  readonly domains: DomainTrie | null;
  readonly addresses: AddressSet;
  readonly app: string | null;
  /** DNS servers this rule allows (null: any server). */
  readonly resolvers: AddressSet | null;
  /** Switch conditions: all must hold for the rule to be active. */
  readonly when: Readonly<Record<string, string>>;
  readonly loc: SourceLocation;
  /** Location of each `hosts:` entry (same order as written), for lint. */
  readonly hostLocs: readonly { readonly text: string; readonly loc: SourceLocation }[];
  readonly portsLoc: SourceLocation;
}

/** A documented configuration chosen at run time with `--set name=value`. */
export interface PackSwitch {
  readonly name: string;
  readonly values: readonly string[];
  readonly default: string;
  readonly description: string | null;
  readonly loc: SourceLocation;
}

/** A loaded pack: metadata, switches and rules in file order (egress, inbound, deny). */
export interface RulePack {
  readonly name: string;
  readonly file: string;
  readonly version: number;
  readonly device: RuleFileInput['device'];
  readonly document: RuleFileInput['document'];
  /** The leading `#` comment block of the file (what it allows and why). */
  readonly header: string;
  readonly switches: ReadonlyMap<string, PackSwitch>;
  readonly transports: { readonly quic: 'allowed' | 'finding'; readonly dnsOverTcp: 'allowed' | 'finding' };
  readonly ech: 'allowed' | 'finding';
  /** `local:` as written, or 'auto' (judge local traffic only when the pack has rules for it). */
  readonly local: 'judge' | 'ignore' | 'auto';
  readonly rules: readonly CompiledRule[];
}
