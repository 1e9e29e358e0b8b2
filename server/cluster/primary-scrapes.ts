import { answerPrimaryScrapes } from '../metrics/host-metrics';

let answering = false;

/**
 * answerPrimaryScrapes, once per process: a spare answers the primary's scrapes
 * (with nothing) while it waits, and the worker it becomes must not register a
 * second answer.
 */
export function answerPrimaryScrapesOnce(): void {
  if (answering) return;
  answering = true;
  answerPrimaryScrapes();
}
