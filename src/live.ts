/**
 * A live audit as a library call: capture from an interface (src/capture/live.ts), push every
 * frame through the same Pipeline, policy stage and FormatSink as replay, and end with the same
 * summary and exit status. On top of replay it adds what a run of days needs: open flows judged
 * while they last (NDJSON gets a record the moment a flow is judged undeclared), held DNS
 * flushed as it settles, flow expiry on wall time when the link is quiet, capture counters in
 * the summary, evidence files (`--write`) and the terminal status display.
 *
 * Per packet it only calls the pipeline (and the evidence writer): every other duty runs on a
 * timer. It never leaves the capture handle open on any exit path, never keeps per-packet
 * state, and never hides a kernel drop: drops reach stderr, the summary and the exit status.
 */
import { FormatSink, buildSummary, type AuditResult, type StageSink } from './audit';
import { EvidenceWriter } from './capture/evidence-writer';
import { LinkMonitor, type LinkEvent } from './capture/link-state';
import { LiveSource, type LiveOptions, type LiveStats } from './capture/live';
import { dropPrivileges } from './capture/privileges';
import { linkTypeName, type Frame } from './capture/source';
import { DEFAULT_TIMEOUTS, F_APP_DONE, F_FIN_A, F_FIN_B, F_RST, type FlowTimeouts } from './flow/flow-table';
import type { FlowInfo } from './flow/flow-info';
import { LiveStatusDisplay, type LiveStatusIo } from './live-status';
import { Pipeline, type PipelineOptions, type RecordSink } from './pipeline';
import { renderNdjsonLine } from './report/ndjson';
import { OutputError, type OutputFile } from './report/output';
import type { DnsRecord, FlowRecord } from './report/records';
import { VERSION } from './version';

/** Output formats of `live` (json would hold every record until the end: not for long runs). */
export type LiveFormat = 'table' | 'ndjson';

/** Why a live run ended. */
export type LiveStopReason = 'signal' | 'duration' | 'count' | 'capture-ended' | 'output-closed' | 'output-failed';

/** What a live run needs; only `iface`, `format` and `pipeline` are required. */
export interface LiveRunOptions {
  iface: string;
  format: LiveFormat;
  /** Device prefixes (from --device or the interface's addresses) and table limits. */
  pipeline: PipelineOptions;
  /** How `pipeline.devices` was chosen, for the summary. Default: 'flag' when devices are given. */
  deviceSource?: 'flag' | 'interface' | 'inferred';
  /** The policy stage (when rule packs are given), as in replay. */
  stage?: (next: RecordSink) => StageSink;
  /** Capture options: snaplen, kernel buffer, BPF filter, backend. */
  capture?: LiveOptions;
  /** Stop after this long (wall clock). */
  durationMs?: number;
  /** Stop after this many packets. */
  count?: number;
  /** Keep the packets as evidence: size-rotated pcapng files (see EvidenceWriter). */
  write?: { path: string; maxBytes?: number; force?: boolean };
  /** Switch to this user once the capture (and the first evidence file) is open. */
  user?: string;
  /** Where the status display and notices go (stderr in the CLI); none when absent. */
  status?: LiveStatusIo;
  /** Aborting it stops the run cleanly (the CLI aborts on SIGINT and SIGTERM). */
  signal?: AbortSignal;
  /** Keep every final record (for a report bundle); returned as `records`. */
  keepRecords?: boolean;
  /** Called once capture is running (tests start traffic then). */
  onStarted?: (info: { backend: string; linkType: number }) => void;
}

/** What `runLive` resolves with: replay's result plus why the run stopped. */
export interface LiveResult extends AuditResult {
  stopReason: LiveStopReason;
  /** Evidence files written, in order. */
  files: string[];
}

/**
 * Live capture keeps a closed TCP connection 5 s (Zeek's tcp_close_delay) instead of the
 * replay's 15 s: records stream to a SIEM or the terminal as connections end, and the live lab
 * expects a closed connection's final record within seconds. The cost is the one the replay
 * avoids: a retransmission or RST more than 5 s after the FINs makes a short flow of its own.
 */
