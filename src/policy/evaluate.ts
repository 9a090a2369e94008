/**
 * The policy stage: judges each flow and DNS record against the loaded packs and returns the
 * verdict fields of the NDJSON contract (verdict, rule, pack, reasons, explanation). Runs per
 * flow and per run, after attribution; it only reads records and never changes them (judgeRun
 * returns copies). Must never emit a reason code outside REASON_CODES, and never declare a
 * flow without naming the rule that declares it (except unjudged link-local traffic, which
 * says so in its explanation).
 *
 * Semantics (issue 3, and /work/shared/corpus-sim/rules.json "conventions"):
 * - egress rules look at the remote port, inbound rules at the device port; deny rules first.
 * - a rule with hosts needs a matching name; SNI / QUIC SNI / HTTP Host decide when present,
 *   and when the address also came from DNS answers at least one answered name must match
 *   (else sni-dns-mismatch). A DNS flow is named by its query names (all must match); other
 *   flows fall back to the answered names (one must match).
 * - the rule's `app` must agree with what the content shows; an empty flow (no payload) does
 *   not contradict it.
 * - a port documented only for the other transport gives transport-not-documented (QUIC on
 *   UDP 443, DNS over TCP) unless the pack's `transports:` accepts it.
 * - issue 7: a rule without `app` expects the port's conventional protocol (port-conventions.ts),
 *   and any flow whose content contradicts its port gets protocol-mismatch; an ECH flow whose
 *   name is really hidden (ech.ts) gets encrypted-client-hello unless the pack says
 *   `ech: allowed`; encrypted DNS (DoT, DoQ, DoH) gets resolver-bypass unless the declaring
 *   rule names the resolver or says `app: dot|doq|doh`. These three are added to whatever else
 *   applies, and turn a flow a rule would declare into a finding.
 */
import type { DnsRecord, FlowRecord, VerdictFields } from '../report/records';
import { RulesSwitchError } from '../errors';
import { isAddressLiteral } from '../net/addr';
import { DEFAULT_DNS_GRACE_MICROS, effectiveTtl } from '../attribution/dns-cache';
import { isLocalScopeAddress } from './address-set';
import { normalizeDomainName } from './domain-matcher';
import { assessEch, NO_ECH, type EchAssessment } from './ech';
import { appText, checkPortConvention, CONTENT_APPS, type PortMismatch } from './port-conventions';
import { ENCRYPTED_DNS_APPS } from './apps';
import type { ReasonCode } from './reason-codes';
import type { CompiledRule, RulePack } from './rule-file';

/** A rule's identity across packs (two packs may both have a rule `dns`). */
function ruleKey(pack: string | null, id: string): string {
  return `${pack ?? ''}\u0000${id}`;
}

/** Switch values chosen at run time (`--set tor=on`). */
export type SwitchSettings = Readonly<Record<string, string>>;

/** Extra facts the run gives `judgeDns`. */
export interface DnsJudgeContext {
  /**
   * An address answered for this query's name (to the same device) was then contacted by an
   * egress flow that a rule declares: the lookup served a declared connection.
   */
  answerContactedBy?: { flowId: number; rule: string; pack: string | null } | null;
}

/** What `judgeRun` returns: copies of the input records with verdict fields set, same order. */
export interface JudgedRun {
  flows: FlowRecord[];
  dns: DnsRecord[];
}

/** Options of `judgeRun`. */
export interface JudgeRunOptions {
  /**
   * Addresses that belong to the audited device (`--device`). A DNS query from one of them and
   * a flow from another count as the same device, because a dual-stack device asks over IPv4
   * and connects over IPv6 and the records cannot tie the two otherwise. Default: every
   * `device_ip` seen in `flows`.
   */
  deviceIps?: Iterable<string>;
  /**
   * Declared egress flows judged earlier (their verdict fields set), which may have served the
   * lookups in `dnsRecords`. They credit DNS records exactly as declared egress flows in `flows`
   * do, listed before them, but are neither judged again nor returned. (The streaming policy
   * stage passes up to 20 k of them at each flush; judging and copying them again cost ~0.4 s
   * of a 2.5 s replay of the benchmark capture with a rule pack.)
   */
  contacts?: readonly ContactFlow[];
}

/** What a declared egress flow judged earlier contributes to crediting lookups (JudgeRunOptions.contacts). */
export type ContactFlow = Pick<FlowRecord, 'id' | 'direction' | 'device_ip' | 'remote_ip' | 'first_ts' | 'verdict' | 'rule' | 'pack'>;

/** Parses repeated `--set name=value` flags; throws `RulesSwitchError` on a malformed one. */
export function parseSetFlags(sets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const m = /^\s*([a-z][a-z0-9-]*)\s*=\s*(\S+)\s*$/.exec(s);
    if (!m) throw new RulesSwitchError(`--set '${s}' is not name=value`, 'write e.g. --set tor=on');
    out[m[1]] = m[2];
  }
  return out;
}

type Direction = FlowRecord['direction'];

/** A flow or DNS record reduced to what the rules look at. */
interface Subject {
  direction: Direction;
  proto: 'tcp' | 'udp';
  app: string | null;
  devicePort: number;
  remotePort: number;
  remoteIp: string;
  /** SNI, QUIC SNI, HTTP Host (raw text). */
  strong: string[];
  answers: string[];
  queries: string[];
  /** The content contradicts the port's convention (null: it does not, or no convention). */
  mismatch: PortMismatch | null;
  ech: EchAssessment;
  /** The outer SNI of a TLS/QUIC flow. */
  sni: string | null;
  encryptedDns: 'dot' | 'doq' | 'doh' | null;
  /** Names of the certificate the server presented (server_cert_names): explained, never judged. */
  certNames: string[];
  /** A DNS record's SRV name as asked (`_sips._tcp.voip.example.com`), judged as the host it names unless a rule lists it as it is; else null. */
  srvName: string | null;
}

const ENCRYPTED_DNS_TEXT: Readonly<Record<'dot' | 'doq' | 'doh', string>> = {
  dot: 'DNS over TLS (DoT)',
  doq: 'DNS over QUIC (DoQ)',
  doh: 'DNS over HTTPS (DoH) to a public resolver',
};

/** True when a rule's `app` accepts content `app` (an encrypted-DNS app matches the flow's encrypted_dns). */
function appMatches(ruleApp: string, app: string | null, s: Subject): boolean {
  return ruleApp === app || (ENCRYPTED_DNS_APPS.has(ruleApp) && s.encryptedDns === ruleApp);
}

