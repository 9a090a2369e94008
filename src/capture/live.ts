/**
 * Live capture: the thin, lazily loaded boundary over native/ (libpcap), with a tcpdump fallback.
 * Sits at the start of the pipeline like the file readers: packets in, one reused `Frame` out per
 * packet through a callback. libpcap return codes become typed errors in exactly one function
 * (`toLiveCaptureError`); a read timeout and the end after stop() are not errors. It never loads
 * the addon at module load (replay must work where native/ never built), never decodes packets,
 * and never allocates per packet.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Readable } from 'stream';
import { LIVE_PERMISSION_HINT, LIVE_UNAVAILABLE_HINT, LiveCaptureError } from '../errors';
import { PcapStreamParser } from './pcap-stream';
import { newFrame, type Frame } from './source';

// ── The native binding's shape (native/src/capture.c) ───────────────────────────────────

/** An open libpcap handle as the addon returns it. */
export interface NativeHandle {
  readonly linkType: number;
  readonly snaplen: number;
  /** pcap_activate warning (e.g. promiscuous mode not supported), or null. */
  readonly warning: string | null;
}

/** Counters as libpcap reports them (pcap_stats), plus packets the addon could not hold. */
export interface NativeStats { ps_recv: number; ps_drop: number; ps_ifdrop: number; spill_lost: number }

/** An interface as pcap_findalldevs reports it (also the shape of `listInterfaces()`). */
export interface LiveInterface {
  name: string;
  description: string | null;
  loopback: boolean;
  up: boolean;
  running: boolean;
  addresses: LiveAddress[];
}

/** One address of an interface. */
export interface LiveAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  netmask: string | null;
}

/** The addon's exports: five capture calls plus `listInterfaces`. */
export interface NativeBinding {
  open(iface: string, options: NativeOpenOptions): NativeHandle;
  setFilter(handle: NativeHandle, bpf: string): void;
  /** Resolves with packets written (> 0), 0 on a read timeout, -2 once closed; rejects on a read error. */
  nextBatch(handle: NativeHandle, into: Uint8Array): Promise<number>;
  stats(handle: NativeHandle): NativeStats;
  close(handle: NativeHandle): void;
  listInterfaces(): LiveInterface[];
  readonly libpcapVersion: string;
}

/** Options of the addon's open(); LiveOptions supplies the defaults. */
export interface NativeOpenOptions { snaplen: number; promisc: boolean; bufferBytes: number; timeoutMs: number; immediate: boolean }

/** What the addon (or the tcpdump adapter) attaches to its errors. */
interface NativeErrorFields { op?: string; pcapStatus?: number }

/** libpcap status codes (pcap/pcap.h) that reach `toLiveCaptureError`. */
export const PCAP_ERROR = -1;
export const PCAP_ERROR_BREAK = -2;
export const PCAP_ERROR_NO_SUCH_DEVICE = -5;
export const PCAP_ERROR_PERM_DENIED = -8;
export const PCAP_ERROR_IFACE_NOT_UP = -9;
export const PCAP_ERROR_PROMISC_PERM_DENIED = -11;

/** Bytes per packet header in a native batch: ts sec, ts usec, caplen, wirelen (u32 each, host order). */
const BATCH_RECORD_HEADER_BYTES = 16;

// ── Loading ─────────────────────────────────────────────────────────────────────────────

let binding: NativeBinding | null | undefined;
let bindingUnavailableReason = '';

/**
 * Loads native/ once, on first use (undici's lazyllhttp); null when it is absent or disabled by
 * EGRESS_AUDIT_NATIVE=0. `nativeUnavailableReason()` then says why. Never throws.
 */
export function loadNative(): NativeBinding | null {
  if (binding !== undefined) return binding;
  binding = null;
  if (process.env.EGRESS_AUDIT_NATIVE === '0') {
    bindingUnavailableReason = 'disabled by EGRESS_AUDIT_NATIVE=0';
    return binding;
  }
  // The optional dependency first, then native/ beside src/ (ts-jest) or beside dist/ (built).
  const candidates = ['egress-audit-native', path.resolve(__dirname, '../../native'), path.resolve(__dirname, '../../../native')];
  const reasons: string[] = [];
  for (const id of candidates) {
    try {
      binding = require(id) as NativeBinding;
      return binding;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(id)) continue;
      reasons.push(String(err.message));
    }
  }
  bindingUnavailableReason = reasons[0] ?? 'egress-audit-native is not installed';
  return binding;
}

