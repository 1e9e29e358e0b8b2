/**
 * The prediction's verdict in words: what held the measured rate down, how far
 * the planner's figure can be trusted here, and what the hold time itself
 * says. Honest before flattering: a CPU-bound run says so rather than
 * presenting a DB-bound prediction as a miss of the code.
 */
import type { Limiter, StepCheckJson } from './prediction';
import type { StepJson } from './summary';

/** How far a figure may drift before the verdict points it out: beyond noise, short of a different regime. */
const NOTABLE = 1.5;

export interface VerdictInput {
  readonly limiter: Limiter;
  readonly steps: readonly StepJson[];
  readonly peak: StepJson;
  readonly byStep: readonly StepCheckJson[];
  /** The peak's own check, one of byStep. */
  readonly peakCheck: StepCheckJson;
  readonly within: boolean | null;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
const list = (values: readonly (number | null)[]) => values.map((v) => v ?? '-').join(', ');

function mainSentence({ limiter, peak, peakCheck, within }: VerdictInput): string {
  const { pool, cpu } = peak;
  const poolState =
    `pool waiting max ${pool.waiting_max ?? '-'}, in use max ${pool.in_use_max ?? '-'} ` +
    `(mean ${pool.in_use_mean ?? '-'}) of a budget of ${pool.budget}`;
  const cpuState =
    cpu.host_busy === null
      ? 'host CPU not measured'
      : `host CPU ${pct(cpu.host_busy)} busy (aquifer processes ${cpu.servers_cores ?? '-'} cores, ` +
        `load generator ${cpu.load_generator_cores} cores)`;
  if (limiter === 'pool') {
    return (
      `The pool limited the rate at ${peak.concurrency} connections: ${poolState}. This is the regime the ` +
      `prediction models, and it ${within ? 'held' : 'missed by more than 25%'}.`
    );
  }
  if (limiter === 'cpu') {
    const off = within === false && peakCheck.ratio !== null ? `, ${peakCheck.ratio}× the measured rate` : '';
    return (
      `CPU limited the rate, not connections: ${cpuState}, while ${poolState}. The prediction assumes the ` +
      `pool is the bottleneck, so here it is an upper bound${off}; the load generator, the servers and ` +
      'PostgreSQL share this machine.'
    );
  }
  return (
    `Neither the pool nor the CPU saturated (${poolState}; ${cpuState}): the steps did not reach the ` +
    'server’s limit, so the measured peak is a lower bound. Add a higher concurrency step.'
  );
}

/** The steps that did test the prediction on its own ground, when the peak was not one of them. */
function saturatedSentence({ limiter, byStep, peakCheck }: VerdictInput): string[] {
  const saturated = byStep.filter((s) => s.pool_saturated && s !== peakCheck);
  if (saturated.length === 0) {
    return limiter === 'pool' ? [] : ['No step saturated the pool, so no step tests the prediction on its own ground.'];
  }
  const within = saturated.filter((s) => s.within_tolerance === true).length;
  return [
    `Where the pool was saturated (${list(saturated.map((s) => s.concurrency))} connections), the planner's rate ` +
      `from each step's own hold time was ${list(saturated.map((s) => s.predicted_rps))} requests/s against ` +
      `${list(saturated.map((s) => s.measured_rps))} measured (ratio ${list(saturated.map((s) => s.ratio))}): ` +
      `${within} of ${saturated.length} within 25%.`,
  ];
}

/**
 * What the hold time itself says: under load a statement's time also counts the wait for the worker's
 * event loop and PostgreSQL's share of the cores, so it grows with concurrency; and an in-use mean
 * above what the planner gives the measured rate means checkouts last longer than their statements.
 */
function holdNotes({ steps, peak, peakCheck }: VerdictInput): string[] {
  const notes: string[] = [];
  const first = steps.find((s) => s.hold.hold_ms !== null);
  const [low, high] = [first?.hold.hold_ms ?? null, peak.hold.hold_ms];
  if (first && first !== peak && low !== null && high !== null && high > NOTABLE * low) {
    notes.push(
      `The hold time grew from ${low} ms at ${first.concurrency} connections to ${high} ms at ${peak.concurrency}: ` +
        'statement times include queueing for the CPU, so the hold time is not a constant of the workload here.',
    );
  }
  const planned = peakCheck.planned_connections;
  const inUse = peak.pool.in_use_mean;
  if (planned !== null && inUse !== null && inUse > NOTABLE * planned) {
    notes.push(
      `The pool held ${inUse} connections on average where the planner gives the measured rate ${planned}: ` +
        'checkouts outlast their statements (the worker gets back to a finished query late), so the hold time reads short.',
    );
  }
  return notes;
}

export function verdictOf(input: VerdictInput): string {
  return [mainSentence(input), ...saturatedSentence(input), ...holdNotes(input)].join(' ');
}