interface Failure {
  reason: ReasonCode;
  /** How far the rule got before failing: the furthest failure is the main reason. */
  stage: number;
  rule: CompiledRule;
  /**
   * The explanation, written only for the failure that becomes the verdict's explanation: a
   * record checked against many rules fails most of them, and writing every failure's text was
   * a tenth of judging (measured on the first 300 MB of flow-heavy with a pack, before the
   * outcome memo: #judgeRules 1.08 → 0.96 s, collections 1.74 → 1.59 s).
   */
  detail: () => string;
  /** name-not-documented: the name (or address) the rule does not list, for an explanation naming every rule of the port. */
  unlisted?: string;
  /**
   * A second reason the same rule fails for, listed right after this one: a protocol mismatch
   * ends the rule's check at its first stage, but a wrong name behind it is a finding of its own
   * (plain HTTP on 443 with a Host no rule lists is both), as the labelled device captures list
   * a flow's reasons (main reason first, then every other).
   */
  also?: Failure | null;
}

/**
 * Plain DNS to a resolver outside a DNS rule's `resolvers` is `resolver-not-configured` first (the
 * device documents' own word for it: "DNS sent to a resolver other than the configured one"),
 * then `resolver-bypass`, the code it has always carried here (codes are added, never renamed).
 * Encrypted DNS keeps `resolver-bypass` alone: it bypasses the network's resolver whatever its
 * configuration.
 */
function withResolverNotConfigured(out: Outcome, s: Subject): Outcome {
  const f = out.fields;
  if (s.encryptedDns !== null || !f.reasons.includes('resolver-bypass') || f.reasons.includes('resolver-not-configured')) return out;
  return { nearest: out.nearest, fields: { ...f, reasons: ['resolver-not-configured', ...f.reasons] } };
}

const STAGE: Partial<Record<ReasonCode, number>> = {
  'protocol-mismatch': 1,
  'resolver-bypass': 2,
  'no-attributable-name': 3,
  'name-not-documented': 4,
  'sni-dns-mismatch': 5,
};

interface Outcome {
  fields: Required<VerdictFields>;
  /** The rule that came closest when undeclared (for DNS answer upgrades). */
  nearest: CompiledRule | null;
}

/** Apps whose absence of payload means "nothing seen yet", which cannot contradict a rule. */
function isContentless(app: string | null): boolean {
  return app === null || app === '' || app.endsWith('-no-payload');
}

/** Ends a rule description as a sentence. */
function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** Texts of a rule that every explanation naming it repeats, written once per rule (rules are immutable once compiled). */
const locTexts = new WeakMap<CompiledRule, string>();
const hostsTexts = new WeakMap<CompiledRule, string>();

function loc(r: CompiledRule): string {
  let t = locTexts.get(r);
  if (t === undefined) locTexts.set(r, (t = `${r.loc.file}:${r.loc.line}`));
  return t;
}

function hostsText(r: CompiledRule): string {
  let t = hostsTexts.get(r);
  if (t === undefined) {
    const all = [...r.domainPatterns.map((d) => d.text), ...r.addresses.literals.map((a) => a.text)];
    t = all.length <= 3 ? all.join(', ') : `${all.slice(0, 3).join(', ')} and ${all.length - 3} more`;
    hostsTexts.set(r, t);
  }
  return t;
}

function subjectLabel(s: Subject): string {
  const name = s.strong[0] ?? s.queries[0] ?? s.answers[0];
  return name !== undefined ? `${name} (${s.remoteIp})` : s.remoteIp;
}

/**
 * Judges flows and DNS records against packs compiled once; immutable after construction (its
 * only state is a memo of outcomes, which repeats what judging the same subject again gives).
 * Rules are tried in pack order, then file order; the first rule that fully matches declares.
 */
export class PolicyEngine {
  /** The packs, in the order given. */
  readonly packs: readonly RulePack[];
  /** Effective switch values per pack (given or default). */
  readonly switches: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly #allow: readonly CompiledRule[];
  readonly #deny: readonly CompiledRule[];
  readonly #packOf: ReadonlyMap<CompiledRule, RulePack>;
  /**
   * The allow rules that name no host names (`hosts: any`, or addresses only), by ruleKey: the
   * flows they declare credit the lookups they used.
   */
  readonly #nameFreeRules: ReadonlySet<string>;
  readonly #judgesLocal: boolean;
  /**
   * Local TCP is judged unless a pack says `local: ignore`: multicast and broadcast are never TCP,
   * so a local TCP flow is a connection between link-local addresses (an SSH session from the
   * LAN to the device's fe80:: address), not service discovery; under `auto` alone it had passed
   * unjudged in every pack without local rules.
   */
  readonly #judgesLocalTcp: boolean;
  /**
   * Outcomes by subject (see SubjectMemo): the rules and packs never change, and #judge reads
   * nothing but the subject, so equal subjects get the one outcome, frozen and shared. A device
   * repeats its lookups (and so its DNS flows) endlessly: on the flow-heavy benchmark 641 k DNS
   * records are ~3 k distinct subjects. Each memo is bounded: it starts over at MAX_MEMO_SUBJECTS.
   * DNS records have their own, so that flows to ever new addresses (each a subject of its own)
   * do not keep pushing the few lookup subjects out.
   */
  readonly #flowMemo = new SubjectMemo();
  readonly #dnsMemo = new SubjectMemo();
  /**
   * Subjects are filled in here (one for flows, one for DNS records) and copied only when the
   * memo does not know them: building a fresh subject per record was ~240 MB of garbage on the
   * first 300 MB of flow-heavy with a pack, though most records are found in the memo.
   */
  readonly #flowScratch = emptySubject();
  readonly #dnsScratch = emptySubject();

