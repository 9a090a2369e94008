/**
 * The command line: a function from argv to an exit code (0 clean, 1 undeclared traffic,
 * 2 error). Parses flags with commander, resolves them into library calls, prints errors as one
 * line with a code and a hint — never a stack trace unless --debug — and treats a closed
 * output pipe as success. Nothing else lives here.
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from './version';
import { isTty } from './tty';
import { runAudit, OutputFormat } from './audit';
import { EgressAuditError, formatInputError } from './errors';
import { parseCidr, Cidr } from './net/addr';
import { DEFAULT_DNS_CACHE_ENTRIES } from './attribution/dns-cache';
import { OutputFile } from './report/output';
import { registerLiveCommand, DNS_GRACE_HELP, dnsGraceMicros } from './cli/live-command';
import { registerReportCommands } from './cli/report-commands';
import { progressFor } from './cli/progress';
// Loaded on first use: the report model and renderers are only needed with --bundle.
const bundle = (): typeof import('./report/bundle') => require('./report/bundle') as typeof import('./report/bundle');
const runReport = (): typeof import('./report/run-report') => require('./report/run-report') as typeof import('./report/run-report');
import { addPolicyOptions, registerPolicyCommands, policyStageFromFlags, PolicyFlags } from './cli/policy-flags';

/** Version printed by --version and written into reports. */
export { VERSION };

/** A bad command line. */
export class UsageError extends EgressAuditError {
  readonly code = 'EA_USAGE';
}

/** Where the CLI writes diagnostics (tests pass their own). */
export interface CliIo {
  stderr: (text: string) => void;
}

const defaultIo: CliIo = { stderr: (t) => process.stderr.write(t) };

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** Parses --device values. */
export function parseDevices(values: string[]): Cidr[] {
  return values.map((v) => {
    const c = parseCidr(v);
    if (!c) throw new UsageError(`--device ${v}: not an IP address or CIDR prefix`, { hint: 'e.g. --device 192.0.2.10 or --device 2001:db8::/64' });
    return c;
  });
}

/** Parses a positive integer flag. */
function parseCount(name: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${name} ${v}: expected a positive whole number`);
  return Number(v);
}

interface ReplayFlags extends PolicyFlags {
  device?: string[];
  format: OutputFormat;
  output?: string;
  force?: boolean;
  maxFlows?: string;
  maxDnsCache?: string;
  dnsGrace?: string;
  debug?: boolean;
  bundle?: string;
  reproducible?: boolean;
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function run(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let exitCode = 0;
  let debug = argv.includes('--debug');
  const program = new Command('egress-audit')
    .description("check a device's real network traffic against what its vendor documented")
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeErr: (t) => io.stderr(t),
      writeOut: (t) => process.stdout.write(t),
      // commander's own parse errors ("error: unknown option '--bogus'") in the one-line form
      // every other error has: code, message, hint.
      outputError: (t, write) => write(commanderErrorLine(t)),
    });

  const replayCmd = program
    .command('replay')
    .description('audit one or more pcap/pcapng captures ("-" reads standard input)')
    .argument('<captures...>', 'capture files')
    .option('--device <ip|cidr>', "the device's addresses (repeatable); default: inferred per flow", collect)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'ndjson']).default('table'))
    .option('-o, --output <file>', 'write the output to FILE (atomically) instead of standard output')
    .option('--force', 'replace an existing output file')
    .option('--max-flows <n>', 'cap on simultaneous flows (least recently used are evicted and counted)')
    .option('--max-dns-cache <n>', `cap on (client, address) pairs remembered from DNS answers (oldest evicted and counted; default ${DEFAULT_DNS_CACHE_ENTRIES})`)
    .option('--dns-grace <time>', DNS_GRACE_HELP)
    .option('--bundle <dir>', 'also write the report bundle to DIR: report.html, report.md, findings.csv, flows.csv, audit.json, audit.sarif, junit.xml')
    .option('--reproducible', 'pin the generation time (SOURCE_DATE_EPOCH, else the last packet time) so the bundle is byte-identical across runs')
    .option('--debug', 'print stack traces for errors');
  addPolicyOptions(replayCmd)
    .action((captures: string[], flags: ReplayFlags) => {
      debug = debug || flags.debug === true;
      const devices = parseDevices(flags.device ?? []);
      const dnsGrace = dnsGraceMicros(flags.dnsGrace);
      const stage = policyStageFromFlags(flags, devices, dnsGrace);
      if (flags.bundle !== undefined) bundle().checkBundleTarget(flags.bundle, flags.force === true);
      const out = OutputFile.open(flags.output ?? null, flags.force === true);
      try {
        const res = runAudit({
          inputs: captures,
          format: flags.format,
          pipeline: {
            devices,
            maxFlows: flags.maxFlows ? parseCount('--max-flows', flags.maxFlows) : undefined,
            dnsCacheEntries: flags.maxDnsCache ? parseCount('--max-dns-cache', flags.maxDnsCache) : undefined,
            dnsGraceMicros: dnsGrace,
          },
          stage,
          keepRecords: flags.bundle !== undefined,
          onProgress: progressFor(captures, { isTTY: isTty(2), write: (t: string) => process.stderr.write(t) }),
        }, out);
        out.commit();
        if (flags.bundle !== undefined) {
          const model = runReport().buildRunReport(res, { inputs: captures, rules: flags.rules, set: flags.set, reproducible: flags.reproducible === true, version: VERSION });
          bundle().writeBundle(flags.bundle, model, { force: flags.force === true });
        }
        for (const e of res.summary.errors ?? []) io.stderr(formatInputError(e));
        exitCode = res.exitCode;
      } catch (e) {
        out.abort();
        throw e;
      }
    });

  registerPolicyCommands(program, (code) => { exitCode = code; }, io);
  registerLiveCommand(program, (code) => { exitCode = code; }, io);
  registerReportCommands(program, (code) => { exitCode = code; }, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return reportError(e, io, debug);
  }
}

/** A commander parse error ("error: missing required argument 'captures'") as `egress-audit: EA_USAGE: ...` plus a hint. */
export function commanderErrorLine(text: string): string {
  const message = text.trim().replace(/^error: /, '');
  return `egress-audit: EA_USAGE: ${message}\n\n  hint: egress-audit --help lists the commands; egress-audit <command> --help their options\n`;
}

/** Prints an error as one line plus hint; returns exit status 2 (0 for --help/--version). */
function reportError(e: unknown, io: CliIo, debug: boolean): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  if (e instanceof EgressAuditError) {
    io.stderr(`egress-audit: ${e.code}: ${e.message}\n`);
    if (e.hint) io.stderr(`\n  hint: ${e.hint}\n`);
    if (debug && e.stack) io.stderr(e.stack + '\n');
    return 2;
  }
  const err = e as Error;
  io.stderr(`egress-audit: EA_INTERNAL: ${err?.message ?? String(e)}\n`);
  io.stderr(debug && err?.stack ? err.stack + '\n' : '\n  hint: this is a bug; rerun with --debug and report the output\n');
  return 2;
}

/** Entry point used by bin/egress-audit.js. */
export function runFromProcess(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  run(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { process.stderr.write(`egress-audit: EA_INTERNAL: ${String(e)}\n`); process.exitCode = 2; },
  );
}

// Started directly (`node dist/src/main.js replay ...`) rather than through bin/egress-audit.js:
// run the CLI all the same (without the launcher's heap cap), never exit 0 having done nothing.
if (require.main === module) runFromProcess();
