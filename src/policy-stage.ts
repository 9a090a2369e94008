/**
 * PolicyStage: the streaming policy step between the pipeline and the renderers. Flow records
 * are judged as they arrive; DNS records are held (bounded) until the end of the run, because a
 * lookup is declared when an address from its answer is later contacted by a declared flow.
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
import type { DnsRecord, FlowRecord } from './report/records';
import { REASON_CODES } from './policy/reason-codes';

/** DNS records held for end-of-run judging; past this they are judged on arrival. */
export const MAX_HELD_DNS_RECORDS = 200_000;

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
  /** Declared egress flows already forwarded, kept (bounded) so held DNS can be credited with them. */
  private contacts: FlowRecord[] = [];
  private readonly deviceIps = new Set<string>();
  private declared = 0;
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
    this.count(rec.verdict === 'undeclared', rec.direction, rec.reasons ?? []);
    if (rec.verdict === 'declared' && rec.direction === 'egress' && rec.rule && this.contacts.length < MAX_HELD_DNS_RECORDS) {
      this.contacts.push(rec);
      this.noteDevice(rec.device_ip);
    }
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

  verdicts(): { declared: number; undeclared: number } {
    return { declared: this.declared, undeclared: this.undeclared };
  }

  failed(): boolean {
    return this.failing;
  }

  ruleIds(): { pack: string; id: string }[] {
    return this.engine.packs.flatMap((p) => p.rules.map((r) => ({ pack: p.name, id: r.id })));
  }

  /**
   * Judges the held DNS records and DNS flows as one run together with the declared egress
   * flows seen so far (the engine's run-level rule: a lookup whose answer a declared flow then
   * contacted is declared; a DNS flow is declared when all its queries are).
   */
  private flushHeld(): void {
    if (this.heldDns.length === 0 && this.heldDnsFlows.length === 0) return;
    const judged = this.engine.judgeRun([...this.contacts, ...this.heldDnsFlows], this.heldDns, { deviceIps: this.deviceIps });
    for (const f of judged.flows.slice(this.contacts.length)) {
      this.count(f.verdict === 'undeclared', f.direction, f.reasons ?? []);
      this.next.flow(f);
    }
    for (const d of judged.dns) {
      this.count(d.verdict === 'undeclared', 'dns', d.reasons ?? []);
      this.next.dns(d);
    }
    this.heldDns = [];
    this.heldDnsFlows = [];
  }

  /** Addresses inside --device prefixes are one device (a dual-stack device asks over one family and connects over the other). */
  private noteDevice(ip: string): void {
    if (this.devices.length === 0 || this.deviceIps.has(ip) || this.deviceIps.size > 4096) return;
    const a = parseAddr(ip);
    if (a && this.devices.some((c) => cidrContains(c, a.v, a.w[0], a.w[1], a.w[2], a.w[3]))) this.deviceIps.add(ip);
  }

  private count(undeclared: boolean, kind: string, reasons: string[]): void {
    if (!undeclared) { this.declared++; return; }
    this.undeclared++;
    const f = this.failOn;
    if (f.any || (kind === 'dns' ? f.dns : (f as unknown as Record<string, boolean>)[kind]) || reasons.some((r) => f.reasons.has(r))) this.failing = true;
  }
}