/** Why `loadNative()` returned null ('' when it has not been tried or succeeded). */
export function nativeUnavailableReason(): string {
  return bindingUnavailableReason;
}

// ── Errors: the one place libpcap codes become typed errors ────────────────────────────

/**
 * Maps a libpcap status (from the addon, or recognised in tcpdump's stderr) to a typed error;
 * returns null for statuses that are not errors (packet counts, 0 = timeout, PCAP_ERROR_BREAK =
 * closed). `op` is the call that failed ('open', 'setFilter', 'nextBatch', 'stats').
 */
export function toLiveCaptureError(op: string, status: number, detail: string, iface: string, cause?: unknown): LiveCaptureError | null {
  if (status >= 0 || status === PCAP_ERROR_BREAK) return null;
  const text = detail.trim();
  if (status === PCAP_ERROR_PERM_DENIED || status === PCAP_ERROR_PROMISC_PERM_DENIED || /permission|not permitted/i.test(text)) {
    return new LiveCaptureError('EA_CAPTURE_PERMISSION', `cannot open ${iface} for capture: permission denied`, { hint: LIVE_PERMISSION_HINT, cause });
  }
  if (status === PCAP_ERROR_NO_SUCH_DEVICE || /no such device/i.test(text)) {
    return new LiveCaptureError('EA_CAPTURE_NO_DEVICE', `cannot capture on ${iface}: no such interface`, {
      hint: 'list the interfaces that can be captured with: egress-audit live --list',
      cause,
    });
  }
  if (op === 'setFilter') {
    return new LiveCaptureError('EA_CAPTURE_FILTER', `invalid capture filter: ${text}`, {
      hint: "check the BPF syntax (pcap-filter(7)); `tcpdump -d 'EXPR'` shows how libpcap compiles it",
      cause,
    });
  }
  if (status === PCAP_ERROR_IFACE_NOT_UP) {
    return new LiveCaptureError('EA_CAPTURE_FAILED', `cannot capture on ${iface}: the interface is down`, { hint: `bring it up: ip link set ${iface} up`, cause });
  }
  // The interface went away under the capture (deleted, renamed, a USB adapter unplugged):
  // what was captured before stays in the report.
  const gone = /disappeared|went down|no longer/i.test(text);
  const what = gone
    ? `capture on ${iface} stopped: ${text.charAt(0).toLowerCase()}${text.slice(1)} (deleted, renamed, or its adapter unplugged)`
    : `capture on ${iface} failed (${op}): ${text || `libpcap status ${status}`}`;
  return new LiveCaptureError('EA_CAPTURE_FAILED', what, {
    hint: gone
      ? `the report covers the traffic up to this point; check the interface (ip link show ${iface}) and start a new run`
      : `check the interface (ip link show ${iface}) and the kernel log (dmesg); the report covers the traffic up to this point`,
    cause,
  });
}

/** Routes a thrown addon error through `toLiveCaptureError`; non-addon errors (bugs) pass through. */
function fromThrown(e: unknown, iface: string): Error {
  const fields = e as NativeErrorFields & Error;
  if (typeof fields?.pcapStatus !== 'number') return e instanceof Error ? e : new Error(String(e));
  return toLiveCaptureError(fields.op ?? 'capture', fields.pcapStatus, fields.message, iface, e) ?? fields;
}

// ── LiveSource ──────────────────────────────────────────────────────────────────────────

/** Options of `LiveSource`; every field has a default suited to a long-running audit. */
export interface LiveOptions {
  /** Bytes kept per packet (libpcap's default, 262144, keeps whole GRO super-packets). */
  snaplen?: number;
  /** Put the interface in promiscuous mode (default false: the device's own traffic is enough). */
  promisc?: boolean;
  /** Kernel ring size in bytes (default 32 MiB: absorbs ~0.5 s of 64-byte packets at 250 kpps). */
  bufferBytes?: number;
  /** Longest wait before a partly filled kernel block is delivered, in ms (default 100). */
  timeoutMs?: number;
  /** Deliver each packet as it arrives instead of in kernel blocks (lower latency, more CPU). */
  immediate?: boolean;
  /** BPF filter (pcap-filter(7)); empty or absent captures everything. */
  filter?: string;
  /** 'auto' (default): the addon, else tcpdump. Tests force one. */
  backend?: 'auto' | 'native' | 'tcpdump';
  /** Bytes in the reused batch buffer (default 4 MiB; raised to fit 16 + snaplen). */
  batchBytes?: number;
  /** tcpdump fallback only: user tcpdump switches to (-Z); use the same user as `--user`, so stop() can signal it. */
  tcpdumpUser?: string;
  /** tcpdump fallback only: the program to run (default: tcpdump on PATH or in /usr/sbin). */
  tcpdumpPath?: string;
}