const LIVE_TIMEOUTS: FlowTimeouts = { ...DEFAULT_TIMEOUTS, closed: 5e6 };
/** Timer periods. The judge tick bounds how late an undeclared open flow is reported. */
const JUDGE_TICK_MS = 250;
const STATUS_TICK_MS = 1000;
const DNS_FLUSH_TICK_MS = 5000;
/** The capture link's state is read this often: an outage is timed to about a second (a shorter flap is still counted). */
const LINK_TICK_MS = 1000;
/**
 * An open flow not yet identified is judged once it is this old (µs): an IP-literal flow has
 * nothing more to wait for, but a name can still come some seconds in (a ClientHello after a
 * STARTTLS dialogue, a slow client), and an "undeclared" sent to a SIEM cannot be taken back.
 * At 2 s a connection whose ClientHello came 4 s after its SYN was announced undeclared, then
 * ended declared.
 */
const OPEN_JUDGE_AFTER_MICROS = 10e6;
/**
 * Held DNS is judged once this old (s): time for the connections a lookup served to be judged
 * (open flows are judged within JUDGE_TICK_MS of their ClientHello or Host, unnamed ones after 10 s).
 */
const DNS_SETTLE_SECONDS = 15;
/** With no packet for this long (ms), flow expiry follows the wall clock instead. */
const IDLE_EXPIRY_AFTER_MS = 1000;

/**
 * Runs a live audit until `signal` aborts, `durationMs` or `count` is reached, the capture
 * fails, or the output pipe closes; every record goes to `out` as in replay. Rejects (before
 * any output) when capture cannot start, e.g. EA_CAPTURE_PERMISSION or EA_LIVE_UNAVAILABLE.
 */
export async function runLive(opts: LiveRunOptions, out: OutputFile): Promise<LiveResult> {
  const run = new LiveRun(opts, out);
  return run.run();
}

/** One live run: owns the source, pipeline, stage, sinks and timers. */
class LiveRun {
  private readonly fmt: FormatSink;
  private readonly stage: StageSink | null;
  private readonly pipeline: Pipeline;
  private readonly display: LiveStatusDisplay | null;
  private readonly source: LiveSource;
  private writer: EvidenceWriter | null = null;
  private files: string[] = [];
  private readonly errors: { code: string; message: string; hint?: string }[] = [];
  private readonly limit: number;
  private stopReason: LiveStopReason | null = null;
  private requestStop: (r: LiveStopReason) => void = () => undefined;
  private readonly stopped: Promise<void>;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startWall = Date.now();
  /** Wall time when the packet count last moved (idle detection without a clock read per packet). */
  private lastMoveWall = Date.now();
  private lastMovePackets = 0;
  /** judgedId[slot] = id of the open flow in `slot` already judged (slots are reused). */
  private judgedId = new Float64Array(0);
  /** Flows written early (open: true) whose final record has not arrived yet. */
  private readonly openWritten = new Set<number>();
  private flowsEnded = 0;
  /** Final records kept for a bundle (open: true snapshots are not: their final record follows). */
  private readonly kept: { flows: FlowRecord[]; dns: DnsRecord[] } | null;
  private dropsAnnounced = 0;
  private captureError: Error | null = null;
  /** When the capture ended by itself (epoch s), for the error's message. */
  private captureEndedAt = 0;
  /** The capture interface's link state (outages); null until the capture is open. */
  private link: LinkMonitor | null = null;
  /** The report could not be written (a full disk): the run stops, and this is what it throws. */
  private outputError: OutputError | null = null;

  constructor(private readonly opts: LiveRunOptions, private readonly out: OutputFile) {
    this.fmt = new FormatSink(opts.format, out);
    this.kept = opts.keepRecords ? { flows: [], dns: [] } : null;
    const tap: RecordSink = { flow: (r) => this.onFlow(r), dns: (r) => this.onDns(r) };
    this.stage = opts.stage ? opts.stage(tap) : null;
    this.fmt.useStage(this.stage);
    this.pipeline = new Pipeline({ timeouts: LIVE_TIMEOUTS, ...opts.pipeline }, this.stage ?? tap);
    this.display = opts.status ? new LiveStatusDisplay(opts.status) : null;
    this.limit = opts.count ?? Infinity;
    this.stopped = new Promise((resolve) => {
      this.requestStop = (r) => {
        if (this.stopReason !== null) return;
        this.stopReason = r;
        resolve();
      };
    });
    this.source = new LiveSource(opts.iface, (f) => this.onFrame(f), { ...opts.capture, tcpdumpUser: opts.capture?.tcpdumpUser ?? opts.user });
  }

