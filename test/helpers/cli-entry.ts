/**
 * The CLI as a child process straight from the TypeScript sources (run it with netns.ts
 * `tsChildArgs`): tests that need a real process — signals, network namespaces — start this.
 * Nothing but the entry call; never imported by other tests.
 */
import { runFromProcess } from '../../src/main';

runFromProcess();
