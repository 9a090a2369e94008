/**
 * PolicyStage: the streaming policy step between the pipeline and the renderers. Flow records
 * are judged as they arrive; DNS records are held (bounded) until the end of the run, because a
 * lookup is declared when an address from its answer is later contacted by a flow declared by a
 * rule that names no host names (PolicyEngine.judgeRunVerdicts).
 *
 * DNS flows are held too, since they are declared when all their queries are. Holding is
 * bounded (MAX_HELD_DNS_RECORDS): past it, what is held is judged with what is known so far.
 * Adds verdict fields to records and counts them; decides nothing about packets and never
 * drops a record. Which findings fail the run is chosen by `--fail-on`.
 */
import type { StageSink } from './audit';
import { Cidr, cidrContains, parseAddr } from './net/addr';
import type { RecordSink } from './pipeline';
import { PolicyEngine } from './policy';
import type { ContactFlow } from './policy/evaluate';
import type { CompiledRule } from './policy/rule-file';
import type { DnsRecord, FlowRecord } from './report/records';
import { findingLocation, type RuleLocation } from './report/model';
import { REASON_CODES } from './policy/reason-codes';

/** DNS records held for end-of-run judging; past this they are judged on arrival. */
export const MAX_HELD_DNS_RECORDS = 10_000;
/**
 * Declared egress flows kept as contacts for crediting held DNS. At the cap the oldest half is
 * dropped (the least likely to be the connection a later lookup served). Both caps keep the
 * stage's memory at a few tens of MB: at 200 k each, a 2 M-answer DNS flood judged with --rules
 * ran out of the launcher's heap cap (measured).
 */
export const MAX_CONTACTS = 20_000;

/** Live capture: declared flows are kept as contacts this long before the flush cutoff (answers reach the stage within seconds of the query). */
const LIVE_CONTACT_MARGIN_SECONDS = 60;

/** Which undeclared records fail the run (exit status 1). */
export interface FailOn {
  any: boolean;
  egress: boolean;
  inbound: boolean;
  local: boolean;
  dns: boolean;
  reasons: Set<string>;
}

/** `--fail-on` selectors and what they mean. */
export const FAIL_ON_HELP = 'any (default), none, egress, inbound, local, flows, dns, or reason codes; comma-separated';

/** Parses `--fail-on` (comma-separated selectors); returns an error message for an unknown one. */
export function parseFailOn(text: string | undefined): FailOn | string {
  const f: FailOn = { any: false, egress: false, inbound: false, local: false, dns: false, reasons: new Set() };
  const items = (text ?? 'any').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  // An empty value is a mistake (an unset variable in `--fail-on "$FAIL_ON"`), never "none":
  // it would turn a CI gate off without a word.
  if (items.length === 0) return `--fail-on '${text ?? ''}': expected ${FAIL_ON_HELP}`;
  if (items.includes('none') && items.length > 1) return `--fail-on ${text}: 'none' cannot be combined with other findings`;
  for (const it of items) {
    if (it === 'any') f.any = true;
    else if (it === 'none') continue;
    else if (it === 'egress' || it === 'inbound' || it === 'local' || it === 'dns') f[it] = true;
    else if (it === 'flows') { f.egress = true; f.inbound = true; f.local = true; }
    else if ((REASON_CODES as readonly string[]).includes(it)) f.reasons.add(it);
    else return `--fail-on ${it}: expected ${FAIL_ON_HELP}`;
  }
  return f;
}

/** Judges records against the packs and forwards them. */
export class PolicyStage implements StageSink {
  private heldDns: DnsRecord[] = [];
  private heldDnsFlows: FlowRecord[] = [];
  /** Declared egress flows already forwarded, as the fields that credit a lookup (bounded), so held DNS can be credited with them. */
  private contacts: ContactFlow[] = [];
  private readonly deviceIps = new Set<string>();
  /** Queries judged while their DNS flow was still open: flow id → all declared so far, the first rule, how many. */
  private readonly earlierQueries = new Map<number, { declared: boolean; rule: string | null; pack: string | null; n: number }>();
  private declared = 0;
  private notJudged = 0;
  private undeclared = 0;
  private failing = false;

  constructor(
    private readonly engine: PolicyEngine,
    private readonly next: RecordSink,
    private readonly failOn: FailOn,
    private readonly devices: Cidr[],
  ) {}

  flow(rec: FlowRecord): void {
    if (rec.dns_names !== null) {
      // A DNS flow's verdict depends on its queries', which depend on later connections.
      this.heldDnsFlows.push(rec);
      this.noteDevice(rec.device_ip);
      if (this.heldDnsFlows.length >= MAX_HELD_DNS_RECORDS) this.flushHeld();
      return;
    }
    Object.assign(rec, this.engine.judgeFlow(rec));
    this.earlierQueries.delete(rec.id); // a flow with answers but no question: nothing to combine
    this.count(rec.verdict, rec.rule, rec.direction, rec.reasons ?? []);
    this.rememberContact(rec);
    this.next.flow(rec);
  }