  async run(): Promise<LiveResult> {
    await this.source.start(); // throws a LiveCaptureError: nothing written yet
    this.link = new LinkMonitor(this.opts.iface);
    try {
      if (this.opts.write) {
        const w = this.opts.write;
        this.writer = new EvidenceWriter(w.path, {
          linkType: this.source.linkType,
          snaplen: this.opts.capture?.snaplen ?? 262144,
          maxBytes: w.maxBytes,
          force: w.force,
          counters: () => {
            const s = this.source.stats();
            return { received: s.received, dropped: s.dropped + s.ifDropped };
          },
          iface: this.opts.iface,
          filter: this.opts.capture?.filter,
          application: `egress-audit ${VERSION}`,
        });
        this.files = this.writer.files;
      }
      if (this.opts.user !== undefined) dropPrivileges(this.opts.user);
    } catch (e) {
      await this.source.stop({ drainMs: 0 });
      this.writer?.close();
      throw e;
    }
    let stats: LiveStats;
    try {
      this.startTimers();
      const backend = this.source.backend ?? 'none';
      this.display?.notice(`egress-audit: listening on ${this.opts.iface} (${backend === 'native' ? 'libpcap' : backend}, link type ${linkTypeName(this.source.linkType)})${this.source.warning ? `; ${this.source.warning}` : ''}`);
      this.opts.onStarted?.({ backend, linkType: this.source.linkType });
      void this.source.ended.then((err) => {
        this.captureError = err;
        if (err !== null) {
          this.captureEndedAt = Date.now() / 1000;
          this.linkTick(); // an interface that disappeared: its outage starts now
        }
        this.requestStop('capture-ended');
      });
      await this.stopped;
    } finally {
      for (const t of this.timers) clearInterval(t);
      const r = this.stopReason;
      stats = await this.source.stop({ drainMs: r === 'count' || r === 'capture-ended' || r === 'output-closed' || r === 'output-failed' ? 0 : undefined });
    }
    return this.finish(stats);
  }

  // ── per packet ──

  private onFrame(f: Frame): void {
    if (this.pipeline.packets >= this.limit) return; // the rest of the batch after --count
    if (this.writer !== null) {
      try {
        this.writer.write(f.tsMicros, f.buf.subarray(f.offset, f.offset + f.capturedLength), f.wireLength);
      } catch (e) {
        this.evidenceFailed(e);
      }
    }
    this.pipeline.processFrame(f);
    if (this.pipeline.packets >= this.limit) this.requestStop('count');
  }

  // ── records (after the policy stage) ──

  private onFlow(rec: FlowRecord): void {
    this.flowsEnded++;
    this.openWritten.delete(rec.id);
    if (rec.verdict === 'undeclared') this.display?.announce(rec);
    this.kept?.flows.push(rec);
    try {
      this.fmt.flow(rec);
    } catch (e) {
      this.outputFailed(e);
    }
  }

  private onDns(rec: DnsRecord): void {
    if (rec.verdict === 'undeclared') this.display?.announce(rec);
    this.kept?.dns.push(rec);
    try {
      this.fmt.dns(rec);
    } catch (e) {
      this.outputFailed(e);
    }
  }

  /**
   * A write of the report failed (a full disk, a quota): the report cannot be completed, so the
   * run stops at once and ends with that error (the unfinished file is removed). Anything else
   * thrown is a bug and goes on up.
   */
  private outputFailed(e: unknown): void {
    if (!(e instanceof OutputError)) throw e;
    this.outputError ??= e;
    this.requestStop('output-failed');
  }

  // ── timers ──