  /**
   * Throws `RulesSwitchError` (EA_RULES_SWITCH) for a switch no pack has or a value it does not
   * allow. `answerGraceSeconds`: how long past its TTL an answer still names flows (the replay's
   * --dns-grace), which is also how long after a lookup a connection to its answer credits it.
   */
  constructor(packs: readonly RulePack[], switches: SwitchSettings = {}, readonly answerGraceSeconds = DEFAULT_ANSWER_GRACE_SECONDS) {
    this.packs = Object.freeze([...packs]);
    for (const [name, value] of Object.entries(switches)) {
      const owners = packs.filter((p) => p.switches.has(name));
      const known = packs.flatMap((p) => [...p.switches.values()].map((s) => `${s.name}=${s.values.join('|')}`));
      if (owners.length === 0) throw new RulesSwitchError(`--set ${name}: no loaded rule pack has a switch '${name}'`, `switches: ${known.join(', ') || '(none)'}`);
      for (const p of owners) {
        const sw = p.switches.get(name)!;
        if (!sw.values.includes(value)) throw new RulesSwitchError(`--set ${name}=${value}: pack ${p.name} allows ${sw.values.join(', ')}`, `write e.g. --set ${name}=${sw.values[0]}`);
      }
    }
    const effective = new Map<string, Map<string, string>>();
    const packOf = new Map<CompiledRule, RulePack>();
    const allow: CompiledRule[] = [];
    const deny: CompiledRule[] = [];
    for (const p of packs) {
      const values = new Map<string, string>();
      for (const sw of p.switches.values()) values.set(sw.name, switches[sw.name] ?? sw.default);
      effective.set(p.name, values);
      for (const r of p.rules) {
        if (!Object.entries(r.when).every(([k, v]) => values.get(k) === v)) continue;
        packOf.set(r, p);
        (r.kind === 'deny' ? deny : allow).push(r);
      }
    }
    this.switches = effective;
    this.#allow = Object.freeze(allow);
    this.#deny = Object.freeze(deny);
    this.#packOf = packOf;
    this.#nameFreeRules = new Set(allow.filter((r) => r.anyHost || r.domains === null).map((r) => ruleKey(r.pack, r.id)));
    const speaksLocal = (r: CompiledRule) =>
      r.direction === 'local' || (r.app !== null && ['mdns', 'llmnr', 'dhcp'].includes(r.app)) || r.addresses.literals.some((l) => isLocalScopeAddress(l.address));
    this.#judgesLocal = packs.some((p) => p.local === 'judge' || (p.local === 'auto' && [...allow, ...deny].some((r) => packOf.get(r) === p && speaksLocal(r))));
    this.#judgesLocalTcp = this.#judgesLocal || packs.every((p) => p.local !== 'ignore');
    Object.freeze(this);
  }

