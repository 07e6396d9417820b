import { getHeapStatistics } from 'node:v8'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'

// Overload protection: while the event loop lags or the heap is nearly full, new requests get
// 503 with Retry-After instead of making everything slower. Probes are never shed (a shed
// liveness probe would get the pod killed for being busy); /health reports the state.

const SAMPLE_INTERVAL_MS = 250

type PressureHandler = (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => unknown

export interface LoadSheddingOptions {
  config: Config
  /** The database is the embedded one, whose queries run on the event loop: lag is its work, not overload. */
  embeddedDatabase: boolean
}

export const loadSheddingPlugin = fp(async (app: FastifyInstance, { config, embeddedDatabase }: LoadSheddingOptions) => {
  const maxHeapUsedBytes = config.OVERLOAD_MAX_HEAP_PERCENT === 0 ? 0 : Math.floor(getHeapStatistics().heap_size_limit * config.OVERLOAD_MAX_HEAP_PERCENT / 100)
  // The lag of start-up itself (loading code, migrating, seeding: the event loop's own work) is
  // not overload, yet the samples taken just after it still carry it: a replica that has just
  // said it is ready would shed its first requests. Event-loop pressure counts once start-up has
  // finished and two samples have turned over (a timer: a loop still blocked holds it back too).
  let starting = true
  app.addHook('onReady', async () => {
    app.startup.finished.then(() => { setTimeout(() => { starting = false }, 2 * SAMPLE_INTERVAL_MS).unref() }, () => {})
  })
  const startingLag = (type: string): boolean => starting && type === 'eventLoopDelay'
  // Returning a body makes under-pressure send it; returning undefined lets the request through.
  const pressureHandler: PressureHandler = (request, reply, type, value) => {
    if (request.url.startsWith('/health') || startingLag(type)) return undefined
    request.log.warn({ pressure: type, value }, 'overloaded: shedding request')
    void reply.code(503).header('retry-after', String(config.OVERLOAD_RETRY_AFTER_SECONDS))
    return { errors: [{ message: 'The service is overloaded; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }
  }
  await app.register(underPressure, {
    maxEventLoopDelay: config.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS ?? (embeddedDatabase ? 0 : 1000),
    maxHeapUsedBytes,
    retryAfter: config.OVERLOAD_RETRY_AFTER_SECONDS,
    sampleInterval: SAMPLE_INTERVAL_MS,
    pressureHandler: pressureHandler as never
  })
}, { name: 'load-shedding' })