/** Capture counters for the summary: an audit that lost packets must be able to say so. */
export interface LiveStats {
  /** Packets the kernel passed the filter (libpcap ps_recv; tcpdump "received by filter"). */
  received: number;
  /** Packets dropped because the ring was full (ps_drop), plus any the addon could not hold. */
  dropped: number;
  /** Packets the interface or driver dropped (ps_ifdrop); 0 when unknown. */
  ifDropped: number;
  /** Packets handed to the callback. */
  delivered: number;
}

type Backend = 'native' | 'tcpdump';

/** Native captures open in this process (LiveSource.closeAllNow wakes them all). */
const openNative = new Set<LiveSource>();

/**
 * Captures from one interface and calls `onFrame` with a reused `Frame` per packet (valid only
 * during the call: copy what you keep). start() opens the capture, stop() ends it; `ended`
 * resolves with the error that stopped the capture, or null after a normal stop.
 */
export class LiveSource {
  /**
   * Wakes and closes every native capture at once, for an exit that cannot wait for a clean
   * stop (a second Ctrl-C). A libuv worker blocked in libpcap's read on a quiet link would
   * otherwise hold the exit until the next packet: Node joins its worker threads on exit, and
   * a TPACKET_V3 read does not time out while no packet arrives.
   */
  static closeAllNow(): void {
    for (const s of openNative) s.closeNative();
    openNative.clear();
  }

  private closeNative(): void {
    if (this.native !== null && this.handle !== null) this.native.close(this.handle);
  }

  /** Which backend is capturing; null before start(). */
  backend: Backend | null = null;
  /** LINKTYPE_* of the interface (pcap_datalink); -1 before start(). */
  linkType = -1;
  /** pcap_activate's warning, if any (e.g. promiscuous mode not supported). */
  warning: string | null = null;
  /** Resolves when capture has ended: with the error that ended it, or null after stop(). */
  readonly ended: Promise<Error | null>;

  private readonly options: Required<Omit<LiveOptions, 'tcpdumpUser' | 'tcpdumpPath'>> & Pick<LiveOptions, 'tcpdumpUser' | 'tcpdumpPath'>;
  private readonly frame: Frame = newFrame();
  private native: NativeBinding | null = null;
  private handle: NativeHandle | null = null;
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private tcpdumpStats: LiveStats = { received: 0, dropped: 0, ifDropped: 0, delivered: 0 };
  private delivered = 0;
  private stopping = false;
  private finish: (err: Error | null) => void = () => undefined;
  private finished = false;

  /** Nothing is opened until start(). */
  constructor(
    readonly iface: string,
    private readonly onFrame: (frame: Frame) => void,
    options: LiveOptions = {},
  ) {
    const snaplen = options.snaplen ?? 262144;
    this.options = {
      snaplen,
      promisc: options.promisc ?? false,
      bufferBytes: options.bufferBytes ?? 32 * 1024 * 1024,
      timeoutMs: options.timeoutMs ?? 100,
      immediate: options.immediate ?? false,
      filter: options.filter ?? '',
      backend: options.backend ?? 'auto',
      batchBytes: Math.max(options.batchBytes ?? 4 * 1024 * 1024, BATCH_RECORD_HEADER_BYTES + snaplen + 3),
      tcpdumpUser: options.tcpdumpUser,
      tcpdumpPath: options.tcpdumpPath,
    };
    this.ended = new Promise((resolve) => {
      this.finish = (err) => {
        if (this.finished) return;
        this.finished = true;
        resolve(err);
      };
    });
  }