  /** Active rules (switch conditions applied), allow rules then deny rules. */
  get activeRules(): readonly CompiledRule[] {
    return [...this.#allow, ...this.#deny];
  }

  /** Verdict fields for one flow record. Pure: same flow, same answer. */
  judgeFlow(flow: FlowRecord): Required<VerdictFields> {
    if (flow.foreign === true) return notTheDevice(`${flow.device_ip} port ${flow.device_port} to ${flow.remote_ip} port ${flow.remote_port}`);
    return this.#judgeMemo(this.#flowMemo, fillFlowSubject(this.#flowScratch, flow)).fields;
  }

  /**
   * The rule an undeclared record was held against: the one its explanation names (with several
   * on the port, the one whose check got furthest); null when no rule documents its port, or it
   * is another host's. For reports (a finding's document line), from the same outcome memo.
   */
  heldAgainst(rec: FlowRecord | DnsRecord): CompiledRule | null {
    if (rec.foreign === true) return null;
    const out = rec.type === 'flow'
      ? this.#judgeMemo(this.#flowMemo, fillFlowSubject(this.#flowScratch, rec))
      : this.#judgeMemo(this.#dnsMemo, fillDnsSubject(this.#dnsScratch, rec));
    return out.nearest;
  }

  /**
   * Verdict fields for one DNS query record, judged as an egress lookup from the client to the
   * server (local when sent to a multicast group). With `ctx.answerContactedBy`, a query the
   * DNS rule covers except for its name is declared: it served a declared connection.
   */
  judgeDns(dns: DnsRecord, ctx: DnsJudgeContext = {}): Required<VerdictFields> {
    if (dns.foreign === true) return notTheDevice(`the lookup of ${dns.qname} from ${dns.client_ip} to ${dns.server_ip}`);
    const out = this.#judgeMemo(this.#dnsMemo, fillDnsSubject(this.#dnsScratch, dns));
    const f = out.fields;
    const via = ctx.answerContactedBy;
    if (f.verdict === 'undeclared' && f.reasons[0] === 'name-not-documented' && out.nearest && via) {
      const r = out.nearest;
      return {
        verdict: 'declared',
        rule: r.id,
        pack: r.pack,
        reasons: [],
        explanation: `Rule ${r.id} (${loc(r)}) covers this lookup of ${dns.qname}: an address answered for the name was then contacted by flow ${via.flowId}, declared by rule ${via.rule}, which names no host names.`,
      };
    }
    return f;
  }

  /**
   * Judges a whole run: every flow, then every DNS record (a query whose answered address is
   * contacted by a declared egress flow of the same device counts as declared), then DNS flows
   * whose queries are all declared. Returns copies with verdict fields; inputs are untouched.
   */
  judgeRun(flows: readonly FlowRecord[], dnsRecords: readonly DnsRecord[], opts: JudgeRunOptions = {}): JudgedRun {
    const v = this.judgeRunVerdicts(flows, dnsRecords, opts);
    return {
      flows: flows.map((f, i) => ({ ...f, ...v.flows[i] })),
      dns: dnsRecords.map((d, i) => ({ ...d, ...v.dns[i] })),
    };
  }

  /**
   * `judgeRun` without the copies: the verdict fields of each flow and DNS record, in input
   * order, for a caller that owns the records and sets the fields itself (the streaming policy
   * stage). Spreading each record and its verdict into a copy cost ~3 µs a record (measured on
   * the benchmark capture with a rule pack: 144 ms for 50 k records, plus their garbage).
   */
  judgeRunVerdicts(flows: readonly FlowRecord[], dnsRecords: readonly DnsRecord[], opts: JudgeRunOptions = {}): { flows: Required<VerdictFields>[]; dns: Required<VerdictFields>[] } {
    const flowVerdicts = flows.map((f) => this.judgeFlow(f));
    const contacts = opts.contacts ?? [];
    const deviceIps = new Set(opts.deviceIps ?? [...contacts, ...flows].map((f) => f.device_ip));
    // One key per device: a dual-stack device asks over IPv4 and connects over IPv6.
    const deviceKey = (ip: string) => (deviceIps.has(ip) ? '\u0000device' : ip);

    // A lookup of a CNAME's target (cname_of) is pooled with the name it continues.
    const nameKey = (d: DnsRecord) => {
      const n = d.cname_of ?? d.qname;
      return `${deviceKey(d.client_ip)}\u0000${normalizeDomainName(n) ?? n}`;
    };

    // Addresses the queries of this run were answered with: only contacts to them can credit one.
    const answered = new Set<string>();
    for (const d of dnsRecords) for (const a of d.answers) if (a.type === 'A' || a.type === 'AAAA') answered.add(a.data);
    // Declared egress flows to those addresses, by remote address, earliest first: contacts, then
    // flows. (Keyed by the address alone, with the device compared on lookup: indexing every
    // contact under a (device, address) string cost a string and a list per contact per flush.)
    // Only flows declared by a rule that names no host names (any host, or addresses only)
    // credit a lookup: such a rule ("Ookla on 8080 to arbitrary speedtest hostnames", "peers in
    // 203.0.113.0/24") leaves the names a device looks up out of the document, while a rule that
    // lists names lists the names to look up too, so a lookup of another name that shares an
    // address stays undeclared ("query names must be whitelisted").
    const byAddress = new Map<string, Contact[]>();
    const contact = (flow: ContactFlow, verdict: string | undefined, rule: string | null | undefined, pack: string | null | undefined): void => {
      if (flow.direction !== 'egress' || verdict !== 'declared' || rule === null || rule === undefined || !answered.has(flow.remote_ip)) return;
      if (!this.#nameFreeRules.has(ruleKey(pack ?? null, rule))) return;
      const entry = { device: deviceKey(flow.device_ip), flow, rule, pack: pack ?? null };
      const list = byAddress.get(flow.remote_ip);
      if (list === undefined) byAddress.set(flow.remote_ip, [entry]);
      else list.push(entry);
    };
    for (const c of contacts) contact(c, c.verdict, c.rule, c.pack);
    flows.forEach((flow, i) => contact(flow, flowVerdicts[i].verdict, flowVerdicts[i].rule, flowVerdicts[i].pack));
    // Each lookup is credited by a declared flow that contacted an address answered for its name
    // (to the same device) after the lookup, while the answer still names flows (its TTL plus
    // the grace): "a name whose answer is then contacted", in the window in which that
    // connection is given the name. Addresses are pooled per (device, name), so a lookup whose
    // own answer was empty (the AAAA beside a used A) or came from a cache is credited by the
    // connection it led to. A later lookup of the name that leads nowhere, or only to an
    // undocumented port, stays undeclared even when an earlier one was followed.
    const served: (NonNullable<DnsJudgeContext['answerContactedBy']> | null)[] = new Array<NonNullable<DnsJudgeContext['answerContactedBy']> | null>(dnsRecords.length).fill(null);
    if (byAddress.size > 0) {
      // One key per record, made once: normalising a name costs ~1 µs when it is new (a flood
      // of new names with a pack spent ~2 s of 25 in it, making each key twice).
      const byName = new Map<string, number[]>();
      dnsRecords.forEach((d, j) => {
        const k = nameKey(d);
        const list = byName.get(k);
        if (list === undefined) byName.set(k, [j]);
        else list.push(j);
      });
      // Each address's contacts by start time, sorted once, so that a device looking a name up
      // thousands of times in a batch finds each lookup's contact by bisection.
      const sorted = new Set<string>();
      const sortedContacts = (addr: string): Contact[] => {
        const list = byAddress.get(addr)!;
        if (!sorted.has(addr)) {
          list.sort((x, y) => x.flow.first_ts - y.flow.first_ts);
          sorted.add(addr);
        }
        return list;
      };
      for (const list of byName.values()) {
        const addresses = new Set<string>();
        let ttl = 0;
        for (const j of list) {
          for (const a of dnsRecords[j].answers) {
            if (a.type !== 'A' && a.type !== 'AAAA') continue;
            const at = effectiveTtl(a.ttl);
            if (at > ttl) ttl = at;
            if (byAddress.has(a.data)) addresses.add(a.data);
          }
        }
        if (addresses.size === 0) continue;
        const device = deviceKey(dnsRecords[list[0]].client_ip);
        const window = ttl + this.answerGraceSeconds;
        for (const j of list) {
          const d = dnsRecords[j];
          let hit: Contact | undefined;
          for (const addr of addresses) {
            hit = firstContactIn(sortedContacts(addr), device, d.ts - 1e-3, d.ts + window);
            if (hit) break;
          }
          if (hit) served[j] = { flowId: hit.flow.id, rule: hit.rule, pack: hit.pack };
        }
      }
    }
    const dnsVerdicts = dnsRecords.map((d, j) => this.judgeDns(d, { answerContactedBy: served[j] }));

    // A DNS flow is declared when every query it carried is.
    const tuple = (proto: string, cip: string, cport: number, sip: string, sport: number) => `${proto} ${cip} ${cport} ${sip} ${sport}`;
    const carriedBy = new Map<string, Required<VerdictFields>[]>();
    dnsRecords.forEach((d, j) => {
      const k = d.flow_id !== undefined ? `#${d.flow_id}` : tuple(d.proto, d.client_ip, d.client_port, d.server_ip, d.server_port);
      const list = carriedBy.get(k) ?? [];
      list.push(dnsVerdicts[j]);
      carriedBy.set(k, list);
    });
    flows.forEach((flow, i) => {
      const v = flowVerdicts[i];
      if (v.verdict !== 'undeclared' || v.reasons[0] !== 'name-not-documented' || flow.dns_names === null) return;
      const carried = carriedBy.get(`#${flow.id}`) ?? carriedBy.get(tuple(flow.proto, flow.device_ip, flow.device_port, flow.remote_ip, flow.remote_port)) ?? [];
      if (carried.length === 0 || !carried.every((c) => c.verdict === 'declared' && c.rule !== null)) return;
      const first = carried[0];
      flowVerdicts[i] = {
        verdict: 'declared',
        rule: first.rule,
        pack: first.pack,
        reasons: [],
        explanation: `Rule ${first.rule} covers this DNS flow: each of its ${carried.length} queries names a documented host or served a declared connection.`,
      };
    });
    return { flows: flowVerdicts, dns: dnsVerdicts };
  }

  /** The outcome for `s` (a scratch subject, read here and not kept) from the memo, judged and kept when new. */
  #judgeMemo(memo: SubjectMemo, s: Subject): Outcome {
    const hash = memoHashing.hash(s);
    let out = memo.get(hash, s);
    if (out === null) {
      const own = copySubject(s);
      const o = this.#judge(own);
      Object.freeze(o.fields.reasons);
      out = Object.freeze({ nearest: o.nearest, fields: Object.freeze(o.fields) });
      memo.set(hash, own, out);
    }
    return out;
  }

  #judge(s: Subject): Outcome {
    const out = this.#judgeRules(s);
    return out.fields.verdict === 'declared' && out.fields.rule === null ? out : withResolverNotConfigured(this.#addModernReasons(out, s), s);
  }

  /**
   * Issue 7 reasons on top of the rule verdict: encrypted-client-hello (ECH that hides the name,
   * unless the pack of the rule concerned accepts ECH), resolver-bypass (encrypted DNS not
   * declared explicitly) and protocol-mismatch (content against the port's convention, when no
   * rule said it already). A flow a rule would declare becomes undeclared with these reasons.
   */
  #addModernReasons(out: Outcome, s: Subject): Outcome {
    const f = out.fields;
    const r = out.nearest;
    const declaring = f.verdict === 'declared' ? r : null;
    const extra: ReasonCode[] = [];
    const notes: string[] = [];
    if (s.ech.kind === 'hidden') {
      const pack = r ? this.#packOf.get(r) : undefined;
      const accepted = pack ? pack.ech === 'allowed' : this.packs.some((p) => p.ech === 'allowed');
      const outer = s.sni ? `${s.sni} is only the outer SNI, the public name of the ECH provider, and the real server name is hidden` : 'the real server name is hidden';
      if (accepted) notes.push(`The ClientHello is encrypted (ECH: ${s.ech.why}): ${outer}; ${pack ? `pack ${pack.name}` : 'a loaded pack'} accepts ECH (ech: allowed).`);
      else {
        extra.push('encrypted-client-hello');
        notes.push(`The ClientHello is encrypted (ECH: ${s.ech.why}): ${outer}, and ${pack ? `pack ${pack.name}` : 'no loaded pack'} does not accept ECH (set \`ech: allowed\` if the vendor documents it).`);
      }
    } else if (s.ech.kind === 'grease') {
      notes.push(`The ClientHello carries an ECH extension, but ${s.ech.why}.`);
    }
    if (s.encryptedDns !== null) {
      const what = ENCRYPTED_DNS_TEXT[s.encryptedDns];
      if (declaring && (ENCRYPTED_DNS_APPS.has(declaring.app ?? '') || !declaring.anyHost)) {
        notes.push(`This is ${what}, declared explicitly by rule ${declaring.id}.`);
      } else {
        extra.push('resolver-bypass');
        notes.push(`This is ${what}: encrypted DNS bypasses the resolver the network provides and watches${declaring ? `, and rule ${declaring.id} covers it only through \`hosts: any\`` : ''}; a rule that names the resolver in \`hosts:\` or says \`app: ${s.encryptedDns}\` declares it.`);
      }
    }
    if (f.verdict === 'undeclared' && s.mismatch !== null && !f.reasons.includes('protocol-mismatch')) {
      extra.push('protocol-mismatch');
      notes.push(s.mismatch.text);
    }
    if (notes.length === 0) return out;
    if (declaring && extra.length > 0) {
      const would = f.explanation.replace(/^Rule (\S+) \(([^)]*)\) declares/, 'Rule $1 ($2) would declare');
      return { nearest: r, fields: { verdict: 'undeclared', rule: null, pack: null, reasons: extra, explanation: `${would} ${notes.join(' ')}` } };
    }
    const reasons = [...f.reasons];
    for (const e of extra) if (!reasons.includes(e)) reasons.push(e);
    return { nearest: r, fields: { ...f, reasons, explanation: `${f.explanation} ${notes.join(' ')}` } };
  }

  #judgeRules(s: Subject): Outcome {
    if (s.direction === 'local' && !(s.proto === 'tcp' ? this.#judgesLocalTcp : this.#judgesLocal)) {
      return {
        nearest: null,
        fields: {
          verdict: 'declared',
          rule: null,
          pack: null,
          reasons: [],
          explanation: `Local-network traffic to ${s.remoteIp} port ${s.remotePort} is not judged: no loaded pack has rules for the local network (set \`local: judge\` to judge it).`,
        },
      };
    }
    const portOf = (r: CompiledRule) => (r.direction === 'inbound' ? s.devicePort : s.remotePort);
    const dirOk = (r: CompiledRule) => r.direction === s.direction || (s.direction === 'local' && r.kind !== 'deny') || (r.direction === 'local' && s.direction === 'local');

    for (const r of this.#deny) {
      if (!dirOk(r) || !r.protos.has(s.proto) || !r.ports.has(portOf(r))) continue;
      // A deny rule that names an app forbids that content: a connection that carried none (an
      // empty TCP connection to the port) did not do what it forbids. An allow rule is kinder to
      // such a connection (#check), since it does nothing the rule does not allow.
      if (r.app !== null && (isContentless(s.app) || !appMatches(r.app, s.app, s))) continue;
      if (!r.anyHost && !this.#denyHostsMatch(r, s)) continue;
      // An allow rule (of another pack, or of the same one) that would have declared this: the
      // explanation names what the deny overrode, so a reader of two documents sees the conflict.
      const allowed = this.#judgeAllowRules(s, portOf, dirOk).fields;
      const overrode = allowed.verdict === 'declared' && allowed.rule !== null
        ? this.#allow.find((a) => a.id === allowed.rule && a.pack === allowed.pack) ?? null
        : null;
      return {
        nearest: r,
        fields: {
          verdict: 'undeclared',
          rule: r.id,
          pack: r.pack,
          reasons: ['explicitly-disabled'],
          explanation: `Rule ${r.id} (${loc(r)}) says this is disabled: ${sentence(r.description)}` + (overrode === null ? '' : ` ${overriddenText(r, overrode)}`),
        },
      };
    }
    return this.#judgeAllowRules(s, portOf, dirOk);
  }

  /** #judgeRules past the deny rules: the allow rules on the subject's port decide. */
  #judgeAllowRules(s: Subject, portOf: (r: CompiledRule) => number, dirOk: (r: CompiledRule) => boolean): Outcome {
    const sameProto = this.#allow.filter((r) => dirOk(r) && r.protos.has(s.proto) && r.ports.has(portOf(r)));
    if (sameProto.length > 0) {
      const failures: Failure[] = [];
      for (const r of sameProto) {
        const f = this.#check(r, s, false);
        if (f === null) return declared(r, s);
        failures.push(f);
      }
      return undeclared(failures, []);
    }

    const otherProto = this.#allow.filter((r) => dirOk(r) && r.ports.has(portOf(r)));
    if (otherProto.length > 0) {
      const failures: Failure[] = [];
      let wouldMatch = false;
      for (const r of otherProto) {
        const accepted = this.#transportAccepted(r, s);
        const f = this.#check(r, s, true);
        if (f === null && accepted) return declared(r, s);
        if (f === null) wouldMatch = true;
        else failures.push(f);
      }
      // Secondary reasons only when no rule would have matched over the documented transport.
      if (wouldMatch) failures.length = 0;
      const r = otherProto[0];
      const other = s.proto === 'udp' ? 'TCP' : 'UDP';
      const what = s.app === 'quic' ? 'QUIC' : s.app !== null && CONTENT_APPS.has(s.app) ? `${appText(s.app)} over ${s.proto.toUpperCase()}` : s.proto.toUpperCase();
      const primary: Failure = {
        reason: 'transport-not-documented',
        stage: 9,
        rule: r,
        detail: () => `${what} to ${subjectLabel(s)} port ${portOf(r)} is not documented: rule ${r.id} (${loc(r)}) documents that port over ${other} only.`,
      };
      return undeclared([primary], failures);
    }

    const reason: ReasonCode = s.direction === 'inbound' ? 'inbound-not-documented' : 'port-not-documented';
    const explanation =
      s.direction === 'inbound'
        ? `No inbound rule documents ${s.proto.toUpperCase()} port ${s.devicePort} on the device (connection from ${s.remoteIp}).`
        : `No rule documents ${s.direction} ${s.proto.toUpperCase()} port ${s.remotePort} (to ${subjectLabel(s)}).`;
    return { nearest: null, fields: { verdict: 'undeclared', rule: null, pack: null, reasons: [reason], explanation } };
  }

  /** True when the pack of `r` accepts this subject's transport in place of the rule's. */
  #transportAccepted(r: CompiledRule, s: Subject): boolean {
    const pack = this.#packOf.get(r);
    if (!pack) return false;
    if (s.proto === 'udp' && s.app === 'quic' && r.protos.has('tcp')) return pack.transports.quic === 'allowed' && (r.app === null || r.app === 'tls' || r.app === 'doh');
    if (s.proto === 'tcp' && (s.app === 'dns' || isContentless(s.app)) && r.protos.has('udp') && r.app === 'dns') return pack.transports.dnsOverTcp === 'allowed';
    return false;
  }

  /** Null when `r` declares `s` (ports/proto already checked), else why not. */
  #check(r: CompiledRule, s: Subject, otherTransport: boolean): Failure | null {
    const app = otherTransport && s.app === 'quic' ? 'tls' : s.app;
    const port = s.direction === 'inbound' ? s.devicePort : s.remotePort;
    if (r.app !== null && !isContentless(app) && !appMatches(r.app, app, s)) {
      return { reason: 'protocol-mismatch', stage: 1, rule: r, also: this.#checkNames(r, s), detail: () => `Rule ${r.id} (${loc(r)}) documents port ${port} for ${r.app}, but this flow to ${subjectLabel(s)} carries ${s.app}.` };
    }
    const mismatch = s.mismatch;
    if (r.app === null && mismatch !== null) {
      return { reason: 'protocol-mismatch', stage: 1, rule: r, also: this.#checkNames(r, s), detail: () => `Rule ${r.id} (${loc(r)}) documents port ${port} without naming a protocol, so the port's usual one is expected (${subjectLabel(s)}). ${mismatch.text}` };
    }
    const resolvers = r.resolvers;
    if (resolvers !== null && !resolvers.has(s.remoteIp)) {
      return { reason: 'resolver-bypass', stage: 2, rule: r, detail: () => `Rule ${r.id} (${loc(r)}) documents DNS only to ${resolvers.literals.map((l) => l.text).join(', ')}, not ${s.remoteIp}.` };
    }
    return this.#checkNames(r, s);
  }

  /**
   * True when a deny rule's hosts take in the subject: its address, or any name it has (SNI or
   * Host, DNS answer, query). A deny fires on any name that matches — a name that DNS answered
   * for another host does not shield a forbidden SNI — where an allow needs every name to.
   */
  #denyHostsMatch(r: CompiledRule, s: Subject): boolean {
    if (r.addresses.has(s.remoteIp)) return true;
    const d = r.domains;
    if (d === null) return false;
    return s.strong.some((n) => d.matches(n)) || s.answers.some((n) => d.matches(n)) || s.queries.some((n) => d.matches(n))
      || (s.srvName !== null && d.matches(s.srvName));
  }

  #checkNames(r: CompiledRule, s: Subject): Failure | null {
    if (r.anyHost || r.addresses.has(s.remoteIp)) return null;
    const port = s.direction === 'inbound' ? s.devicePort : s.remotePort;
    const m = (n: string) => r.domains !== null && r.domains.matches(n);
    const notListed = (n: string): Failure => ({
      reason: 'name-not-documented',
      stage: STAGE['name-not-documented']!,
      rule: r,
      unlisted: n,
      detail: () => `Port ${port} is documented by rule ${r.id} (${loc(r)}) only for ${hostsText(r)}; ${n} is not listed.`,
    });
    if (r.domains === null) {
      return { ...notListed(s.remoteIp), detail: () => `Port ${port} is documented by rule ${r.id} (${loc(r)}) only for ${hostsText(r)}; ${s.remoteIp} is not among them.` };
    }
    if (s.strong.length > 0) {
      const bad = s.strong.find((n) => !m(n));
      if (bad !== undefined) return notListed(bad);
      if (s.answers.length > 0 && !s.answers.some(m)) {
        return {
          reason: 'sni-dns-mismatch',
          stage: STAGE['sni-dns-mismatch']!,
          rule: r,
          detail: () => `The name ${s.strong[0]} matches rule ${r.id} (${loc(r)}), but ${s.remoteIp} was answered by DNS for ${[...new Set(s.answers)].join(', ')}.`,
        };
      }
      return null;
    }
    if (s.queries.length > 0) {
      const bad = s.queries.find((n) => !m(n));
      if (bad === undefined || (s.srvName !== null && m(s.srvName))) return null;
      return notListed(bad);
    }
    if (s.answers.length > 0) return s.answers.some(m) ? null : notListed([...new Set(s.answers)].join(', '));
    return {
      reason: 'no-attributable-name',
      stage: STAGE['no-attributable-name']!,
      rule: r,
      detail: () => `Rule ${r.id} (${loc(r)}) documents port ${port} only for ${hostsText(r)}, and this flow to ${s.remoteIp} has no name (no SNI, Host or DNS answer).` +
        (s.certNames.length > 0 ? ` The server presented a certificate for ${s.certNames.join(', ')}: the server's claim, not a name the device asked for, so no rule is matched against it.` : ''),
    };
  }
}

