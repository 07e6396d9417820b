import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyLoggerOptions } from 'fastify'
import type { DestinationStream, LogFn, Logger, LoggerOptions } from 'pino'
import type { Config } from './config.js'
import { type DatabaseTarget, serverTarget, targetFromConfig } from './database/connect.js'
import { singleSignOnSettings } from './modules/identity/oidc.js'
import { authPlugin } from './plugins/auth.js'
import { cachePlugin } from './plugins/cache.js'
import { databasePlugin } from './plugins/database.js'
import { eventsPlugin } from './plugins/events.js'
import { graphiqlPlugin } from './plugins/graphiql.js'
import { graphqlPlugin } from './plugins/graphql.js'
import { healthPlugin } from './plugins/health.js'
import { httpSecurityPlugin } from './plugins/http-security.js'
import { ingestPlugin } from './plugins/ingest.js'
import { jobsPlugin } from './plugins/jobs.js'
import { loadSheddingPlugin } from './plugins/load-shedding.js'
import { metricsPlugin } from './plugins/metrics.js'
import { rateLimitPlugin } from './plugins/rate-limit.js'
import { requestContextPlugin } from './plugins/request-context.js'
import { startupPlugin } from './plugins/startup.js'
import { switchesPlugin } from './plugins/switches.js'
import { telematicsPlugin } from './plugins/telematics.js'
import { telemetryPlugin } from './plugins/telemetry.js'
import { trackExportPlugin } from './plugins/track-export.js'
import { createTelemetry, type Telemetry, type TraceSeverity } from './telemetry/telemetry.js'

export interface BuildOptions {
  /** Overrides the database named by the config (tests hand in their own). */
  database?: DatabaseTarget
  /** Overrides DATABASE_READ_URL. */
  readDatabase?: DatabaseTarget
  /** Overrides REDIS_URL; null forces the in-process cache. */
  redisUrl?: string | null
  /** Where log lines go (stdout by default); tests read them from here. */
  logStream?: DestinationStream
}

// Credentials never reach the logs, whatever an error object or request happens to carry.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.token'
]

const REQUEST_ID = /^[\w.:-]{1,128}$/

const SEVERITY: Record<number, TraceSeverity> = { 40: 'Warning', 50: 'Error', 60: 'Critical' }

/**
 * JSON logs (pino) with credentials redacted. Warnings and errors are also sent to the
 * telemetry back ends as traces, with the request's bindings (request id, user, operation).
 */
export function loggerOptions (config: Config, telemetry?: Telemetry): FastifyLoggerOptions & LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(telemetry === undefined || telemetry.backends.length === 0
      ? {}
      : {
          hooks: {
            logMethod (this: Logger, args: Parameters<LogFn>, method: LogFn, level: number) {
              const severity = SEVERITY[level]
              if (severity !== undefined) telemetry.trace(...traceOf(this.bindings(), args, severity))
              method.apply(this, args)
            }
          }
        })
  }
}

function traceOf (bindings: Record<string, unknown>, args: unknown[], severity: TraceSeverity): [string, TraceSeverity, Record<string, string>] {
  const [first, second] = args
  const fields = typeof first === 'object' && first !== null ? first as Record<string, unknown> : {}
  const message = typeof first === 'string' ? first : typeof second === 'string' ? second : severity
  const properties: Record<string, string> = {}
  for (const [key, value] of Object.entries({ ...bindings, ...fields })) {
    if (key === 'err' || key === 'req' || key === 'res') continue
    properties[key] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  const err = fields.err as { message?: string } | undefined
  if (err?.message !== undefined) properties.error = err.message
  return [message, severity, properties]
}

/** Builds the service from its plugins. Used by server.ts and by the tests alike. */
export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const telemetry = await createTelemetry(config)
  const app = Fastify({
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    logger: { ...loggerOptions(config, telemetry), ...(options.logStream === undefined ? {} : { stream: options.logStream }) },
    // An incoming x-request-id (from the ingress or the SPA) is kept when it looks like an id,
    // so one id follows a request through every log; anything else gets a fresh UUID.
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    }
  })
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })

  try {
    await app.register(requestContextPlugin, { serverTiming: config.SERVER_TIMING })
    await app.register(httpSecurityPlugin, { corsOrigins: config.CORS_ORIGINS, hsts: config.NODE_ENV === 'production' })
    await app.register(metricsPlugin, { version: config.RELEASE, commit: config.BUILD_COMMIT })
    await app.register(telemetryPlugin, { telemetry })
    const target = options.database ?? serverTarget(config)
    await app.register(loadSheddingPlugin, { config, embeddedDatabase: target.kind === 'pglite' })
    await app.register(databasePlugin, {
      target,
      readTarget: options.readDatabase ?? (config.DATABASE_READ_URL === undefined ? undefined : targetFromConfig(config, config.DATABASE_READ_URL)),
      replicaCheck: { intervalMs: config.REPLICA_CHECK_INTERVAL_MS, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS }
    })
    await app.register(startupPlugin, { config })
    const redisUrl = options.redisUrl === undefined ? config.REDIS_URL : (options.redisUrl ?? undefined)
    await app.register(cachePlugin, {
      url: redisUrl,
      namespace: config.CACHE_NAMESPACE,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      ttlSeconds: config.CACHE_TTL_SECONDS,
      tombstoneSeconds: config.CACHE_TOMBSTONE_SECONDS
    })
    await app.register(eventsPlugin, { url: redisUrl })
    await app.register(rateLimitPlugin, { config })
    await app.register(authPlugin, { secret: config.JWT_SECRET, accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS, singleSignOn: singleSignOnSettings(config), limiter: app.requestLimiter })
    await app.register(switchesPlugin, { config })
    await app.register(telematicsPlugin, { config })
    await app.register(jobsPlugin, { config })
    await app.register(graphqlPlugin, { config })
    await app.register(ingestPlugin, { config })
    await app.register(trackExportPlugin)
    await app.register(healthPlugin, { config })
    if (config.GRAPHIQL) await app.register(graphiqlPlugin)
  } catch (err) {
    // A service that cannot start releases what it opened already (database, Redis, timers).
    await app.close().catch(() => {})
    throw err
  }
  return app
}
