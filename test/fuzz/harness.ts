/**
 * Fuzz harness: runs one capture (as bytes) through the whole pipeline in-process — openCapture →
 * Pipeline (decode, flows, reassembly, extractors, attribution) → optional policy stage →
 * NDJSON lines and summary — the same steps as `runAudit`, with checks a normal run cannot make:
 *
 * - nothing throws out of openCapture (except a CaptureError refusing the file) or the pipeline;
 * - the pipeline's last-resort guard (`decoder.internal_error`) never fires: the exception it
 *   swallowed is captured here, with its stack, so a crasher can be fixed;
 * - every frame the reader hands over lies inside its buffer, and after each decode the view's
 *   payload lies inside the frame's captured bytes;
 * - "never read outside the captured bytes": each frame is copied into its own buffer surrounded
 *   by `canary` bytes (or into an exact-size buffer, where an out-of-range read gives undefined).
 *   Callers run the same input with two canaries and compare the output: any difference means
 *   a decoder looked past the captured bytes.
 *
 * Test code only; never writes outside the directory it is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import { A } from '../../src/anomalies';
import { buildSummary, StageSink } from '../../src/audit';
import { openCapture } from '../../src/capture/open-capture';
import { CaptureIssue, InputInfo, MAX_CAPLEN, newFrame, PacketSource } from '../../src/capture/source';
import { CaptureError } from '../../src/errors';
import { Pipeline, RecordSink } from '../../src/pipeline';
import { renderNdjsonLine } from '../../src/report/ndjson';
import type { DnsRecord, FlowRecord } from '../../src/report/records';
import { Cidr, parseCidr } from '../../src/net/addr';

/** Bytes of canary around each frame when a canary is used. */
const CANARY_PAD = 64;

/** How a run went. `problem` is null when every check passed. */
export interface FuzzOutcome {
  /** NDJSON lines (flows and DNS in order, then the summary). */
  lines: string[];
  /** What went wrong, in one line (null when nothing did). */
  problem: string | null;
  /** The exception behind `problem`, with its stack, when there was one. */
  error: unknown;
  /** Wall time of the run in ms. */
  ms: number;
  /** Frames the reader delivered. */
  frames: number;
}

/** Options for one run. */
export interface FuzzRunOptions {
  /** Byte value around each frame, or 'exact' for an exact-size buffer (out-of-range reads give undefined). */
  canary: number | 'exact';
  /** Optional policy stage (records are judged as in `replay --rules`). */
  stage?: (next: RecordSink) => StageSink;
  /** Flow cap (small values exercise eviction). */
  maxFlows?: number;
  /** --device prefixes (the device-side, foreign and MAC-learning paths run only with some). */
  devices?: Cidr[];
}

/** Private and documentation prefixes: with them as --device, most seed captures have a device side. */
const FUZZ_DEVICES: Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '192.0.2.0/24', '198.51.100.0/24', '2001:db8::/32', 'fd00::/8']
  .map((c) => parseCidr(c)!);

/** The run options of one mutant, from its seed: a small flow cap on every fourth, --device prefixes on every other. */
export function mutantOptions(iterSeed: number): Omit<FuzzRunOptions, 'canary'> {
  return { maxFlows: iterSeed % 4 === 0 ? 8 : undefined, devices: (iterSeed >>> 2) % 2 === 1 ? FUZZ_DEVICES : undefined };
}

/** Collects NDJSON lines and checks that each is one whole line of valid JSON. */
class LineSink implements RecordSink {
  readonly lines: string[] = [];
  bad: string | null = null;
  flows = 0;

  flow(rec: FlowRecord): void {
    this.flows++;
    this.push(renderNdjsonLine(rec));
  }

  dns(rec: DnsRecord): void {
    this.push(renderNdjsonLine(rec));
  }

  push(line: string): void {
    if (this.bad === null && (line.indexOf('\n') !== line.length - 1 || line.includes('\r') || line.includes('\u2028'))) this.bad = `an NDJSON line holds a raw line break: ${line.slice(0, 120)}`;
    this.lines.push(line);
  }
}

/** Wraps methods of `obj` so the first exception they throw is remembered (and rethrown). */
function spyThrows(obj: object, names: string[], onError: (e: unknown, where: string) => void): void {
  const o = obj as Record<string, unknown>;
  for (const name of names) {
    const orig = o[name];
    if (typeof orig !== 'function') continue;
    o[name] = function (this: unknown, ...args: unknown[]): unknown {
      try {
        return (orig as (...a: unknown[]) => unknown).apply(this, args);
      } catch (e) {
        onError(e, name);
        throw e;
      }
    };
  }
}

/**
 * Writes `bytes` to `dir/name`, replays it through the pipeline and checks the invariants above.
 * Never throws: every failure is reported in `problem`.
 */
