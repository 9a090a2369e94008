/**
 * Whether standard output or standard error is a terminal, also from inside the worker thread
 * the launcher runs a capped replay in (bin/egress-audit.js): there, process.stdout and
 * process.stderr are pipes to the main thread, and the launcher passes the real answer in
 * workerData. Reads only; never writes.
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