/** "It overrides rule A of pack P (file:line; document: <source>), which allows it: ..." (a deny rule that wins over an allow). */
function overriddenText(deny: CompiledRule, allow: CompiledRule): string {
  const doc = allow.implied ? `implied: ${allow.source}` : `document: ${allow.source}`;
  const where = allow.pack === deny.pack ? 'of the same pack' : `of pack ${allow.pack}`;
  return `It overrides rule ${allow.id} ${where} (${loc(allow)}; ${doc}), which allows it: a deny rule wins over every allow.`;
}

function declared(r: CompiledRule, s: Subject): Outcome {
  const port = r.direction === 'inbound' ? s.devicePort : s.remotePort;
  return {
    nearest: r,
    fields: {
      verdict: 'declared',
      rule: r.id,
      pack: r.pack,
      reasons: [],
      explanation: `Rule ${r.id} (${loc(r)}) declares ${s.proto.toUpperCase()} port ${port} ${r.direction === 'inbound' ? `from ${s.remoteIp}` : `to ${subjectLabel(s)}`}: ${sentence(r.description)}`,
    },
  };
}

/** The default of `PolicyEngine.answerGraceSeconds`: the DNS cache's default grace (5 min). */
export const DEFAULT_ANSWER_GRACE_SECONDS = DEFAULT_DNS_GRACE_MICROS / 1e6;