export function runCaptureBytes(bytes: Uint8Array, dir: string, opts: FuzzRunOptions, name = 'input.bin'): FuzzOutcome {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  const t0 = performance.now();
  const sink = new LineSink();
  let problem: string | null = null;
  let error: unknown = null;
  let frames = 0;
  let caught: { e: unknown; where: string } | null = null;
  const fail = (msg: string, e: unknown = null): void => {
    if (problem === null) {
      problem = msg;
      error = e;
    }
  };
  try {
    const stage = opts.stage ? opts.stage(sink) : null;
    const pipeline = new Pipeline({ devices: opts.devices ?? [], maxFlows: opts.maxFlows }, stage ?? sink);
    const remember = (e: unknown, where: string): void => { caught ??= { e, where }; };
    spyThrows(pipeline.decoder, ['decode', 'decodeInner'], remember);
    spyThrows(pipeline, ['onTransport', 'onNewFlow', 'onPayload'], remember);
    const issues: CaptureIssue[] = [];
    const inputs: InputInfo[] = [];
    let src: PacketSource | null = null;
    try {
      src = openCapture(file, pipeline.anomalies);
    } catch (e) {
      if (!(e instanceof CaptureError)) fail(`openCapture threw ${describe(e)}`, e);
    }
    if (src) {
      const frame = newFrame();
      try {
        while (src.next(frame)) {
          frames++;
          if (frame.offset < 0 || frame.capturedLength < 0 || frame.offset + frame.capturedLength > frame.buf.length) {
            fail(`reader handed a frame outside its buffer (offset ${frame.offset}, caplen ${frame.capturedLength}, buffer ${frame.buf.length})`);
            break;
          }
          if (frame.capturedLength > MAX_CAPLEN) fail(`reader handed a ${frame.capturedLength}-byte frame (MAX_CAPLEN ${MAX_CAPLEN})`);
          if (frame.wireLength < frame.capturedLength) fail(`frame wire length ${frame.wireLength} < captured ${frame.capturedLength}`);
          if (!Number.isFinite(frame.tsMicros)) fail(`frame timestamp ${frame.tsMicros}`);
          const pad = opts.canary === 'exact' ? 0 : CANARY_PAD;
          const copy = new Uint8Array(frame.capturedLength + 2 * pad);
          if (pad > 0) copy.fill(opts.canary as number);
          copy.set(frame.buf.subarray(frame.offset, frame.offset + frame.capturedLength), pad);
          frame.buf = copy;
          frame.offset = pad;
          pipeline.processFrame(frame);
          const v = pipeline.decoder.view;
          // An empty payload's offset is meaningless (the view keeps whatever the last layer set).
          if (v.buf === copy && v.payloadLength !== 0 && (v.payloadOffset < pad || v.payloadLength < 0 || v.payloadOffset + v.payloadLength > pad + frame.capturedLength)) {
            fail(`view payload [${v.payloadOffset}, +${v.payloadLength}) outside the captured bytes [${pad}, ${pad + frame.capturedLength})`);
          }
          if (caught) break;
        }
      } finally {
        src.close();
      }
      issues.push(...src.issues);
      inputs.push(src.info());
    }
    if (caught !== null) {
      const c: { e: unknown; where: string } = caught;
      fail(`the pipeline's guard caught ${describe(c.e)} in ${c.where} (frame ${frames})`, c.e);
    }
    pipeline.finish();
    stage?.finish();
    const summary = buildSummary(pipeline, { inputs: [file], format: 'ndjson', pipeline: { devices: opts.devices ?? [] } }, inputs, issues, sink.flows);
    sink.push(renderNdjsonLine(summary));
    if (pipeline.anomalies.counts[A['decoder.internal_error']] > 0) fail('decoder.internal_error was counted');
    if (sink.bad) fail(sink.bad);
  } catch (e) {
    fail(`the pipeline threw ${describe(e)}`, e);
  }
  return { lines: sink.lines, problem, error, ms: performance.now() - t0, frames };
}

/**
 * Runs `bytes` twice, with an exact-size frame buffer and with 0xff canaries around each frame;
 * a difference in the output means some stage read past the captured bytes.
 */
export function runWithCanaries(bytes: Uint8Array, dir: string, extra: Omit<FuzzRunOptions, 'canary'> = {}): FuzzOutcome {
  const a = runCaptureBytes(bytes, dir, { ...extra, canary: 'exact' });
  if (a.problem) return a;
  const b = runCaptureBytes(bytes, dir, { ...extra, canary: 0xff });
  if (b.problem) return b;
  const diff = firstDifference(a.lines, b.lines);
  if (diff !== null) {
    return { ...b, problem: `output depends on bytes outside the captured packet (canary test), first difference at line ${diff}: ${a.lines[diff]?.slice(0, 200)} vs ${b.lines[diff]?.slice(0, 200)}` };
  }
  return { ...b, ms: a.ms + b.ms };
}

function firstDifference(a: string[], b: string[]): number | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return null;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
