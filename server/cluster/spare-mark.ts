/**
 * Imported first by the spare (spare-worker.ts), before server/worker.ts: a
 * worker module loaded in a spare waits to be started on assignment instead of
 * starting at load. Loading it ahead means a spare never mixes the code it
 * loaded with a worker.js deployed since.
 */
/** server/worker.ts reads the same registered symbol (importing this module would set it). */
const SPARE_MARK = Symbol.for('aquifer.spare');

(globalThis as Record<symbol, unknown>)[SPARE_MARK] = true;

// A module (not a global script): its only job is the side effect above.
export {};