/** A declared egress flow that may credit lookups of the addresses it went to (judgeRunVerdicts). */
interface Contact { device: string; flow: ContactFlow; rule: string; pack: string | null }

/** The earliest contact of `device` that started in [from, until], in `list` sorted by start. */
function firstContactIn(list: readonly Contact[], device: string, from: number, until: number): Contact | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].flow.first_ts < from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < list.length && list[i].flow.first_ts <= until; i++) if (list[i].device === device) return list[i];
  return undefined;
}

/** Main failure first (furthest stage, then rule order), other distinct reasons after it (a name failure behind protocol mismatches right after the main one). */
function undeclared(primary: Failure[], secondary: Failure[]): Outcome {
  const all = [...primary, ...secondary];
  let best = all[0];
  for (const f of primary) if (f.stage > best.stage) best = f;
  if (primary.length === 0) for (const f of all) if (f.stage > best.stage) best = f;
  const reasons: string[] = [best.reason];
  for (const f of [...all].sort((a, b) => b.stage - a.stage)) if (!reasons.includes(f.reason)) reasons.push(f.reason);
  // Several rules document the port, each for other names: the explanation names each of them
  // and what it does not list (one rule alone read as "documented only for", which was false).
  if (best.reason === 'name-not-documented') {
    const peers = primary.filter((f) => f.reason === 'name-not-documented' && f.stage === best.stage && f.unlisted !== undefined);
    if (new Set(peers.map((f) => f.rule)).size > 1) best = { ...best, detail: () => severalRulesText(peers) };
  }
  // A name reason behind protocol mismatches only when every rule failed that way and none of
  // them would take the flow's names (one that would makes the protocol the only finding); the
  // furthest name failure is the one listed and explained, as for the main reason.
  let also: Failure | null = null;
  for (const f of all) {
    if (!f.also) return withReasons(best, reasons, null);
    if (also === null || f.also.stage > also.stage) also = f.also;
  }
  return withReasons(best, reasons, also);
}

