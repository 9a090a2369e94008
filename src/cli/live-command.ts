/**
 * `egress-audit live <iface>` and `egress-audit live --list`: flags in, a `runLive` call out.
 * Parses and validates the flags, takes the device's addresses from the interface unless
 * --device is given, turns SIGINT/SIGTERM into a clean stop, and sets the exit status (0 clean,
 * 1 undeclared traffic, 2 error) from the result. All capture and audit logic lives in
 * src/live.ts and below; nothing here touches packets, and no signal handler outlives the run.
 */
import { Command, Option } from 'commander';
import { DEFAULT_WRITE_MAX_BYTES } from '../capture/evidence-limits';
import type { LiveFormat } from '../live';
import { EgressAuditError } from '../errors';
import { Cidr, parseCidr } from '../net/addr';
import { OutputFile } from '../report/output';
import { lookupUser } from '../capture/privileges';
// Loaded on first use: the report model and renderers are only needed with --bundle.
const bundle = (): typeof import('../report/bundle') => require('../report/bundle') as typeof import('../report/bundle');
const runReport = (): typeof import('../report/run-report') => require('../report/run-report') as typeof import('../report/run-report');
import { VERSION } from '../version';
import { addPolicyOptions, policyStageFromFlags, type PolicyFlags } from './policy-flags';

// The live engine, the capture layer and the table library load when `live` runs, not when the
// command is registered: every other command (replay above all) starts without them (~9 ms).
const liveEngine = (): typeof import('../live') => require('../live') as typeof import('../live');
const captureLayer = (): typeof import('../capture/live') => require('../capture/live') as typeof import('../capture/live');
const evidenceLayer = (): typeof import('../capture/evidence-writer') => require('../capture/evidence-writer') as typeof import('../capture/evidence-writer');
const tableLib = (): typeof import('cli-table3') => require('cli-table3') as typeof import('cli-table3');


/** A bad `live` command line. */
class LiveUsageError extends EgressAuditError {
  readonly code = 'EA_USAGE';
}

/** `live` flags as commander parses them. */
interface LiveFlags extends PolicyFlags {
  list?: boolean;
  device?: string[];
  filter?: string;
  duration?: string;
  count?: string;
  write?: string;
  writeMaxBytes?: string;
  format: LiveFormat;
  output?: string;
  force?: boolean;
  user?: string;
  snaplen?: string;
  bufferBytes?: string;
  promisc?: boolean;
  maxFlows?: string;
  dnsGrace?: string;
  debug?: boolean;
  bundle?: string;
  reproducible?: boolean;
}

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** Duration units accepted by --duration. */
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a time such as `--duration`'s: a number with ms, s, m, h or d (plain numbers are
 * seconds), e.g. 10m, 1.5h; at most 24 days. Zero only when `allowZero` (`--dns-grace 0`).
 */
export function parseDuration(text: string, name = '--duration', allowZero = false): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? 's'] : NaN;
  if (!(ms > 0 || (allowZero && ms === 0)) || !Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    const what = allowZero ? 'a time' : 'a positive time';
    throw new LiveUsageError(`${name} ${text}: expected ${what} such as 30s, 10m, 2h or 7d (at most 24 days)`, { hint: 'write a number and a unit, without a space: ms, s, m, h or d (a plain number is seconds)' });
  }
  return Math.round(ms);
}

/** Option text of `--dns-grace`, shared by replay and live. */
export const DNS_GRACE_HELP = 'how long past its TTL a DNS answer still names flows to its addresses: 0, 30s, 10m, 2h, 1d (default 5m)';

/** `--dns-grace` as the pipeline takes it (µs), or undefined for the default. */
export function dnsGraceMicros(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDuration(text, '--dns-grace', true) * 1000;
}

/** Parses a positive whole number, with an optional K/M/G (binary) suffix when `sizes` is set. */
export function parsePositive(name: string, text: string, sizes = false): number {
  const m = (sizes ? /^(\d+)([KMG]i?B?)?$/i : /^(\d+)$/).exec(text.trim());
  const mult = m?.[2] ? 1024 ** ('KMG'.indexOf(m[2][0].toUpperCase()) + 1) : 1;
  const n = m ? Number(m[1]) * mult : NaN;
  if (!(n >= 1) || !Number.isSafeInteger(n)) throw new LiveUsageError(`${name} ${text}: expected a positive whole number${sizes ? ' (K, M, G suffixes allowed)' : ''}`);
  return n;
}

/** libpcap's largest snapshot length (MAXIMUM_SNAPLEN), also the default here. */
export const MAX_SNAPLEN = 262144;
/** Below this, an Ethernet frame of a full-size segment is cut (1,500-byte MTU plus its 14-byte header and a VLAN tag). */
const FULL_FRAME_SNAPLEN = 1518;

