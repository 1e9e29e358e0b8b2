/**
 * Contenders measured round by round, each round in a rotated order, so that
 * drift on a shared machine (other load, thermal limits, a growing table) falls
 * on every contender alike instead of on whichever ran last.
 */
import { runLoad, type LoadOptions, type LoadResult } from '../load';

export interface Contender {
  readonly name: string;
  readonly origin: string;
}

/** Round r runs the contenders starting from the r-th, wrapping around. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const start = round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

export interface AlternatedRuns {
  /** Each contender's results in round order. */
  readonly byContender: Readonly<Record<string, readonly LoadResult[]>>;
}

export async function alternateRounds(
  contenders: readonly Contender[],
  rounds: number,
  load: (contender: Contender) => LoadOptions,
  onRun: (contender: Contender, round: number, result: LoadResult) => void = () => undefined,
  around: { before?: (c: Contender) => Promise<void>; after?: (c: Contender) => Promise<void> } = {},
): Promise<AlternatedRuns> {
  const byContender: Record<string, LoadResult[]> = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const contender of roundOrder(contenders, round)) {
      await around.before?.(contender);
      const result = await runLoad(load(contender));
      await around.after?.(contender);
      byContender[contender.name]?.push(result);
      onRun(contender, round, result);
    }
  }
  return { byContender };
}
