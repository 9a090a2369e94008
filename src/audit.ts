/**
 * One audit run as a library call: open the inputs, drive the pipeline, route records through
 * the policy stage (when rule packs are given) to the chosen renderer, and return the exit
 * status. The CLI parses arguments and calls this; tests call it directly.
 *
 * Owns no global state; writes only to the OutputFile it is given. Capture problems become
 * `errors` in the summary and exit status 2 (partial results are still written).
 */
import { A } from './anomalies';
import { openCapture } from './capture/open-capture';
import { linkTypeName } from './capture/source';
import { SUPPORTED_LINK_TYPES } from './decode/link';
import { InputOutcome, openFailure, readMerged } from './capture/merged-inputs';
import { CaptureIssue, Frame, InputInfo, fileBytesRead, newFrame, PacketSource } from './capture/source';
import { Pipeline, PipelineOptions, RecordSink } from './pipeline';
import { formatCidr } from './net/addr';
import { renderNdjsonLine } from './report/ndjson';
import { NdjsonEncoder } from './report/ndjson-encoder';
import { OutputFile } from './report/output';
import type { DnsRecord, FlowRecord, SummaryRecord } from './report/records';
import type { DestinationAggregator, PolicyAggregator } from './report/table';
import type { RuleLocation } from './report/model';
import { terminalColumns } from './tty';
/** The table renderer (and cli-table3) load only for the table format: NDJSON runs never need them. */
const tables = (): typeof import('./report/table') => require('./report/table') as typeof import('./report/table');

/** Output formats of `replay`. */

/** What to try for an input problem whose reader gave no hint of its own (every error line has one). */
const DEFAULT_ISSUE_HINTS: Readonly<Record<string, string>> = {
  EA_CAPTURE_TRUNCATED: 'the file was cut short (a capture still being written, or a copy or download that stopped); every whole record before the cut was read',
  EA_CAPTURE_READ: 'check the disk and the file, then run again; the records read before the failure are reported',
};
export type OutputFormat = 'table' | 'json' | 'ndjson';

/** What a run needs. */
export interface AuditOptions {
  inputs: string[];
  format: OutputFormat;
  pipeline: PipelineOptions;
  /** Optional stage between the pipeline and the renderer (policy). */
  stage?: (next: RecordSink) => StageSink;
  /** Keep every (judged) record in the result, for the report model (`--bundle`). */
  keepRecords?: boolean;
  /** Called every PROGRESS_EVERY packets and once at the end, for a progress bar. */
  onProgress?: (p: AuditProgress) => void;
}

/** How far a replay has got: capture-file bytes read so far (all inputs; compressed bytes of a compressed file) and packets. */
export interface AuditProgress {
  bytes: number;
  packets: number;
  done: boolean;
}

/** Packets between progress calls (a power of two: the check is a mask). */
export const PROGRESS_EVERY = 4096;

/** Passes records on and keeps a copy of each (the report model needs all of them). */
class KeepSink implements RecordSink {
  readonly flows: FlowRecord[] = [];
  readonly dnsRecords: DnsRecord[] = [];
  constructor(private readonly next: RecordSink) {}
  flow(rec: FlowRecord): void { this.flows.push(rec); this.next.flow(rec); }
  dns(rec: DnsRecord): void { this.dnsRecords.push(rec); this.next.dns(rec); }
}

/** A sink with an end-of-run flush (the policy stage holds DNS records until then). */
export interface StageSink extends RecordSink {
  finish(): void;
  /** Verdict totals, when the stage judges. */
  verdicts?(): { declared: number; undeclared: number };
  /** True when a finding should fail the run (exit 1). */
  failed?(): boolean;
  /** Every rule in force (for "declared but never observed"). */
  ruleIds?(): { pack: string; id: string }[];
  /** The rule and document line an undeclared record was judged against (the table's findings). */
  judgedAgainst?(rec: FlowRecord | DnsRecord): RuleLocation | null;
  /** Live capture: judges a snapshot of a still-open flow without counting or forwarding it; null when it cannot be judged yet. */
  judgeOpen?(rec: FlowRecord): FlowRecord | null;
  /** Live capture: judges and forwards what is held from before `beforeTs` (epoch seconds) instead of waiting for the end. */
  flush?(beforeTs: number): void;
}

/** The result of a run. */
export interface AuditResult {
  exitCode: 0 | 1 | 2;
  summary: SummaryRecord;
  /** Every record in the order written, with verdicts (only with `keepRecords`). */
  records?: { flows: FlowRecord[]; dns: DnsRecord[] };
}