  private startTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      this.timers.push(setInterval(() => {
        try {
          fn();
        } catch (e) {
          this.errors.push({ code: 'EA_INTERNAL', message: `live ${fn.name || 'timer'}: ${(e as Error).message}` });
          this.requestStop('capture-ended');
        }
      }, ms));
    };
    every(JUDGE_TICK_MS, () => this.judgeTick());
    every(STATUS_TICK_MS, () => this.statusTick());
    every(LINK_TICK_MS, () => this.linkTick());
    every(DNS_FLUSH_TICK_MS, () => this.stage?.flush?.(this.nowMicros() / 1e6 - DNS_SETTLE_SECONDS));
    if (this.opts.durationMs !== undefined) this.timers.push(setTimeout(() => this.requestStop('duration'), this.opts.durationMs));
    this.opts.signal?.addEventListener('abort', () => this.requestStop('signal'), { once: true });
    if (this.opts.signal?.aborted) this.requestStop('signal');
  }

  /** The packet clock now: the last packet's time, moved on by the wall time since packets stopped. */
  private nowMicros(): number {
    const p = this.pipeline;
    if (p.lastTs < 0) return Date.now() * 1000;
    return p.lastTs + Math.max(0, Date.now() - this.lastMoveWall) * 1000;
  }

  private judgeTick(): void {
    const p = this.pipeline;
    const wall = Date.now();
    if (p.packets !== this.lastMovePackets) {
      this.lastMovePackets = p.packets;
      this.lastMoveWall = wall;
    } else if (wall - this.lastMoveWall >= IDLE_EXPIRY_AFTER_MS) {
      p.advanceTime(this.nowMicros());
    }
    if (this.outputError !== null) return;
    try {
      if (this.stage?.judgeOpen) this.judgeOpenFlows();
      if (this.out.brokenPipe) this.requestStop('output-closed');
      this.out.flush();
    } catch (e) {
      this.outputFailed(e);
    }
  }

  /**
   * Reads the capture link's state: libpcap captures on across a down/up without a word, so an
   * outage is announced here, at once, and lands in the summary and the exit status (the audit
   * did not see what the device may have sent meanwhile, by another path).
   */
  private linkTick(): void {
    const ev = this.link?.poll() ?? null;
    if (ev !== null) this.warn(linkNotice(this.opts.iface, ev));
  }

  /**
   * Judges every open flow that has become judgeable (identified, or old enough) once. An
   * undeclared one is announced and, with NDJSON, written at once with `open: true`.
   */
  private judgeOpenFlows(): void {
    const p = this.pipeline;
    const t = p.flows;
    if (this.judgedId.length < t.capacity) {
      const n = new Float64Array(t.capacity);
      n.set(this.judgedId);
      this.judgedId = n;
    }
    const now = this.nowMicros();
    const judged = this.judgedId;
    t.forEachOpen((slot) => {
      const id = t.idOf(slot);
      if (judged[slot] === id) return;
      const info = t.infos[slot] as FlowInfo | undefined;
      const ready = (t.flagsOf(slot) & F_APP_DONE) !== 0 || (info?.httpHosts ?? null) !== null || now - t.firstOf(slot) >= OPEN_JUDGE_AFTER_MICROS;
      if (!ready) return;
      judged[slot] = id;
      const rec = this.stage!.judgeOpen!(p.snapshotFlow(slot));
      if (rec === null || rec.verdict !== 'undeclared') return;
      this.display?.announce(rec);
      // A closed connection ends within the close delay: its final record is the one to write.
      const f = t.flagsOf(slot);
      const closed = (f & F_RST) !== 0 || (f & (F_FIN_A | F_FIN_B)) === (F_FIN_A | F_FIN_B);
      if (this.opts.format === 'ndjson' && !closed) {
        rec.open = true;
        this.openWritten.add(id);
        this.out.write(renderNdjsonLine(rec));
      }
    });
  }

  private statusTick(): void {
    const s = this.source.stats();
    const lost = s.dropped + s.ifDropped;
    if (lost > this.dropsAnnounced) {
      if (this.dropsAnnounced === 0) this.warn(`egress-audit: WARNING: packets are being dropped (${lost} so far); this audit is incomplete. Raise --buffer-bytes or narrow --filter.`);
      this.dropsAnnounced = lost;
    }
    // A full disk or a file gone: reported once, as a failed write in the packet path is, and
    // the audit goes on without evidence (it was reported as an internal error that stopped it).
    try {
      this.writer?.flush();
    } catch (e) {
      this.evidenceFailed(e);
    }
    const v = this.stage?.verdicts?.();
    this.display?.refresh({
      iface: this.opts.iface,
      backend: this.source.backend === 'native' ? 'libpcap' : String(this.source.backend),
      elapsedMs: Date.now() - this.startWall,
      packets: this.pipeline.packets,
      bytes: this.pipeline.bytes,
      received: s.received,
      dropped: lost,
      openFlows: this.pipeline.flows.size,
      flowsWritten: this.flowsEnded,
      declared: v?.declared ?? 0,
      undeclared: (v?.undeclared ?? 0) + this.openWritten.size,
      evictedFlows: this.pipeline.flows.evicted,
      linkDownSince: this.link?.downSince ?? null,
      linkOutages: this.link?.count ?? 0,
    });
  }

  /** Drop warnings reach stderr whether or not it is a terminal. */
  private warn(text: string): void {
    if (this.display) this.display.notice(text);
  }

  /** The evidence file could not be written or the next one created: the audit goes on, the error and its cause are reported. */
  private evidenceFailed(e: unknown): void {
    const err = e as { code?: string; message?: string };
    const detail = (err.message ?? String(e)).replace(/^--write: /, '');
    this.errors.push({ code: 'EA_CAPTURE_WRITE', message: `--write stopped: ${detail}`, hint: `the audit went on; ${evidenceHint(err)}` });
    this.warn(`egress-audit: EA_CAPTURE_WRITE: --write stopped: ${detail}`);
    try {
      this.writer?.close();
    } catch {
      // the file is already broken; the error above says so
    }
    this.writer = null;
  }

  // ── the end ──

  private finish(stats: LiveStats): LiveResult {
    const p = this.pipeline;
    p.finish();
    this.stage?.finish();
    const opts = this.opts;
    const summary = buildSummary(p, { inputs: [], format: opts.format, pipeline: opts.pipeline }, [], [], this.fmt.flowCount);
    summary.device_source = opts.deviceSource ?? (opts.pipeline.devices.length > 0 ? 'flag' : 'inferred');
    summary.inputs = [{ file: opts.iface, format: 'live', link_types: [linkTypeName(this.source.linkType)], packets: p.packets, bytes: p.bytes }];
    this.linkTick(); // the state at the end: an outage still under way is listed without an end
    const link = this.link;
    summary.capture = { received: stats.received, dropped: stats.dropped, if_dropped: stats.ifDropped, link_outages: link ? link.outages.map((o) => ({ ...o })) : [] };
    const lost = stats.dropped + stats.ifDropped;
    if (lost > 0) {
      this.errors.push({
        code: 'EA_CAPTURE_DROPPED',
        message: `${lost} packets were dropped during capture (${stats.dropped} by the kernel, ${stats.ifDropped} by the interface); this audit is incomplete`,
        hint: 'raise --buffer-bytes, narrow --filter, or capture with a smaller --snaplen',
      });
    }
    const linkError = link !== null ? linkDownError(opts.iface, link, this.captureError !== null) : null;
    if (linkError !== null) this.errors.push(linkError);
    if (this.captureError !== null) {
      const e = this.captureError as Error & { code?: string; hint?: string };
      this.errors.push({ code: e.code ?? 'EA_CAPTURE_FAILED', message: `${e.message}; at ${isoSeconds(this.captureEndedAt)}`, ...(e.hint ? { hint: e.hint } : {}) });
    }
    summary.errors = this.errors.map((e) => ({ ...e, file: opts.iface }));
    const v = this.stage?.verdicts?.();
    if (v) summary.verdicts = v;
    try {
      this.writer?.close({ received: stats.received, dropped: lost });
    } catch (e) {
      summary.errors.push({ code: 'EA_CAPTURE_WRITE', message: `--write: ${(e as Error).message}`, file: opts.iface });
    }
    this.display?.clear();
    if (this.outputError === null) {
      try {
        this.fmt.finish(summary);
        this.out.flush();
      } catch (e) {
        this.outputFailed(e);
      }
    }
    if (this.outputError !== null) throw withEvidenceHint(this.outputError, this.files);
    if (lost > 0) this.warn(`egress-audit: WARNING: ${lost} packets were dropped during capture; this audit is incomplete`);
    const failed = this.stage?.failed?.() ?? false;
    // A reader that went away (`| head`) ends the run as success, as in replay.
    const exitCode = summary.errors.length > 0 ? 2 : this.stopReason === 'output-closed' ? 0 : failed ? 1 : 0;
    return { exitCode, summary, stopReason: this.stopReason ?? 'signal', files: this.files, ...(this.kept ? { records: this.kept } : {}) };
  }
}

