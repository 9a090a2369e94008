/**
 * Entry of the worker thread the launcher runs a capped replay in (see bin/egress-audit.js):
 * the same CLI as the main entry (argv from the worker's process.argv, the exit status as the
 * worker's exit code). Never used directly by users.
 */
import { parentPort } from 'worker_threads';
import { runFromProcess } from './main';
import { OutputFile } from './report/output';

// The launcher deletes a temporary output file this thread leaves when a signal ends the run.
OutputFile.tempFileListener = (path, live) => parentPort?.postMessage({ tempFile: path, live });

runFromProcess();
