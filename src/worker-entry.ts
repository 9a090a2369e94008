/**
 * Entry of the worker thread the launcher runs a capped replay in (see bin/egress-audit.js):
 * the same CLI as the main entry (argv from the worker's process.argv, the exit status as the
 * worker's exit code). Never used directly by users.
 */
import { runFromProcess } from './main';

runFromProcess();
