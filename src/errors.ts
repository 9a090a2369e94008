/**
 * Errors that stop a run: each has a stable `code` (part of the CLI/JSON contract, never renamed),
 * a one-line message starting lowercase, and a `hint` telling the user what to try next (undici's
 * errors.js, ripgrep's suggestions). Problems inside a capture's bytes are not errors: they become
 * `CaptureIssue`s and anomalies. Constructing one of these must never happen per packet.
 */

/** Options shared by every `EgressAuditError`. */
export interface EgressAuditErrorOptions {
  /** What the user can do about it; printed after a blank line below the message. */
  hint?: string;
  /** The underlying error (e.g. the `fs` error), kept for `--debug`. */
  cause?: unknown;
}

/** Base class: a stable `code`, a one-line lowercase `message` and an optional `hint`. */
export abstract class EgressAuditError extends Error {
  /** Stable identifier, e.g. `EA_CAPTURE_NOT_FOUND`. */
  abstract readonly code: string;
  /** One line on what to do next, or undefined when there is nothing useful to say. */
  readonly hint: string | undefined;

  constructor(message: string, options: EgressAuditErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Codes a `CaptureError` can carry. */
export type CaptureErrorCode =
  | 'EA_CAPTURE_NOT_FOUND'
  | 'EA_CAPTURE_PERMISSION'
  | 'EA_CAPTURE_EMPTY'
  | 'EA_CAPTURE_NOT_A_CAPTURE'
  | 'EA_CAPTURE_READ';

/** A capture input that cannot be opened or is not a capture at all (nothing can be read from it). */
export class CaptureError extends EgressAuditError {
  readonly code: CaptureErrorCode;

  constructor(code: CaptureErrorCode, message: string, options: EgressAuditErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** The capture path does not exist. */
export class CaptureNotFoundError extends CaptureError {
  constructor(file: string, cause?: unknown) {
    super('EA_CAPTURE_NOT_FOUND', `cannot open ${file}: no such file`, {
      hint: 'check the path; use - to read a capture from standard input',
      cause,
    });
  }
}

/** The capture exists but may not be read by this user. */
export class CapturePermissionError extends CaptureError {
  constructor(file: string, cause?: unknown) {
    super('EA_CAPTURE_PERMISSION', `cannot open ${file}: permission denied`, {
      hint: 'check the file permissions, or copy the capture somewhere readable',
      cause,
    });
  }
}

/** The input has zero bytes. */
export class EmptyCaptureError extends CaptureError {
  constructor(file: string) {
    super('EA_CAPTURE_EMPTY', `${file} is empty (0 bytes)`, {
      hint: 'did the capture run long enough? a pcap with no packets still has a 24-byte header',
    });
  }
}

/** The input starts with neither a pcap nor a pcapng magic number. */
export class NotACaptureError extends CaptureError {
  constructor(file: string, why: string) {
    super('EA_CAPTURE_NOT_A_CAPTURE', `${file} is not a pcap or pcapng file: ${why}`, {
      hint: 'is it a pcap or pcapng file? convert other formats with editcap',
    });
  }
}

/** The operating system refused a read before any capture data could be used. */
export class CaptureReadError extends CaptureError {
  constructor(file: string, detail: string, cause?: unknown) {
    super('EA_CAPTURE_READ', `cannot read ${file}: ${detail}`, { cause });
  }
}

// ── Rule packs (src/policy/) ─────────────────────────────────────────────────────────────
// Added by the policy stage. Rule-file problems always name file:line:column (1-based) so an
// editor can jump to them; the CLI maps every error here to exit status 2.

/** Codes a `RulesError` can carry. */
export type RulesErrorCode = 'EA_RULES_INVALID' | 'EA_RULES_NOT_FOUND' | 'EA_RULES_SWITCH' | 'EA_RULES_NAME_CLASH';

/** A rule pack that cannot be used: invalid file, unknown pack name, or a bad `--set`. */
export class RulesError extends EgressAuditError {
  readonly code: RulesErrorCode;

  constructor(code: RulesErrorCode, message: string, options: EgressAuditErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** A rule file that is not valid YAML or not a valid version-1 rule pack; message starts with file:line:column. */
export class RulesInvalidError extends RulesError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    detail: string,
    hint = 'fix the rule file; `egress-audit rules lint FILE` checks it without a capture',
  ) {
    super('EA_RULES_INVALID', `${file}:${line}:${column}: ${detail}`, { hint });
  }
}

/** `--rules NAME` names neither a built-in pack nor an existing file. */
export class RulesNotFoundError extends RulesError {
  constructor(nameOrPath: string, builtIns: readonly string[], cause?: unknown) {
    super('EA_RULES_NOT_FOUND', `no rule pack '${nameOrPath}': not a built-in pack and no such file`, {
      hint: `built-in packs: ${builtIns.join(', ') || '(none)'}; or give the path of a YAML rule file`,
      cause,
    });
  }
}

/**
 * Two `--rules` packs share a name (a pack is named after its file): their rules, switches and
 * report rows would be one pack's, their digests and switch states mixed up.
 */
export class RulesNameClashError extends RulesError {
  constructor(name: string, files: readonly string[]) {
    super('EA_RULES_NAME_CLASH', `rule packs ${files.join(' and ')} are both named '${name}'`, {
      hint: 'a pack is named after its file: rename one of the files (the same pack given twice is one --rules too many)',
    });
  }
}

/** `--set name=value` names a switch no loaded pack has, or a value the switch does not allow. */
export class RulesSwitchError extends RulesError {
  constructor(detail: string, hint: string) {
    super('EA_RULES_SWITCH', detail, { hint });
  }
}

// ── Live capture (src/capture/live.ts, src/capture/privileges.ts) ────────────────────────
// Added by the live-capture source. libpcap return codes become these in one function
// (live.ts `toLiveCaptureError`); a read timeout and the end after close() are not errors.

/** Codes a `LiveCaptureError` can carry. */
export type LiveCaptureErrorCode =
  | 'EA_CAPTURE_PERMISSION'
  | 'EA_CAPTURE_NO_DEVICE'
  | 'EA_CAPTURE_FILTER'
  | 'EA_CAPTURE_FAILED'
  | 'EA_LIVE_UNAVAILABLE'
  | 'EA_USER_UNKNOWN'
  | 'EA_PRIVILEGE_DROP'
  | 'EA_CAPTURE_WRITE';

/** Live capture could not start or stopped abnormally; `iface` names the interface (or user). */
export class LiveCaptureError extends EgressAuditError {
  readonly code: LiveCaptureErrorCode;

  constructor(code: LiveCaptureErrorCode, message: string, options: EgressAuditErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** Hint shared by every "not allowed to capture" error. */
export const LIVE_PERMISSION_HINT =
  'run as root, or grant node the capture capabilities: ' +
  'sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node)); or replay a capture: egress-audit replay <file>';

/** Hint shared by every "no capture backend" error. */
export const LIVE_UNAVAILABLE_HINT =
  'install the libpcap headers and rebuild the addon: apt-get install libpcap-dev, then npm rebuild ' +
  '(or install tcpdump: apt-get install tcpdump)';

/**
 * One line per input problem, naming the file and, past its start, the byte offset — then the
 * hint, when there is one (replay and learn print a run's input errors this way).
 */
export function formatInputError(e: { code: string; message: string; file?: string; offset?: number; hint?: string }): string {
  const where = e.file && !e.message.includes(e.file) ? `${e.file}${e.offset ? ` at byte offset ${e.offset}` : ''}: ` : e.offset ? `at byte offset ${e.offset}: ` : '';
  return `egress-audit: ${e.code}: ${where}${e.message}\n` + (e.hint ? `\n  hint: ${e.hint}\n` : '');
}
