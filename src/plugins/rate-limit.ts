import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { CacheStore } from '../cache/store.js'
import { memoryStore } from '../cache/memory.js'
import type { Config } from '../config.js'
import { AppError } from '../errors.js'
import { LoginThrottle } from '../modules/identity/throttle.js'

// Request rate limits: per user when signed in, per address otherwise, counted in Redis so a
// limit holds across replicas (in memory without REDIS_URL), in fixed one-minute windows. If Redis
// fails, requests are let through rather than refused: the cache being down must not take the
// API down. Probes, metrics and GraphiQL's static files are not counted. Beyond the limit: 429,
// Retry-After, RATE_LIMITED; every counted response says X-RateLimit-Limit, -Remaining and -Reset.
//
// A signed-in request's counter is taken by the auth hook (src/plugins/auth.ts) in the same
// synchronous step that asks the cache for the user's current state: the client pipelines both, so
// a warm request needs one Redis round trip for everything. The device doors (/ingest) are limited
// per device token instead, by @fastify/rate-limit on those routes (src/plugins/ingest.ts).

declare module 'fastify' {
  interface FastifyInstance {
    loginThrottle: LoginThrottle
    requestLimiter: RequestLimiter
  }
}

const EXEMPT = /^\/(health|graphiql|ingest)(\/|$|\?)/
const WINDOW_SECONDS = 60

export interface Verdict {
  key: string
  max: number
  count: number
  ttlSeconds: number
}

export class RequestLimiter {
  constructor (
    private readonly store: CacheStore,
    private readonly options: { namespace: string, perUser: number, perAddress: number, onError: (err: unknown) => void }
  ) {}

  counts (request: FastifyRequest): boolean {
    return !EXEMPT.test(request.url)
  }

  /** Counts a signed-in request; the command is sent with whatever else this step sends to Redis. */
  user (userId: string): Promise<Verdict | null> {
    return this.hit(`user:${userId}`, this.options.perUser)
  }

  /** Counts an anonymous request (no token, or one that is not good). */
  address (request: FastifyRequest): Promise<Verdict | null> {
    return this.hit(`address:${request.ip}`, this.options.perAddress)
  }

  /** Says the budget on the response; refuses the request beyond it. */
  enforce (reply: FastifyReply, verdict: Verdict | null): void {
    if (verdict === null) return
    reply.header('x-ratelimit-limit', verdict.max)
    reply.header('x-ratelimit-remaining', Math.max(0, verdict.max - verdict.count))
    reply.header('x-ratelimit-reset', verdict.ttlSeconds)
    if (verdict.count <= verdict.max) return
    reply.header('retry-after', verdict.ttlSeconds)
    throw new AppError('RATE_LIMITED', `Too many requests: at most ${verdict.max} per minute; retry in ${verdict.ttlSeconds} seconds`, { retryAfterSeconds: verdict.ttlSeconds }, 429)
  }

  // Not async: the store's command must leave in the caller's synchronous step.
  private hit (key: string, max: number): Promise<Verdict | null> {
    return this.store.hit(`${this.options.namespace}:rate:${key}`, WINDOW_SECONDS).then(
      ({ count, ttlSeconds }) => ({ key, max, count, ttlSeconds }),
      (err: unknown) => {
        this.options.onError(err)
        return null
      })
  }
}

export const rateLimitPlugin = fp(async (app: FastifyInstance, { config }: { config: Config }) => {
  app.decorate('requestLimiter', new RequestLimiter(app.cache, {
    namespace: config.CACHE_NAMESPACE,
    perUser: config.RATE_LIMIT_PER_MINUTE,
    perAddress: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    // A failed command is counted (fleet_api_redis_failures_total) and the request let through.
    onError: (err) => { app.log.debug({ err }, 'rate limit not counted: the cache store failed') }
  }))
  // The routes that configure their own limit (the device doors).
  const redis = (app.cache as { client?: Redis }).client
  await app.register(rateLimit, {
    global: false,
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
}, { name: 'rate-limit', dependencies: ['cache'] })