  dns(rec: DnsRecord): void {
    this.heldDns.push(rec);
    this.noteDevice(rec.client_ip);
    if (this.heldDns.length >= MAX_HELD_DNS_RECORDS) this.flushHeld();
  }

  finish(): void {
    this.flushHeld();
  }

  verdicts(): { declared: number; undeclared: number; not_judged?: number } {
    return this.notJudged > 0 ? { declared: this.declared, undeclared: this.undeclared, not_judged: this.notJudged } : { declared: this.declared, undeclared: this.undeclared };
  }

  failed(): boolean {
    return this.failing;
  }

  ruleIds(): { pack: string; id: string }[] {
    return this.engine.packs.flatMap((p) => p.rules.map((r) => ({ pack: p.name, id: r.id })));
  }

  /**
   * Where an undeclared record was judged against (rule and document line), as the report
   * formats cite it (report/model.ts findingLocation); for the terminal table's findings. Null
   * for a record that is not undeclared.
   */
  judgedAgainst(rec: FlowRecord | DnsRecord): RuleLocation | null {
    if (rec.verdict !== 'undeclared') return null;
    const reason = rec.reasons?.[0] ?? 'undeclared';
    const finding = rec.type === 'flow'
      ? { direction: rec.direction, proto: rec.proto, port: rec.direction === 'inbound' ? rec.device_port : rec.remote_port, reason }
      : { direction: rec.direction ?? 'egress', proto: rec.proto, port: rec.server_port, reason };
    return findingLocation(rec, finding, this.engine.packs, this.activeRules, this.engine);
  }

  /** The engine's rules in force, for judgedAgainst (made once). */
  private get activeRules(): readonly CompiledRule[] {
    return (this.active ??= this.engine.activeRules);
  }
  private active: readonly CompiledRule[] | null = null;

  /**
   * Judges the held DNS records and DNS flows as one run together with the declared egress
   * flows seen so far (the engine's run-level rule: a lookup whose answer a declared flow then
   * contacted is declared; a DNS flow is declared when all its queries are).
   */
  private flushHeld(): void {
    this.judgeHeld(this.heldDnsFlows, this.heldDns);
    this.heldDns = [];
    this.heldDnsFlows = [];
  }

  // ── live capture (src/live.ts): judging open flows, flushing held DNS during a long run ──

  /**
   * Judges a snapshot of a still-open flow without counting or forwarding it; null for DNS
   * flows, whose verdict waits for their queries. A declared egress snapshot becomes a contact
   * at once, so a lookup it served is credited before the flow ends.
   */
  judgeOpen(rec: FlowRecord): FlowRecord | null {
    if (rec.dns_names !== null) return null;
    Object.assign(rec, this.engine.judgeFlow(rec));
    this.rememberContact(rec);
    return rec;
  }

  /**
   * Judges and forwards the DNS flows and queries from before `beforeTs` (epoch s) and keeps
   * the rest. A query is not kept waiting for its DNS flow to end (a resolver socket may live
   * for days): the flow's verdict later combines the queries judged before it
   * (reconcileEarlierQueries). Then forgets contacts too early to serve any query still held
   * (the engine credits a lookup only with flows that started after it), so a run of weeks
   * holds seconds of records, not weeks.
   */
  flush(beforeTs: number): void {
    const flows = this.heldDnsFlows.filter((f) => f.last_ts < beforeTs);
    if (flows.length > 0) this.heldDnsFlows = this.heldDnsFlows.filter((f) => f.last_ts >= beforeTs);
    const dns = this.heldDns.filter((d) => d.ts < beforeTs);
    if (dns.length > 0) this.heldDns = this.heldDns.filter((d) => d.ts >= beforeTs);
    this.judgeHeld(flows, dns);
    // A contact credits a lookup only when it started after it (engine: first_ts >= query ts).
    // Answered queries reach the stage within seconds, so contacts older than every query still
    // held, and than the settle margin, can serve nothing more.
    let keepFrom = beforeTs - LIVE_CONTACT_MARGIN_SECONDS;
    for (const d of this.heldDns) if (d.ts < keepFrom) keepFrom = d.ts;
    this.contacts = this.contacts.filter((c) => c.first_ts + 1e-3 >= keepFrom);
  }