/** "Port P is documented by N rules, none for every name: rule A (loc) for H, not N1; ..." (name-not-documented under several rules). */
function severalRulesText(peers: readonly Failure[]): string {
  const seen = new Set<CompiledRule>();
  const parts: string[] = [];
  for (const f of peers) {
    if (seen.has(f.rule) || parts.length >= 6) continue;
    seen.add(f.rule);
    parts.push(`rule ${f.rule.id} (${loc(f.rule)}) for ${hostsText(f.rule)}, which does not list ${f.unlisted}`);
  }
  const more = new Set(peers.map((f) => f.rule)).size - parts.length;
  return `This port is documented by ${seen.size + more} rules, none of which lists every name of this traffic: ${parts.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`;
}

/** The undeclared outcome of `best`, with `also` (a name failure behind it) second in `reasons` and explained after it. */
function withReasons(best: Failure, reasons: string[], also: Failure | null): Outcome {
  if (also !== null && !reasons.includes(also.reason)) reasons.splice(1, 0, also.reason);
  const explanation = also !== null ? `${best.detail()} ${also.detail()}` : best.detail();
  return { nearest: best.rule, fields: { verdict: 'undeclared', rule: null, pack: null, reasons, explanation } };
}

/** Subjects whose outcome PolicyEngine keeps, per memo (a few MB of verdict fields at most). */
const MAX_MEMO_SUBJECTS = 4096;

/**
 * Outcomes by subject, found by a hash of the subject and confirmed field by field (sameSubject),
 * so a lookup allocates nothing. (A string key joining the fields was the first version: it made
 * 460 MB of garbage on flow-heavy with a pack, the run's largest allocator.) Starts over when
 * full.
 */
class SubjectMemo {
  private readonly buckets = new Map<number, { s: Subject; out: Outcome }[]>();
  private size = 0;

  get(hash: number, s: Subject): Outcome | null {
    const b = this.buckets.get(hash);
    if (b !== undefined) for (const e of b) if (sameSubject(e.s, s)) return e.out;
    return null;
  }

  set(hash: number, s: Subject, out: Outcome): void {
    if (this.size >= MAX_MEMO_SUBJECTS) {
      this.buckets.clear();
      this.size = 0;
    }
    const b = this.buckets.get(hash);
    if (b === undefined) this.buckets.set(hash, [{ s, out }]);
    else b.push({ s, out });
    this.size++;
  }
}

/**
 * Whether two subjects are alike in every field the rules can look at: all of them, except the
 * device port of an egress subject, which only inbound rules read and an egress subject never
 * meets (#judgeRules' dirOk). Leaving it out is what lets flows from ephemeral ports share an
 * outcome.
 */
function sameSubject(a: Subject, b: Subject): boolean {
  return a.direction === b.direction && a.proto === b.proto && a.remotePort === b.remotePort
    && (a.direction === 'egress' || a.devicePort === b.devicePort)
    && a.app === b.app && a.remoteIp === b.remoteIp && a.sni === b.sni && a.encryptedDns === b.encryptedDns
    && a.ech.kind === b.ech.kind && a.ech.why === b.ech.why
    && (a.mismatch === b.mismatch || (a.mismatch !== null && b.mismatch !== null && a.mismatch.found === b.mismatch.found && a.mismatch.text === b.mismatch.text))
    && sameList(a.strong, b.strong) && sameList(a.answers, b.answers) && sameList(a.queries, b.queries) && sameList(a.certNames, b.certNames)
    && a.srvName === b.srvName;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The memo's hash. A seam for tests only: they make every subject collide (a constant hash) so
 * that sameSubject alone must tell subjects apart.
 */
export const memoHashing: { hash: (s: Subject) => number } = { hash: subjectHash };

/** A 32-bit hash of the fields sameSubject compares (FNV-1a over their characters), allocation-free. */
function subjectHash(s: Subject): number {
  let h = 0x811c9dc5;
  h = hashText(h, s.direction);
  h = hashText(h, s.proto);
  h = Math.imul(h ^ s.remotePort, 0x01000193);
  if (s.direction !== 'egress') h = Math.imul(h ^ s.devicePort, 0x01000193);
  h = hashText(h, s.app ?? '');
  h = hashText(h, s.remoteIp);
  h = hashText(h, s.sni ?? '');
  for (const n of s.strong) h = hashText(h, n);
  for (const n of s.answers) h = hashText(h, n);
  for (const n of s.queries) h = hashText(h, n);
  for (const n of s.certNames) h = hashText(h, n);
  if (s.srvName !== null) h = hashText(h, s.srvName);
  return Math.imul(h ^ (s.strong.length + 16 * s.answers.length + 256 * s.queries.length), 0x01000193) >>> 0;
}

function hashText(h: number, t: string): number {
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ 0xff, 0x01000193);
}

