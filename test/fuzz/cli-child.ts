/**
 * The CLI as a child process straight from the TypeScript sources, for tests that must kill it
 * or read its standard output through a real pipe (started with netns.ts `tsChildArgs`).
 * Nothing but the entry call; never imported.
 */
import { runFromProcess } from '../../src/main';

runFromProcess();
