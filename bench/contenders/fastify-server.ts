/**
 * Baseline: Fastify + pg, as a Fastify user would write it: its own pino logger
 * writing every request to a file (its default: a line when a request arrives
 * and one when it completes), and a JSON schema validating the id.
 */
import Fastify from 'fastify';
import { createBaselinePool, lookUpWell, runBaselineCluster } from './baseline-cluster';

runBaselineCluster(async (settings) => {
  const pool = createBaselinePool(settings, 'fastify');
  const app = Fastify({ logger: { level: 'info', file: settings.logFile } });
  app.get<{ Params: { id: string } }>(
    '/api/v1/wells/:id',
    { schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' } } } } },
    async (request, reply) => {
      const body = await lookUpWell(pool, request.params.id, settings.preparedStatements);
      if (body === null) return reply.code(404).send({ status: 404 });
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
  process.on('SIGTERM', () => {
    void app
      .close()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
  await app.listen({ port: settings.port, host: '127.0.0.1' });
});