  private judgeHeld(heldDnsFlows: FlowRecord[], heldDns: DnsRecord[]): void {
    if (heldDns.length === 0 && heldDnsFlows.length === 0) return;
    const v = this.engine.judgeRunVerdicts(heldDnsFlows, heldDns, { deviceIps: this.deviceIps, contacts: this.contacts });
    // The stage owns these records (as it owns those it judges on arrival): the fields are set in place.
    heldDnsFlows.forEach((f, i) => Object.assign(f, v.flows[i]));
    heldDns.forEach((d, i) => Object.assign(d, v.dns[i]));
    this.reconcileEarlierQueries(heldDnsFlows, heldDns);
    for (const f of heldDnsFlows) {
      this.count(f.verdict, f.rule, f.direction, f.reasons ?? []);
      this.next.flow(f);
    }
    for (const d of heldDns) {
      this.count(d.verdict, d.rule, 'dns', d.reasons ?? []);
      this.next.dns(d);
    }
  }

  /**
   * A DNS flow is declared when every query it carried is; queries judged earlier, while the flow
   * was still open (live flush, or the MAX_HELD_DNS_RECORDS flush), are remembered per flow id
   * and combined here with those judged together with the flow.
   */
  private reconcileEarlierQueries(flows: FlowRecord[], dns: DnsRecord[]): void {
    const inBatch = new Set(flows.map((f) => f.id));
    const batch = new Map<number, { declared: boolean; n: number }>();
    for (const d of dns) {
      if (d.flow_id === undefined) continue;
      const ok = d.verdict === 'declared' && !!d.rule;
      if (inBatch.has(d.flow_id)) {
        const b = batch.get(d.flow_id) ?? { declared: true, n: 0 };
        b.declared &&= ok;
        b.n++;
        batch.set(d.flow_id, b);
        continue;
      }
      const m = this.earlierQueries.get(d.flow_id);
      if (m) { m.declared &&= ok; m.n++; }
      else if (this.earlierQueries.size < MAX_HELD_DNS_RECORDS) this.earlierQueries.set(d.flow_id, { declared: ok, rule: d.rule ?? null, pack: d.pack ?? null, n: 1 });
    }
    for (const f of flows) {
      const m = this.earlierQueries.get(f.id);
      if (!m) continue;
      this.earlierQueries.delete(f.id);
      const b = batch.get(f.id) ?? { declared: true, n: 0 };
      if (!m.declared && f.verdict === 'declared') {
        Object.assign(f, {
          verdict: 'undeclared', rule: null, pack: null, reasons: ['name-not-documented'],
          explanation: `Not every query this DNS flow carried names a documented host (${m.n} were judged while it was still open).`,
        });
      } else if (m.declared && b.declared && f.verdict === 'undeclared' && f.reasons?.[0] === 'name-not-documented' && m.rule) {
        Object.assign(f, {
          verdict: 'declared', rule: m.rule, pack: m.pack, reasons: [],
          explanation: `Rule ${m.rule} covers this DNS flow: each of its ${m.n + b.n} queries names a documented host or served a declared connection.`,
        });
      }
    }
  }

  /**
   * Keeps a judged flow as a contact when it is a declared egress flow: only the fields that
   * credit a lookup, not the record (measured: with rules, the unfinished-ClientHello flood kept
   * 20 k whole records, names and explanations included, in a heap capped at 320 MB).
   */
  private rememberContact(rec: FlowRecord): void {
    if (rec.verdict !== 'declared' || rec.direction !== 'egress' || !rec.rule) return;
    if (this.contacts.length >= MAX_CONTACTS) this.contacts = this.contacts.slice(MAX_CONTACTS >>> 1);
    this.contacts.push({
      id: rec.id, direction: rec.direction, device_ip: rec.device_ip, remote_ip: rec.remote_ip, first_ts: rec.first_ts,
      verdict: rec.verdict, rule: rec.rule, pack: rec.pack,
    });
    this.noteDevice(rec.device_ip);
  }

  /** Addresses inside --device prefixes are one device (a dual-stack device asks over one family and connects over the other). */
  private noteDevice(ip: string): void {
    if (this.devices.length === 0 || this.deviceIps.has(ip) || this.deviceIps.size > 4096) return;
    const a = parseAddr(ip);
    if (a && this.devices.some((c) => cidrContains(c, a.v, a.w[0], a.w[1], a.w[2], a.w[3]))) this.deviceIps.add(ip);
  }

  /**
   * Tallies a final record. "declared" with no rule is local traffic no pack judges (`local:
   * auto` without local rules): counted apart, as not judged, not as declared by the document.
   */
  private count(verdict: string | undefined, rule: string | null | undefined, kind: string, reasons: string[]): void {
    if (verdict === 'declared' && (rule === null || rule === undefined)) { this.notJudged++; return; }
    if (verdict !== 'undeclared') { this.declared++; return; }
    this.undeclared++;
    const f = this.failOn;
    if (f.any || (kind === 'dns' ? f.dns : (f as unknown as Record<string, boolean>)[kind]) || reasons.some((r) => f.reasons.has(r))) this.failing = true;
  }
}