  /**
   * Opens the interface and starts delivering packets; resolves once capture is running.
   * Rejects with a `LiveCaptureError` (EA_CAPTURE_PERMISSION, EA_CAPTURE_NO_DEVICE,
   * EA_CAPTURE_FILTER, EA_CAPTURE_FAILED, or EA_LIVE_UNAVAILABLE when no backend exists).
   */
  async start(): Promise<void> {
    if (this.backend !== null) throw new Error('LiveSource.start() called twice');
    const wanted = this.options.backend;
    const native = wanted === 'tcpdump' ? null : loadNative();
    if (native !== null) return this.startNative(native);
    const tool = wanted === 'native' ? null : findTcpdump(this.options.tcpdumpPath);
    if (tool !== null) return this.startTcpdump(tool);
    const why = wanted === 'tcpdump' ? 'tcpdump was not found on PATH' : `the libpcap addon is not available (${nativeUnavailableReason()})${wanted === 'native' ? '' : ' and tcpdump was not found on PATH'}`;
    throw new LiveCaptureError('EA_LIVE_UNAVAILABLE', `live capture is unavailable: ${why}`, { hint: LIVE_UNAVAILABLE_HINT });
  }

  /**
   * Stops capturing and resolves with the final counters. Frames keep arriving for `drainMs`
   * first (default: twice the read timeout, 0 in immediate mode) so packets still in the kernel
   * ring are not lost; pass 0 to stop at once. Safe to call twice and before start().
   */
  async stop(options: { drainMs?: number } = {}): Promise<LiveStats> {
    const drainMs = options.drainMs ?? (this.options.immediate ? 0 : 2 * this.options.timeoutMs);
    if (this.backend === null || this.stopping) {
      this.stopping = true;
      if (this.backend === null) this.finish(null);
      await this.ended;
      return this.stats();
    }
    if (drainMs > 0 && this.backend === 'native') await new Promise((r) => setTimeout(r, drainMs));
    this.stopping = true;
    if (this.native !== null && this.handle !== null) this.native.close(this.handle);
    if (this.child !== null) this.signalChild('SIGTERM');
    await this.ended;
    return this.stats();
  }

  /** Counters so far (native: refreshed at least every 100 ms while packets flow; final after stop()). */
  stats(): LiveStats {
    if (this.native !== null && this.handle !== null) {
      const s = this.native.stats(this.handle);
      return { received: s.ps_recv, dropped: s.ps_drop + s.spill_lost, ifDropped: s.ps_ifdrop, delivered: this.delivered };
    }
    if (this.child !== null && !this.stopping) this.signalChild('SIGUSR1'); // tcpdump prints fresh counters
    return { ...this.tcpdumpStats, delivered: this.delivered };
  }

  // ── native backend ──

  private startNative(native: NativeBinding): void {
    let handle: NativeHandle;
    try {
      const { snaplen, promisc, bufferBytes, timeoutMs, immediate } = this.options;
      handle = native.open(this.iface, { snaplen, promisc, bufferBytes, timeoutMs, immediate });
    } catch (e) {
      throw fromThrown(e, this.iface);
    }
    try {
      if (this.options.filter !== '') native.setFilter(handle, this.options.filter);
    } catch (e) {
      native.close(handle);
      throw fromThrown(e, this.iface);
    }
    this.native = native;
    this.handle = handle;
    this.backend = 'native';
    this.linkType = handle.linkType;
    this.warning = handle.warning;
    this.frame.linkType = handle.linkType;
    openNative.add(this);
    this.readNative(native, handle).then((err) => {
      openNative.delete(this);
      this.finish(err);
    }, (e: unknown) => {
      openNative.delete(this);
      native.close(handle);
      this.finish(fromThrown(e, this.iface));
    });
  }

  /** The read loop: one await per batch; resolves null when the handle is closed. */
  private async readNative(native: NativeBinding, handle: NativeHandle): Promise<Error | null> {
    // Align the buffer size to whole words so the Uint32Array view covers it.
    const buf = new Uint8Array((this.options.batchBytes + 3) & ~3);
    const words = new Uint32Array(buf.buffer);
    for (;;) {
      const count = await native.nextBatch(handle, buf);
      if (count < 0) return toLiveCaptureError('nextBatch', count, '', this.iface);
      if (count > 0 && !this.stopping) this.deliverBatch(buf, words, count);
    }
  }

