import { AsyncLocalStorage } from 'node:async_hooks'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

// What one request cost: SQL statements and their time. Everything the request awaits runs in
// its async context, DataLoader batches included, so the database hook can attribute each
// statement without threading a counter through every call.

export interface RequestStats {
  statements: number
  databaseMs: number
  /** The GraphQL operation name, once known (for logs, metrics and telemetry). */
  operation?: string
}

const storage = new AsyncLocalStorage<RequestStats>()

export function currentRequestStats (): RequestStats | undefined {
  return storage.getStore()
}

/**
 * Adds fields to every later log line of a request, the closing "request completed" line
 * included (Fastify writes that one through the reply's logger).
 */
export function bindLog (request: FastifyRequest, bindings: Record<string, unknown>, reply?: FastifyReply): void {
  request.log = request.log.child(bindings)
  if (reply !== undefined) reply.log = request.log
}

declare module 'fastify' {
  interface FastifyRequest {
    stats: RequestStats
  }
}

export interface RequestContextOptions {
  /** Add `Server-Timing: db;dur=<ms>;desc="<n> statements"` to responses. */
  serverTiming: boolean
}

export const requestContextPlugin = fp(async (app: FastifyInstance, options: RequestContextOptions) => {
  app.decorateRequest('stats', null as unknown as RequestStats)
  app.addHook('onRequest', (request, _reply, done) => {
    request.stats = { statements: 0, databaseMs: 0 }
    storage.run(request.stats, done)
  })
  if (options.serverTiming) {
    app.addHook('onSend', async (request, reply) => {
      const { statements, databaseMs } = request.stats
      reply.header('server-timing', `db;dur=${databaseMs.toFixed(1)};desc="${statements} statements"`)
    })
  }
}, { name: 'request-context' })
