// The parser lives with the load test, which needs it at run time; the tests keep importing it from here.
export { parsePrometheus, samplesOf, sumOf, type Sample } from '../../server/loadtest/prometheus-text';