  /** Walks one batch (layout in native/src/capture.c) and calls onFrame per packet. */
  private deliverBatch(buf: Uint8Array, words: Uint32Array, count: number): void {
    const frame = this.frame;
    frame.buf = buf;
    let off = 0;
    for (let i = 0; i < count && !this.stopping; i++) {
      const w = off >>> 2;
      const caplen = words[w + 2];
      frame.tsMicros = words[w] * 1e6 + words[w + 1];
      frame.capturedLength = caplen;
      frame.wireLength = words[w + 3];
      frame.offset = off + BATCH_RECORD_HEADER_BYTES;
      off += BATCH_RECORD_HEADER_BYTES + ((caplen + 3) & ~3);
      this.delivered++;
      this.onFrame(frame);
    }
  }

  // ── tcpdump backend ──

  private startTcpdump(tool: string): Promise<void> {
    const o = this.options;
    const args = ['-i', this.iface, '-U', '-w', '-', '-s', String(o.snaplen), '-B', String(Math.ceil(o.bufferBytes / 1024))];
    // tcpdump has no read-timeout option and loses an unretired kernel block on exit: immediate
    // mode delivers every packet before SIGTERM. The fallback is for low rates anyway.
    args.push('--immediate-mode');
    if (!o.promisc) args.push('-p');
    if (o.tcpdumpUser !== undefined) args.push('-Z', o.tcpdumpUser);
    if (o.filter !== '') args.push(o.filter);
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.backend = 'tcpdump';
    let stderr = '';
    let listening = false;
    const parser = new PcapStreamParser((frame) => {
      if (this.stopping) return;
      this.delivered++;
      this.onFrame(frame);
    });
    return new Promise((resolve, reject) => {
      const ready = (): void => {
        if (!listening || parser.linkType < 0) return;
        this.linkType = parser.linkType;
        resolve();
      };
      child.stdout.on('data', (chunk: Buffer) => {
        parser.push(chunk);
        if (parser.failure !== null) this.signalChild('SIGTERM');
        ready();
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        stderr += text;
        if (stderr.length > 65536) stderr = stderr.slice(-16384); // counters repeat; keep it bounded
        this.tcpdumpStats = parseTcpdumpCounters(stderr, this.tcpdumpStats);
        if (!listening && /listening on/.test(stderr)) {
          listening = true;
          ready();
        }
      });
      child.on('error', (e) => {
        const err = new LiveCaptureError('EA_LIVE_UNAVAILABLE', `cannot run ${tool}: ${e.message}`, { hint: LIVE_UNAVAILABLE_HINT, cause: e });
        reject(err);
        this.finish(err);
      });
      child.on('close', (code, signal) => {
        this.tcpdumpStats = parseTcpdumpCounters(stderr, this.tcpdumpStats);
        const err = this.tcpdumpError(tool, code, signal, stderr, parser);
        if (err !== null) reject(err);
        else if (!listening) reject(new LiveCaptureError('EA_CAPTURE_FAILED', `${tool} exited before capturing on ${this.iface}`));
        this.finish(err);
      });
    });
  }

  /** Why tcpdump ended, as a typed error; null for an exit we asked for. */
  private tcpdumpError(tool: string, code: number | null, signal: NodeJS.Signals | null, stderr: string, parser: PcapStreamParser): Error | null {
    if (parser.failure !== null) return new LiveCaptureError('EA_CAPTURE_FAILED', `${tool} wrote an unreadable pcap stream: ${parser.failure}`);
    if (this.stopping && (code === 0 || signal !== null)) return null;
    const lines = stderr.split('\n').filter((l) => l !== '' && !/listening on|packets? (captured|received|dropped)/.test(l));
    const detail = lines.join('; ').replace(/^tcpdump: /, '');
    // Recognise the libpcap failures tcpdump prints, so both backends share one mapping.
    const status = /permission/i.test(detail) ? PCAP_ERROR_PERM_DENIED : /no such device/i.test(detail) ? PCAP_ERROR_NO_SUCH_DEVICE : PCAP_ERROR;
    const op = status === PCAP_ERROR && this.filterRejected(tool) ? 'setFilter' : 'open';
    return toLiveCaptureError(op, status, detail || `${tool} exited with ${signal ?? `status ${code}`}`, this.iface);
  }

