import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { memoryStore } from '../cache/memory.js'
import type { Config } from '../config.js'
import { AppError } from '../errors.js'
import { LoginThrottle } from '../modules/identity/throttle.js'

// Request rate limits: per user when signed in, per address otherwise, counted in Redis so a
// limit holds across replicas (in memory without REDIS_URL). If Redis fails, requests are let
// through rather than refused: the cache being down must not take the API down. Probes, metrics
// and GraphiQL's static files are not counted. Beyond the limit: 429, Retry-After, RATE_LIMITED.

declare module 'fastify' {
  interface FastifyInstance {
    loginThrottle: LoginThrottle
  }
}

// Device doors (/ingest) are limited per device token instead (src/plugins/ingest.ts).
const EXEMPT = /^\/(health|graphiql|ingest)(\/|$|\?)/

export const rateLimitPlugin = fp(async (app: FastifyInstance, { config }: { config: Config }) => {
  const redis = (app.cache as { client?: Redis }).client
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: 60_000,
    max: (request) => request.viewer === null ? config.RATE_LIMIT_ANONYMOUS_PER_MINUTE : config.RATE_LIMIT_PER_MINUTE,
    keyGenerator: (request) => request.viewer === null ? `address:${request.ip}` : `user:${request.viewer.userId}`,
    allowList: (request) => EXEMPT.test(request.url),
    ...(redis === undefined ? {} : { redis, nameSpace: `${config.CACHE_NAMESPACE}:rate:` }),
    skipOnError: true,
    errorResponseBuilder: (_request, context) => new AppError(
      'RATE_LIMITED',
      `Too many requests: at most ${context.max} per minute; retry in ${context.after}`,
      { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      429
    )
  })
  app.decorate('loginThrottle', new LoginThrottle(app.cache, memoryStore(), config.CACHE_NAMESPACE, {
    perAccountAndAddress: config.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    perAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS
  }))
}, { name: 'rate-limit', dependencies: ['cache', 'auth'] })
