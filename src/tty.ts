/**
 * Whether standard output or standard error is a terminal, also from inside the worker thread
 * the launcher runs a capped replay in (bin/egress-audit.js): there, process.stdout and
 * process.stderr are pipes to the main thread, and the launcher passes the real answer in
 * workerData; and how wide the terminal tables may be. Reads only; never writes.
 */
import { isMainThread, workerData } from 'worker_threads';

/** True when file descriptor `fd` (1 or 2) of this process is a terminal. */
export function isTty(fd: 1 | 2): boolean {
  if (!isMainThread) {
    const ttys = (workerData as { ttys?: Record<number, boolean> } | null)?.ttys;
    if (ttys !== undefined) return ttys[fd] === true;
  }
  return (fd === 1 ? process.stdout : process.stderr).isTTY === true;
}

/** Width a table is laid out for when it is neither given (COLUMNS) nor a terminal's. */
export const DEFAULT_COLUMNS = 100;

/**
 * The width the terminal tables fit: COLUMNS when set to a number (as ls and git read it, which
 * also lets a pipe or a file choose), else the terminal's width when standard output is one,
 * else DEFAULT_COLUMNS.
 */
export function terminalColumns(): number {
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return env;
  // In the launcher's worker thread standard output is a pipe: the launcher passes its terminal's width.
  const tty = !isMainThread ? (workerData as { columns?: number } | null)?.columns : isTty(1) ? process.stdout.columns : undefined;
  return typeof tty === 'number' && tty > 0 ? tty : DEFAULT_COLUMNS;
}