  /**
   * True when tcpdump rejects the filter but accepts the interface: its filter messages vary too
   * much to match ('syntax error', 'unknown port', 'illegal port number' ...). Error path only.
   */
  private filterRejected(tool: string): boolean {
    if (this.options.filter === '') return false;
    const compile = (...filter: string[]): number | null => spawnSync(tool, ['-d', '-i', this.iface, ...filter], { stdio: 'ignore', timeout: 5000 }).status;
    return compile(this.options.filter) !== 0 && compile() === 0;
  }

  private signalChild(signal: NodeJS.Signals): void {
    try {
      this.child?.kill(signal);
    } catch {
      // EPERM after --user dropped us below tcpdump's user: close the pipe instead (tcpdump then
      // exits on its next write). tcpdumpUser avoids this by making both the same user.
      this.child?.stdout.destroy();
    }
  }
}

/** Merges the latest counters tcpdump printed (on SIGUSR1 and at exit) into `prev`. */
export function parseTcpdumpCounters(stderr: string, prev: LiveStats): LiveStats {
  const last = (re: RegExp): number | null => {
    let value: number | null = null;
    for (const m of stderr.matchAll(re)) value = Number(m[1]);
    return value;
  };
  return {
    received: last(/(\d+) packets? received by filter/g) ?? prev.received,
    dropped: last(/(\d+) packets? dropped by kernel/g) ?? prev.dropped,
    ifDropped: last(/(\d+) packets? dropped by interface/g) ?? prev.ifDropped,
    delivered: prev.delivered,
  };
}

/**
 * tcpdump (or `explicit`) as an executable path; null if absent. dumpcap is not used: it announces
 * "Capturing on" before the filter is compiled and writes no header until the first packet.
 */
function findTcpdump(explicit: string | undefined): string | null {
  const names = explicit !== undefined ? [explicit] : ['tcpdump'];
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin']);
  for (const name of names) {
    if (name.includes('/')) {
      if (isExecutable(name)) return name;
      continue;
    }
    for (const dir of dirs) if (dir !== '' && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// ── Interfaces ──────────────────────────────────────────────────────────────────────────

/**
 * Interfaces that can be captured on: pcap_findalldevs through the addon, else the kernel's
 * list (/sys/class/net) with os.networkInterfaces() addresses. Per run; allocation is fine.
 */
export function listInterfaces(): LiveInterface[] {
  const native = loadNative();
  if (native !== null) {
    try {
      return native.listInterfaces().map((d) => ({
        name: d.name,
        description: d.description,
        loopback: d.loopback,
        up: d.up,
        running: d.running,
        addresses: d.addresses.map((a) => ({ family: a.family, address: a.address, netmask: a.netmask })),
      }));
    } catch {
      // pcap_findalldevs failed (rare): the OS view below is still useful.
    }
  }
  return listInterfacesFromOs();
}

/** IFF_* bits of /sys/class/net/NAME/flags (linux/if.h). */
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_RUNNING = 0x40;

/** The addon-free interface list: /sys/class/net names and flags, os.networkInterfaces() addresses. */
export function listInterfacesFromOs(): LiveInterface[] {
  const byName = os.networkInterfaces();
  let names: string[];
  try {
    names = fs.readdirSync('/sys/class/net');
  } catch {
    names = Object.keys(byName);
  }
  return names.sort().map((name) => {
    let flags = 0;
    try {
      flags = parseInt(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8'), 16);
    } catch {
      flags = byName[name] !== undefined ? IFF_UP | IFF_RUNNING : 0;
    }
    return {
      name,
      description: null,
      loopback: (flags & IFF_LOOPBACK) !== 0 || (byName[name]?.some((a) => a.internal) ?? false),
      up: (flags & IFF_UP) !== 0,
      running: (flags & IFF_RUNNING) !== 0,
      addresses: osAddresses(name),
    };
  });
}

function osAddresses(iface: string): LiveAddress[] {
  return (os.networkInterfaces()[iface] ?? []).map((a) => ({ family: a.family, address: a.address, netmask: a.netmask }));
}

/**
 * The device's own addresses: those configured on `iface` (IPv4 first), used to tell the
 * device's traffic from the far side's. Falls back to os.networkInterfaces(); [] when unknown.
 */
export function interfaceAddresses(iface: string): LiveAddress[] {
  const found = listInterfaces().find((d) => d.name === iface);
  const addresses = found !== undefined && found.addresses.length > 0 ? found.addresses : osAddresses(iface);
  return [...addresses].sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1));
}
