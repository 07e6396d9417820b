import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { pendingMigrations, upToDate } from '../database/migrator.js'
import { checkCache, checkDatabase, checkMemory, type CheckResult, shared, withTimeout } from '../health/checks.js'
import { memoryLimitBytes } from '../health/memory.js'

// Kubernetes probes and the runbook's detailed health document, outside GraphQL, no auth.
//   /health/liveness   the event loop turns (touches no dependency)
//   /health/readiness  the database answers and the process is not draining
//   /health/startup    migrations are at the latest version and the database answered once
//   /health            status, version, environment and each dependency's check
// /health/metrics is served by the metrics plugin.

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}

export interface Lifecycle {
  /** Set on SIGTERM: readiness answers 503 from then on. */
  draining: boolean
  /** Set once startup has been confirmed (then never re-checked). */
  started: boolean
}

export interface HealthPluginOptions {
  config: Config
}

const QUIET = { logLevel: 'warn' as const }

export const healthPlugin = fp(async (app: FastifyInstance, { config }: HealthPluginOptions) => {
  const lifecycle: Lifecycle = { draining: false, started: false }
  app.decorate('lifecycle', lifecycle)
  // While draining, every response closes its connection: a keep-alive connection left idle
  // would otherwise hold the listener open until its timeout, long after the last request.
  app.addHook('onSend', async (_request, reply) => {
    if (lifecycle.draining) reply.header('connection', 'close')
  })
  const settings = { timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, slowMs: config.HEALTH_DB_SLOW_MS }
  const database = shared(async () => await checkDatabase(app.database, settings), config.HEALTH_CACHE_MS)
  const cache = shared(async () => await checkCache(app.cache, settings), config.HEALTH_CACHE_MS)
  const replica = shared(async () => {
    if (app.replica === null) return null
    const check = await checkDatabase(app.replica, settings)
    // Reads fall back to the primary while the replica is down: degraded, not unhealthy.
    return check.status === 'down' ? { ...check, status: 'down' as const, message: `Read replica unreachable: queries read from the primary (${check.message})` } : { ...check, message: check.message.replace('Database', 'Read replica') }
  }, config.HEALTH_CACHE_MS)
  const limit = memoryLimitBytes()
  const started = Date.now()

  app.get('/health/liveness', QUIET, async () => ({ status: 'ok', uptime: Math.round((Date.now() - started) / 1000) }))

  // Startup is confirmed once (database reachable, no pending migration) and never re-checked;
  // readiness waits for it too, so a process outside Kubernetes (no startup probe) gets ready as well.
  // Start-up's own state is read as it is (it changes once); the migrations check is shared.
  const confirmMigrations = shared(async (): Promise<string | null> => {
    try {
      // One statement when up to date (the usual answer); the migrator lists what is pending.
      const pending = await withTimeout((async () => await upToDate(app.db) ? [] : await pendingMigrations(app.db))(), settings.timeoutMs)
      if (pending.length > 0) return `${pending.length} migration(s) pending: ${pending.join(', ')}`
    } catch {
      return 'database not reachable yet'
    }
    lifecycle.started = true
    return null
  }, config.HEALTH_CACHE_MS)
  const confirmStartup = async (): Promise<string | null> => {
    if (lifecycle.started) return null
    if (!app.startup.done) return app.startup.reason
    return await confirmMigrations()
  }

  app.get('/health/startup', QUIET, async (_request, reply) => {
    const waitingFor = await confirmStartup()
    if (waitingFor !== null) return await reply.code(503).send({ status: 'starting', reason: waitingFor })
    return { status: 'started' }
  })

  app.get('/health/readiness', QUIET, async (_request, reply) => {
    if (lifecycle.draining) return await reply.code(503).send({ status: 'draining' })
    const waitingFor = await confirmStartup()
    if (waitingFor !== null) return await reply.code(503).send({ status: 'starting', reason: waitingFor })
    if (!app.switches.loaded) {
      await withTimeout(app.switches.reload(), settings.timeoutMs).catch(() => {})
      if (!app.switches.loaded) return await reply.code(503).send({ status: 'starting', reason: 'feature flags and maintenance mode not read yet' })
    }
    const check = await database()
    if (check.status === 'down') return await reply.code(503).send({ status: 'unavailable', reason: check.message })
    return { status: 'ready' }
  })

  app.get('/health', QUIET, async (_request, reply) => {
    const [databaseCheck, cacheCheck, replicaCheck] = await Promise.all([database(), cache(), replica()])
    const memory = checkMemory(limit, config.MEMORY_DEGRADED_PERCENT)
    const checks: Record<string, CheckResult> = { database: databaseCheck, redis: cacheCheck, memory }
    if (replicaCheck !== null) checks.replica = replicaCheck
    if (app.isUnderPressure()) {
      const { eventLoopDelay, heapUsed } = app.memoryUsage()
      checks.load = { status: 'degraded', message: `Shedding load: event-loop delay ${Math.round(eventLoopDelay)} ms, heap ${Math.round(heapUsed / 1048576)} MB used` }
    }
    const status = databaseCheck.status === 'down'
      ? 'unhealthy'
      : Object.values(checks).some((c) => c.status !== 'ok') || lifecycle.draining ? 'degraded' : 'healthy'
    return await reply.code(status === 'unhealthy' ? 503 : 200).send({
      status,
      timestamp: new Date().toISOString(),
      uptime: Math.round((Date.now() - started) / 1000),
      version: config.RELEASE,
      environment: config.NODE_ENV,
      ...(lifecycle.draining ? { draining: true } : {}),
      checks
    })
  })
}, { name: 'health', dependencies: ['database', 'startup', 'cache', 'switches', 'load-shedding'] })