/** Renders records in the chosen format as they arrive (shared by replay and live). */
/** Names of the decodable link types, as InputInfo.linkTypes spells them. */
const SUPPORTED_LINK_TYPE_NAMES = new Set([...SUPPORTED_LINK_TYPES].map(linkTypeName));
/** Byte offset of the link-type field in a classic pcap header. */
const PCAP_LINKTYPE_OFFSET = 20;

export class FormatSink implements RecordSink {
  readonly flows: FlowRecord[] = [];
  readonly dnsRecords: DnsRecord[] = [];
  /** The table format's aggregators (null for the other formats). */
  private readonly tableAggs: { dest: DestinationAggregator; policy: PolicyAggregator } | null;
  flowCount = 0;
  hasVerdicts = false;
  /** Rules in force, when a policy stage runs (set by useStage). */
  ruleIds: { pack: string; id: string }[] | null = null;

  private readonly ndjson: NdjsonEncoder | null;

  constructor(private readonly format: OutputFormat, private readonly out: OutputFile) {
    this.ndjson = format === 'ndjson' ? new NdjsonEncoder(out) : null;
    const t = format === 'table' ? tables() : null;
    this.tableAggs = t ? { dest: new t.DestinationAggregator(), policy: new t.PolicyAggregator() } : null;
  }

  /** Takes what the table needs from the policy stage: the rules in force, and where each finding was judged against. */
  useStage(stage: StageSink | null): void {
    this.ruleIds = stage?.ruleIds?.() ?? null;
    if (this.tableAggs !== null && stage?.judgedAgainst) this.tableAggs.policy.locate = (rec) => stage.judgedAgainst!(rec);
  }

  flow(rec: FlowRecord): void {
    this.flowCount++;
    if (rec.verdict) this.hasVerdicts = true;
    if (this.ndjson !== null) this.ndjson.flow(rec);
    else if (this.tableAggs !== null) {
      this.tableAggs.dest.add(rec);
      if (rec.verdict) this.tableAggs.policy.addFlow(rec);
    } else this.flows.push(rec);
  }

  dns(rec: DnsRecord): void {
    if (this.ndjson !== null) this.ndjson.dns(rec);
    else if (this.tableAggs !== null) {
      if (rec.verdict) this.tableAggs.policy.addDns(rec);
    } else this.dnsRecords.push(rec);
  }

  finish(summary: SummaryRecord): void {
    if (this.format === 'ndjson') this.out.write(renderNdjsonLine(summary));
    else if (this.tableAggs !== null) {
      // No input could be opened (a mistyped path): the error line on stderr is the whole answer;
      // an empty table and a summary of nothing would only bury it. The machine formats still
      // write their summary, whose `errors` say what failed.
      if (summary.inputs.length === 0 && (summary.errors?.length ?? 0) > 0) return;
      const t = tables();
      const width = terminalColumns();
      const policy = this.ruleIds ? '\n' + t.renderPolicyTables(this.tableAggs.policy, this.ruleIds, width) : '';
      this.out.write(t.renderDestinationTable(this.tableAggs.dest, this.hasVerdicts, undefined, width) + policy + '\n' + t.renderSummaryText(summary, width));
    } else this.out.write(JSON.stringify({ flows: this.flows, dns: this.dnsRecords, summary }, null, 2) + '\n');
  }
}