/**
 * The report's write error, pointing at the evidence when there is some: the `--write` files hold
 * every packet, and replaying them gives the report the run could not write.
 */
function withEvidenceHint(e: OutputError, files: readonly string[]): OutputError {
  if (files.length === 0) return e;
  const list = files.length === 1 ? files[0] : `${files[0]} … (${files.length} files)`;
  return new OutputError(e.message, { hint: `${e.hint ?? ''}; the --write evidence (${list}) replays to the same report: egress-audit replay FILES -o REPORT`, cause: e });
}

/** Epoch seconds as an ISO 8601 UTC time to the second (the form of the messages and notices). */
function isoSeconds(s: number): string {
  return new Date(Math.floor(s) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Seconds as the messages show them: 0.8 s, 12 s, 3 min 20 s. */
function spanText(seconds: number): string {
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** The stderr line for a change of the capture link's state. */
function linkNotice(iface: string, ev: LinkEvent): string {
  if (ev.kind === 'down') {
    return ev.gone
      ? `egress-audit: WARNING: ${iface} disappeared at ${isoSeconds(ev.at)}; this audit is incomplete`
      : `egress-audit: WARNING: ${iface} went down at ${isoSeconds(ev.at)}; nothing is captured until it is back, and this audit is incomplete`;
  }
  if (ev.kind === 'up') return `egress-audit: ${iface} is up again at ${isoSeconds(ev.at)} after ${spanText(ev.seconds)} down; capturing again`;
  return `egress-audit: WARNING: ${iface} went down and up again just before ${isoSeconds(ev.at)} (${ev.count} carrier loss${ev.count === 1 ? '' : 'es'} between two readings); this audit is incomplete`;
}

/**
 * The summary error for the link's outages. An outage makes the audit incomplete, as a drop
 * does: what the device sent meanwhile (by another path, or on the wire of a mirror port whose
 * link was down) is not in it, so it is an error and the exit status is 2.
 */
function linkDownError(iface: string, link: LinkMonitor, captureEnded: boolean): { code: string; message: string; hint: string } | null {
  const still = link.downSince !== null;
  // An interface that disappeared and so ended the capture is the capture's own error; only the
  // outages the capture lived through are reported here.
  const count = link.count - (captureEnded && still ? 1 : 0);
  if (count === 0) return null;
  const first = link.outages[0];
  const unknown = link.outages.filter((o) => o.seconds === null && o.end !== null).length;
  const parts = [`${count} time${count === 1 ? '' : 's'}`];
  if (link.downSeconds > 0) parts.push(`${spanText(link.downSeconds)} in all`);
  if (unknown > 0) parts.push(`${unknown} too short to time`);
  const end = still && !captureEnded ? `, and still down when the run ended (since ${isoSeconds(link.downSince!)})` : '';
  const message = `${iface} was down ${parts.join(', ')}, first at ${isoSeconds(first.start)}${end}; what the device sent meanwhile is not in this audit (summary capture.link_outages)`;
  const hint = 'the capture went on once the link was back; keep the link up for the whole audit (check the cable, the Wi-Fi association, NetworkManager), or also capture the other paths the device can use';
  return { code: 'EA_CAPTURE_LINK_DOWN', message, hint };
}

/** What to do about an evidence file that could not be written: the writer's own hint, else one for the system error. */
function evidenceHint(err: { code?: string; hint?: string; message?: string }): string {
  if (err.hint) return err.hint;
  const text = `${err.code ?? ''} ${err.message ?? ''}`;
  if (/\bE(ACCES|PERM|ROFS)\b/.test(text)) return 'make the --write directory writable by the account the capture runs as (--user), or choose another --write path';
  return 'free disk space or choose another --write path';
}
