import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { memoryStore } from '../cache/memory.js'
import { redisStore } from '../cache/redis.js'
import type { CacheStore } from '../cache/store.js'
import { endpointOf } from '../telemetry/endpoint.js'

// The shared cache: Redis when REDIS_URL is set, in-process otherwise. Not @fastify/redis: it
// holds the boot until Redis answers, and this service must start (and serve from PostgreSQL)
// while Redis is down.

declare module 'fastify' {
  interface FastifyInstance {
    cache: CacheStore
  }
}

export interface CachePluginOptions {
  url: string | undefined
  commandTimeoutMs: number
}

const ERROR_LOG_INTERVAL_MS = 10_000

export const cachePlugin = fp(async (app: FastifyInstance, options: CachePluginOptions) => {
  let lastErrorLog = 0
  const tracing = app.telemetry.backends.length > 0
  const target = options.url === undefined ? 'memory' : endpointOf(options.url)
  const store = options.url === undefined
    ? memoryStore()
    : redisStore({
      url: options.url,
      commandTimeoutMs: options.commandTimeoutMs,
      // While Redis is down ioredis reports every reconnect attempt: log at most one in ten seconds.
      onError: (err) => {
        if (Date.now() - lastErrorLog < ERROR_LOG_INTERVAL_MS) return
        lastErrorLog = Date.now()
        app.log.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'Redis connection failure; serving without the cache')
      },
      observe: (command, seconds, failed) => {
        app.instruments.redisDuration.observe({ command }, seconds)
        if (failed) app.instruments.redisFailures.inc({ command })
        if (tracing) {
          app.telemetry.dependency({ type: 'Redis', name: command.toUpperCase(), data: command, target, durationMs: seconds * 1000, success: !failed, resultCode: failed ? 'error' : '0' })
        }
      }
    })
  app.decorate('cache', store)
  app.addHook('onClose', async () => { await store.close() })
}, { name: 'cache', dependencies: ['metrics', 'telemetry'] })
