import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Telemetry } from '../telemetry/telemetry.js'

// Requests to Application Insights (probes and scrapes excluded: they would drown the API's
// own traffic in `requests`), unexpected route errors to both back ends, and a final flush.

declare module 'fastify' {
  interface FastifyInstance {
    telemetry: Telemetry
  }
}

export const telemetryPlugin = fp(async (app: FastifyInstance, { telemetry }: { telemetry: Telemetry }) => {
  app.decorate('telemetry', telemetry)
  if (telemetry.backends.length === 0) return

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown route'
    if (route.startsWith('/health')) return
    const operation = request.stats.operation
    telemetry.request({
      method: request.method,
      route: `${route}${operation === undefined ? '' : ` ${operation}`}`,
      url: request.url,
      durationMs: reply.elapsedTime,
      statusCode: reply.statusCode,
      requestId: request.id,
      properties: {
        ...(request.viewer === null ? {} : { userId: request.viewer.userId, organizationId: request.viewer.organizationId })
      }
    })
  })
  app.addHook('onError', async (request, reply, error) => {
    if (reply.statusCode >= 500 || (error as { statusCode?: number }).statusCode === undefined) {
      telemetry.exception(error, { requestId: request.id, userId: request.viewer?.userId, organizationId: request.viewer?.organizationId })
    }
  })
  app.addHook('onClose', async () => { await telemetry.flush() })
}, { name: 'telemetry', dependencies: ['request-context'] })
