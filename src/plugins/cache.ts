import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { memoryStore } from '../cache/memory.js'
import { redisStore } from '../cache/redis.js'
import { EntityCache } from '../cache/entity-cache.js'
import type { CacheStore } from '../cache/store.js'
import { latestMigration } from '../database/migrator.js'
import { endpointOf } from '../telemetry/endpoint.js'

// The shared cache: Redis when REDIS_URL is set, in-process otherwise. Not @fastify/redis: it
// holds the boot until Redis answers, and this service must start (and serve from PostgreSQL)
// while Redis is down.

declare module 'fastify' {
  interface FastifyInstance {
    cache: CacheStore
    entityCache: EntityCache
  }
}

export interface CachePluginOptions {
  url: string | undefined
  namespace: string
  commandTimeoutMs: number
  ttlSeconds: number
  tombstoneSeconds: number
}

// Bump when the cached form of rows changes without a migration (e.g. a new codec).
const CACHE_FORMAT = 1

const ERROR_LOG_INTERVAL_MS = 10_000
const REDIS_BOOT_WAIT_MS = 2000

async function firstConnection (client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true
  return await new Promise((resolve) => {
    const timer = setTimeout(() => { client.off('ready', ready); resolve(false) }, timeoutMs)
    const ready = () => { clearTimeout(timer); resolve(true) }
    client.once('ready', ready)
  })
}

export const cachePlugin = fp(async (app: FastifyInstance, options: CachePluginOptions) => {
  let lastErrorLog = 0
  const tracing = app.telemetry.backends.length > 0
  const target = options.url === undefined ? 'memory' : endpointOf(options.url)
  const redis = options.url === undefined
    ? null
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
  const store = redis ?? memoryStore()
  // The first connection is worth a short wait: requests before it would count sign-in failures
  // and rate limits in this process only, and read nothing from the cache. Redis down: start anyway.
  if (redis !== null && !await firstConnection(redis.client, REDIS_BOOT_WAIT_MS)) {
    app.log.warn(`Redis not connected after ${REDIS_BOOT_WAIT_MS} ms; starting without it (it is retried in the background)`)
  }
  app.decorate('cache', store)
  const entityCache = new EntityCache({
    store,
    namespace: `${options.namespace}:${latestMigration()}.${CACHE_FORMAT}`,
    ttlSeconds: options.ttlSeconds,
    tombstoneSeconds: options.tombstoneSeconds,
    onLookup: (entity, hits, misses) => {
      if (hits > 0) app.instruments.cacheRequests.inc({ entity, result: 'hit' }, hits)
      if (misses > 0) app.instruments.cacheRequests.inc({ entity, result: 'miss' }, misses)
    },
    onError: (err) => { app.log.debug({ err }, 'cache operation failed; went to PostgreSQL') }
  })
  app.decorate('entityCache', entityCache)
  app.addHook('onClose', async () => {
    entityCache.close()
    await store.close()
  })
}, { name: 'cache', dependencies: ['metrics', 'telemetry'] })