/**
 * --snaplen: a whole number from 1 to libpcap's maximum (the batch buffer is sized from it, so a
 * larger value is refused, not allocated). A value that cuts full-size frames is accepted with a
 * warning on `warn`: names past the cut (a ClientHello's SNI, a DNS answer, a Host line) are lost.
 */
export function parseSnaplen(text: string, warn: (t: string) => void): number {
  const n = parsePositive('--snaplen', text);
  if (n > MAX_SNAPLEN) throw new LiveUsageError(`--snaplen ${text}: at most ${MAX_SNAPLEN} (libpcap's maximum)`, { hint: 'leave --snaplen out to keep whole packets' });
  if (n < FULL_FRAME_SNAPLEN) {
    warn(`egress-audit: warning: --snaplen ${n} cuts full-size packets short: names past byte ${n} of a packet (a ClientHello's server name, DNS answers, a Host line) are lost, and such flows show as unnamed\n`);
  }
  return n;
}

/** The device prefixes: --device values, else every address of the interface as a host prefix. */
function resolveDevices(iface: string, values: string[]): { devices: Cidr[]; source: 'flag' | 'interface' | 'inferred' } {
  if (values.length > 0) {
    return {
      devices: values.map((v) => {
        const c = parseCidr(v);
        if (!c) throw new LiveUsageError(`--device ${v}: not an IP address or CIDR prefix`, { hint: 'e.g. --device 192.0.2.10 or --device 2001:db8::/64' });
        return c;
      }),
      source: 'flag',
    };
  }
  const devices: Cidr[] = [];
  for (const a of captureLayer().interfaceAddresses(iface)) {
    const host = a.address.replace(/%.*$/, ''); // drop an IPv6 zone
    const c = parseCidr(`${host}/${a.family === 'IPv4' ? 32 : 128}`);
    if (c) devices.push(c);
  }
  return devices.length > 0 ? { devices, source: 'interface' } : { devices, source: 'inferred' };
}

/** Prints the capturable interfaces. */
function printInterfaces(): void {
  const Table = tableLib();
  const t = new Table({ head: ['interface', 'state', 'addresses', 'description'], style: { head: [], border: [] } });
  for (const d of captureLayer().listInterfaces()) {
    const state = [d.up ? 'up' : 'down', d.running ? 'running' : '', d.loopback ? 'loopback' : ''].filter((s) => s !== '').join(', ');
    t.push([d.name, state, d.addresses.map((a) => a.address).join('\n'), d.description ?? '']);
  }
  process.stdout.write(t.toString() + '\n');
}

