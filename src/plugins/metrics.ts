import client from '@prometheus-io/client'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import fastifyMetrics from 'fastify-metrics'
import { memoryLimitBytes } from '../health/memory.js'
import { type BuildInfo, createInstruments, HTTP_BUCKETS, type Instruments } from '../telemetry/instruments.js'

// Prometheus exposition at /health/metrics: HTTP request durations by route, method and status
// (fastify-metrics), Node's default metrics (heap, RSS, event-loop lag, GC), and the service's
// own instruments (GraphQL, database, pool, Redis, cache, build info).

declare module 'fastify' {
  interface FastifyInstance {
    instruments: Instruments
  }
}

const LINT_VIOLATIONS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
  'nodejs_eventloop_utilization_histogram',
  'nodejs_eventloop_utilization_summary'
]

export const metricsPlugin = fp(async (app: FastifyInstance, build: BuildInfo) => {
  const instruments = createInstruments(build)
  instruments.setMemoryLimit(memoryLimitBytes)
  app.decorate('instruments', instruments)
  // fastify-metrics 14 is CommonJS with only `exports.default`: under NodeNext that is `.default`.
  await app.register(fastifyMetrics.default, {
    endpoint: '/health/metrics',
    promClient: client,
    defaultMetrics: { enabled: true, register: instruments.registry },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      registeredRoutesOnly: true,
      // The plugin creates the summary even when disabled: keep it out of the global registry too.
      overrides: {
        histogram: { buckets: HTTP_BUCKETS, registers: [instruments.registry] },
        summary: { registers: [instruments.registry] }
      }
    }
  })
  // Default metrics that break Prometheus naming rules (`promtool check metrics` rejects them):
  // gauges named *_total, and types in names. Each has a conforming sibling that stays.
  for (const name of LINT_VIOLATIONS) instruments.registry.removeSingleMetric(name)
}, { name: 'metrics' })