function emptySubject(): Subject {
  return {
    direction: 'egress', proto: 'tcp', app: null, devicePort: 0, remotePort: 0, remoteIp: '',
    strong: [], answers: [], queries: [], mismatch: null, ech: NO_ECH, encryptedDns: null, sni: null, certNames: [], srvName: null,
  };
}

/** A subject of its own (its lists copied), for the memo to keep. */
function copySubject(s: Subject): Subject {
  return {
    direction: s.direction, proto: s.proto, app: s.app, devicePort: s.devicePort, remotePort: s.remotePort, remoteIp: s.remoteIp,
    strong: s.strong.slice(), answers: s.answers.slice(), queries: s.queries.slice(), mismatch: s.mismatch, ech: s.ech,
    encryptedDns: s.encryptedDns, sni: s.sni, certNames: s.certNames.slice(), srvName: s.srvName,
  };
}

/** Fills `s` with what the rules read of a flow record; returns it. */
function fillFlowSubject(s: Subject, flow: FlowRecord): Subject {
  const strong = s.strong;
  const answers = s.answers;
  const queries = s.queries;
  strong.length = 0;
  answers.length = 0;
  queries.length = 0;
  if (flow.names) {
    for (const c of flow.names) {
      // An address literal in SNI or Host is no name (the flow is judged as an IP literal).
      if (c.source === 'sni' || c.source === 'quic-sni' || c.source === 'http-host' || c.source === 'socks-host') { if (!isAddressLiteral(c.name)) strong.push(c.name); }
      else if (c.source === 'dns-answer') answers.push(c.name);
      else if (c.source === 'dns-query') queries.push(c.name);
    }
  }
  // Records built without `names` still carry the facts in their own fields.
  if (strong.length === 0) {
    // Not a hello the remote sent (tls_client: a name only where `names` says so).
    if (flow.sni && flow.tls_client === undefined && !isAddressLiteral(flow.sni)) strong.push(flow.sni);
    if (flow.http_host && !isAddressLiteral(flow.http_host)) strong.push(flow.http_host);
  }
  if (queries.length === 0 && flow.dns_names) for (const n of flow.dns_names) queries.push(n);
  dropRepeats(strong);
  dropRepeats(queries);
  const servicePort = flow.direction === 'inbound' ? flow.device_port : flow.remote_port;
  s.direction = flow.direction;
  s.proto = flow.proto;
  s.app = flow.app;
  s.devicePort = flow.device_port;
  s.remotePort = flow.remote_port;
  // A unicast reply to a multicast mDNS/LLMNR query is judged as the exchange it belongs to.
  s.remoteIp = flow.reply_group ?? flow.remote_ip;
  s.mismatch = checkPortConvention(flow.proto, servicePort, flow.app, flow.direction === 'egress' && !isLocalScopeAddress(flow.remote_ip));
  // A local flow's server may be either side (an SSH session from the LAN to the device's port
  // 22): the content contradicts the ports only when it contradicts both.
  if (s.mismatch !== null && flow.direction === 'local' && checkPortConvention(flow.proto, flow.device_port, flow.app, false) === null) s.mismatch = null;
  s.ech = assessEch(flow);
  s.encryptedDns = flow.encrypted_dns ?? null;
  s.sni = flow.sni;
  s.certNames.length = 0;
  if (flow.server_cert_names) for (const n of flow.server_cert_names) s.certNames.push(n);
  s.srvName = null;
  return s;
}

/** Removes later repeats from `a` in place, keeping first occurrences in order (lists hold a few names). */
function dropRepeats(a: string[]): void {
  if (a.length < 2) return;
  let n = 1;
  for (let i = 1; i < a.length; i++) {
    let seen = false;
    for (let j = 0; j < n; j++) if (a[j] === a[i]) { seen = true; break; }
    if (!seen) a[n++] = a[i];
  }
  a.length = n;
}

/**
 * Fills `s` with what the rules read of a DNS record (an egress lookup, or local to a multicast
 * group); returns it. A lookup the device answered (`direction: "inbound"`) is inbound traffic
 * to the device's DNS port, judged by the rules for that port; the name asked is the other
 * host's, no destination of the device's, so it is not held against rules' names.
 */
function fillDnsSubject(s: Subject, d: DnsRecord): Subject {
  const served = d.direction === 'inbound';
  const local = !served && isLocalScopeAddress(d.server_ip);
  s.strong.length = 0;
  s.answers.length = 0;
  s.queries.length = 0;
  s.srvName = null;
  if (!served) {
    // A lookup of a CNAME's target continues the lookup of the name asked: judged as that one. An
    // SRV lookup of `_service._proto.name` (RFC 2782; apt asks `_http._tcp.deb.debian.org` before
    // each fetch) asks how to reach `name`: judged as a lookup of it — or as it is, where a rule
    // lists the SRV name itself (a document that says which service record the device asks).
    const asked = d.cname_of ?? d.qname;
    if (d.qtype === 'SRV') {
      const host = srvHost(asked);
      s.queries.push(host);
      if (host !== asked) s.srvName = asked;
    } else s.queries.push(asked);
  }
  s.mismatch = served ? null : checkPortConvention(d.proto, d.server_port, d.app ?? 'dns', !local);
  s.ech = NO_ECH;
  s.encryptedDns = null;
  s.sni = null;
  s.certNames.length = 0;
  s.direction = served ? 'inbound' : local ? 'local' : 'egress';
  s.proto = d.proto;
  s.app = d.app ?? 'dns';
  s.devicePort = served ? d.server_port : d.client_port;
  s.remotePort = served ? d.client_port : d.server_port;
  s.remoteIp = served ? d.client_ip : d.server_ip;
  return s;
}

/** The host of an SRV owner name `_service._proto.host` (RFC 2782), else the name itself. */
function srvHost(name: string): string {
  const m = /^_[^.]+\._[^.]+\.(.+)$/.exec(name);
  return m !== null ? m[1] : name;
}

/** Verdict fields of a record that is not the device's traffic (`foreign`): reported, not judged. */
function notTheDevice(what: string): Required<VerdictFields> {
  return {
    verdict: 'declared', rule: null, pack: null, reasons: [],
    explanation: `Not judged: neither end of ${what} is a --device address; this is another host's traffic.`,
  };
}

/** Convenience: `new PolicyEngine(packs, switches).judgeRun(flows, dnsRecords, opts)`. */
export function judgeRun(
  packs: readonly RulePack[],
  switches: SwitchSettings,
  flows: readonly FlowRecord[],
  dnsRecords: readonly DnsRecord[],
  opts?: JudgeRunOptions,
): JudgedRun {
  return new PolicyEngine(packs, switches).judgeRun(flows, dnsRecords, opts);
}