/** Registers the `live` command. */
export function registerLiveCommand(program: Command, setExit: (code: number) => void, io: { stderr: (t: string) => void }): void {
  const cmd = program
    .command('live')
    .description('audit the traffic on a network interface as it happens (libpcap; tcpdump when the addon is not built)')
    .argument('[iface]', 'interface to capture on (egress-audit live --list shows them)')
    .option('--list', 'list the interfaces that can be captured on, then exit')
    .option('--device <ip|cidr>', "the device's addresses (repeatable); default: the interface's own addresses", collect)
    .option('--filter <bpf>', 'capture filter (pcap-filter(7)), e.g. "not port 22"')
    .option('--duration <time>', 'stop after this long: 30s, 10m, 2h, 7d')
    .option('--count <n>', 'stop after this many packets')
    .option('--write <file.pcapng>', 'keep the packets as evidence in pcapng, rotating by size: FILE, then FILE.1, FILE.2 ... (before the extension)')
    .option('--write-max-bytes <n>', `size at which --write starts the next file (default ${DEFAULT_WRITE_MAX_BYTES / 2 ** 30} GiB; K/M/G suffixes)`)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'ndjson']).default('table'))
    .option('-o, --output <file>', 'write the report to FILE (atomically, when the run ends) instead of standard output')
    .option('--force', 'replace an existing output or --write file')
    .option('--user <name>', 'switch to this user once the capture is open (drops root)')
    .option('--snaplen <n>', 'bytes kept per packet (default 262144)')
    .option('--buffer-bytes <n>', 'kernel capture buffer (default 32M; K/M/G suffixes)')
    .option('--promisc', 'put the interface in promiscuous mode (to audit other hosts on a mirror port)')
    .option('--max-flows <n>', 'cap on simultaneous flows (least recently used are evicted and counted)')
    .option('--dns-grace <time>', DNS_GRACE_HELP)
    .option('--debug', 'print stack traces for errors')
    .option('--bundle <dir>', 'when the run ends, also write the report bundle to DIR (report.html, report.md, findings.csv, flows.csv, audit.json, audit.sarif, junit.xml)')
    .option('--reproducible', 'pin the generation time of the bundle (SOURCE_DATE_EPOCH, else the last packet time)');
  addPolicyOptions(cmd).action(async (iface: string | undefined, flags: LiveFlags) => {
    if (flags.list) {
      printInterfaces();
      setExit(0);
      return;
    }
    if (iface === undefined) throw new LiveUsageError('live: missing the interface to capture on', { hint: 'egress-audit live --list shows the interfaces' });
    const { devices, source } = resolveDevices(iface, flags.device ?? []);
    const dnsGrace = dnsGraceMicros(flags.dnsGrace);
    const stage = policyStageFromFlags(flags, devices, dnsGrace);
    const durationMs = flags.duration !== undefined ? parseDuration(flags.duration) : undefined;
    const count = flags.count !== undefined ? parsePositive('--count', flags.count) : undefined;
    const snaplen = flags.snaplen !== undefined ? parseSnaplen(flags.snaplen, io.stderr) : undefined;
    const bufferBytes = flags.bufferBytes !== undefined ? parsePositive('--buffer-bytes', flags.bufferBytes, true) : undefined;
    const maxFlows = flags.maxFlows !== undefined ? parsePositive('--max-flows', flags.maxFlows) : undefined;
    const writeMax = flags.writeMaxBytes !== undefined ? parsePositive('--write-max-bytes', flags.writeMaxBytes, true) : undefined;
    if (writeMax !== undefined && flags.write === undefined) throw new LiveUsageError('--write-max-bytes needs --write FILE');

    if (flags.bundle !== undefined) bundle().checkBundleTarget(flags.bundle, flags.force === true);
    const out = OutputFile.open(flags.output ?? null, flags.force === true);
    if (flags.user !== undefined) {
      try {
        const ids = lookupUser(flags.user);
        out.handOver(ids.uid, ids.gid, ids.name);
        // Files after the first are created as that user when --write rotates: fail now, not hours in.
        if (flags.write !== undefined) evidenceLayer().checkEvidenceTargetFor(flags.write, ids, flags.force === true);
      } catch (e) {
        out.abort(); // an unknown user or a path it cannot write: no temporary file is left behind
        throw e;
      }
    }
    const abort = new AbortController();
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) abort.abort(sig);
      else if (sig === 'SIGINT') {
        // A second ^C: the user wants out now. The report is unfinished: no temporary file stays.
        // The capture is woken first: a read blocked on a quiet link would hold the exit.
        out.abort();
        captureLayer().LiveSource.closeAllNow();
        process.exit(130);
      }
      // A second SIGTERM or SIGHUP asks again for the stop under way: systemd signals every
      // process of a unit, so the capture gets the launcher's forwarded signal as well.
    };
    // SIGHUP (the SSH session that started a long audit closed) stops it cleanly too, the
    // report written; a terminal that is gone may refuse the status lines, which are not kept.
    process.stderr.on('error', () => { /* a hung-up terminal: the report goes on */ });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    // Started by the launcher (bin/egress-audit.js): if it is killed outright (SIGKILL), nothing
    // forwards a stop, so the capture stops itself once its parent is gone.
    const parent = process.ppid;
    const orphaned = process.env.EGRESS_AUDIT_CHILD === '1'
      ? setInterval(() => { if (process.ppid !== parent) onSignal('SIGTERM'); }, 1000)
      : null;
    orphaned?.unref();
    try {
      const res = await liveEngine().runLive({
        iface,
        format: flags.format,
        pipeline: { devices, maxFlows, dnsGraceMicros: dnsGrace },
        deviceSource: source,
        stage,
        capture: { snaplen, bufferBytes, filter: flags.filter, promisc: flags.promisc === true },
        durationMs,
        count,
        write: flags.write !== undefined ? { path: flags.write, maxBytes: writeMax, force: flags.force === true } : undefined,
        user: flags.user,
        status: { write: io.stderr, isTty: process.stderr.isTTY === true && !(flags.format === 'ndjson' && out.isTty) },
        signal: abort.signal,
        keepRecords: flags.bundle !== undefined,
      }, out);
      out.commit();
      if (flags.bundle !== undefined) {
        // The evidence files (if any) are the run's inputs; without --write there is no file to hash.
        const model = runReport().buildRunReport(res, { inputs: res.files, rules: flags.rules, set: flags.set, reproducible: flags.reproducible === true, version: VERSION });
        bundle().writeBundle(flags.bundle, model, { force: flags.force === true });
      }
      for (const e of res.summary.errors ?? []) {
        if (e.code === 'EA_CAPTURE_DROPPED') continue; // already warned on stderr
        io.stderr(`egress-audit: ${e.code}: ${e.message}\n${e.hint ? `\n  hint: ${e.hint}\n` : ''}`);
      }
      setExit(res.exitCode);
    } catch (e) {
      out.abort();
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      if (orphaned !== null) clearInterval(orphaned);
    }
  });
}