/** Runs an audit over capture files; every record goes to `out`. */
export function runAudit(opts: AuditOptions, out: OutputFile): AuditResult {
  const fmt = new FormatSink(opts.format, out);
  const keep = opts.keepRecords ? new KeepSink(fmt) : null;
  const stage = opts.stage ? opts.stage(keep ?? fmt) : null;
  fmt.useStage(stage);
  const pipeline = new Pipeline(opts.pipeline, stage ?? keep ?? fmt);
  const issues: CaptureIssue[] = [];
  const inputs: InputInfo[] = [];
  const frame = newFrame();
  let fatal = false;
  let bytesDone = 0;
  const progress = opts.onProgress;
  const outcomes = opts.inputs.length === 1
    ? [readOne(opts.inputs[0], pipeline, frame, progress)]
    : readMerged(opts.inputs, pipeline.anomalies, (f) => pipeline.processFrame(f), (lt) => SUPPORTED_LINK_TYPES.has(lt), PROGRESS_EVERY,
      progress && ((bytes) => progress({ bytes, packets: pipeline.packets, done: false })));
  for (const o of outcomes) {
    issues.push(...o.issues);
    if (o.openFailed) {
      fatal = true;
      continue;
    }
    const info = o.info!;
    bytesDone += fileBytesRead(info);
    inputs.push(info);
    if (o.issues.some((i) => i.dataLost)) fatal = true;
    if (o.unsupported > 0) {
      // Packets of a link type we cannot decode were read but not analysed: say so, exit 2.
      const names = info.linkTypes.filter((n) => !SUPPORTED_LINK_TYPE_NAMES.has(n));
      issues.push({
        code: 'EA_CAPTURE_LINKTYPE', file: o.file, offset: info.format === 'pcap' ? PCAP_LINKTYPE_OFFSET : 0, dataLost: true,
        // Every link type the file names may be decoded while a frame inside one (PKTAP, TZSP) is not.
        message: `${o.unsupported} packet${o.unsupported === 1 ? '' : 's'} ${names.length > 0
          ? `of link type ${names.join(', ')}, which egress-audit does not decode,`
          : `of link type ${info.linkTypes.join(', ') || 'unknown'} carrying a link type egress-audit does not decode`} ${o.unsupported === 1 ? 'was' : 'were'} skipped`,
        hint: 'supported link types: Ethernet (with VLAN tags), Linux cooked v1/v2, raw IP, BSD NULL/LOOP, PPP, Cisco HDLC, NFLOG, pflog, enc, ipnet, Apple PKTAP, 802.11 (radiotap, PPI), FDDI, Token Ring, ATM (also Linux CLIP), Frame Relay, ARCNET, DSA switch tags, Juniper Ethernet; convert with editcap -T',
      });
      fatal = true;
    }
  }
  progress?.({ bytes: bytesDone, packets: pipeline.packets, done: true });
  pipeline.finish();
  stage?.finish();
  const summary = buildSummary(pipeline, opts, inputs, issues, fmt.flowCount);
  const v = stage?.verdicts?.();
  if (v) summary.verdicts = v;
  fmt.finish(summary);
  const failed = stage?.failed?.() ?? false;
  return { exitCode: fatal ? 2 : failed ? 1 : 0, summary, ...(keep ? { records: { flows: keep.flows, dns: keep.dnsRecords } } : {}) };
}

/**
 * Reads one input straight through (the common case: no merge bookkeeping per packet). Its
 * unsupported packets are the pipeline's link.unsupported_linktype count over the file.
 */
function readOne(file: string, pipeline: Pipeline, frame: Frame, progress: AuditOptions['onProgress']): InputOutcome {
  let src: PacketSource;
  try {
    src = openCapture(file, pipeline.anomalies);
  } catch (err) {
    return { file, info: null, openFailed: true, unsupported: 0, issues: [openFailure(file, err)] };
  }
  const unsupportedBefore = pipeline.anomalies.counts[A['link.unsupported_linktype']];
  try {
    while (src.next(frame)) {
      pipeline.processFrame(frame);
      if (progress && (pipeline.packets & (PROGRESS_EVERY - 1)) === 0) progress({ bytes: fileBytesRead(src.info()), packets: pipeline.packets, done: false });
    }
  } finally {
    src.close();
  }
  const unsupported = pipeline.anomalies.counts[A['link.unsupported_linktype']] - unsupportedBefore;
  return { file, info: src.info(), issues: [...src.issues], openFailed: false, unsupported };
}

/** Builds the `summary` record. */
export function buildSummary(p: Pipeline, opts: AuditOptions, inputs: InputInfo[], issues: CaptureIssue[], flows: number): SummaryRecord {
  const nf = p.decoder.nonFlow;
  const deviceIps = [...p.deviceIps.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([ip]) => ip);
  return {
    type: 'summary',
    packets: p.packets,
    bytes: p.bytes,
    flows,
    dns_queries: p.dnsQueries,
    device_ips: deviceIps,
    device_source: opts.pipeline.devices.length > 0 ? 'flag' : 'inferred',
    device_prefixes: opts.pipeline.devices.map(formatCidr),
    anomalies: p.anomalies.toRecord(),
    inputs: inputs.map((i) => ({
      file: i.file, format: i.format, link_types: i.linkTypes, packets: i.packets, bytes: i.bytes,
      ...(i.compression === undefined ? {} : { compression: i.compression }),
    })),
    non_flow: { arp: nf.arp, icmp: nf.icmp, icmpv6: nf.icmpv6, igmp: nf.igmp, other_ip: nf.otherIp, other_l2: nf.otherL2, late_tcp: p.flows.lateSegments },
    errors: issues.map((i) => {
      const hint = i.hint ?? DEFAULT_ISSUE_HINTS[i.code];
      return { code: i.code, message: i.message, file: i.file, offset: i.offset, ...(hint ? { hint } : {}) };
    }),
    first_ts: p.firstTs >= 0 ? p.firstTs / 1e6 : null,
    last_ts: p.lastTs >= 0 ? p.lastTs / 1e6 : null,
    evicted: { flows: p.flows.evicted, dns_cache: p.dnsCache.evicted },
  };
}
