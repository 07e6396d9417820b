import client from '@prometheus-io/client'
import type { LogEvent } from 'kysely'
import type { PoolStats } from '../database/connect.js'
import { connectionLost, poolExhausted } from '../database/failures.js'
import { ERROR_CODES } from '../errors.js'

// The service's own Prometheus metrics. Bucket edges sit on the runbook's objectives (requests:
// p95 < 0.5 s, p99 < 1 s; database: p95 < 0.1 s) so the recording rules can compute them.
// Each app gets its own registry: tests build many apps in one process.

export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10]
const DATABASE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const REDIS_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]

/** Operation names come from clients: only this many distinct ones get their own label value. */
const MAX_OPERATION_NAMES = 200
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

export type DatabaseFailureKind = 'connection' | 'timeout' | 'constraint' | 'other'

export function classifyDatabaseError (error: unknown): DatabaseFailureKind {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    if (code.startsWith('23')) return 'constraint'
    if (code === '57014') return 'timeout'
    if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('53') || code.startsWith('E')) return 'connection'
  }
  if (poolExhausted(error) || connectionLost(error)) return 'connection'
  return 'other'
}

function statementOf (sql: string): string {
  // Named statements start with a /* module.function */ comment.
  const verb = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete)\b/i.exec(sql)?.[1]
  return verb === undefined ? 'other' : verb.toLowerCase()
}

export interface BuildInfo {
  version: string
  commit: string
}

export function createInstruments (build: BuildInfo) {
  const registry = new client.Registry()
  const registers = [registry]
  let poolStats: () => PoolStats | null = () => null
  let memoryLimit: () => number = () => 0
  const operationNames = new Set<string>()

  const graphqlDuration = new client.Histogram({
    name: 'fleet_api_graphql_operation_duration_seconds',
    help: 'GraphQL operation execution time by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: HTTP_BUCKETS,
    registers
  })
  const graphqlErrors = new client.Counter({
    name: 'fleet_api_graphql_errors_total',
    help: 'GraphQL errors returned to clients, by extensions.code',
    labelNames: ['code'] as const,
    registers
  })
  const databaseDuration = new client.Histogram({
    name: 'fleet_api_db_query_duration_seconds',
    help: 'SQL statement time as seen by the service (pool wait excluded), by statement type',
    labelNames: ['statement'] as const,
    buckets: DATABASE_BUCKETS,
    registers
  })
  const databaseFailures = new client.Counter({
    name: 'fleet_api_db_query_failures_total',
    help: 'Failed SQL statements by kind (connection, timeout, constraint, other)',
    labelNames: ['kind'] as const,
    registers
  })
  const poolExhausted = new client.Counter({
    name: 'fleet_api_db_pool_exhausted_total',
    help: 'Requests that found no free database connection within DB_CONNECTION_TIMEOUT_MS',
    registers
  })
  // Read when scraped, so the value is current and costs nothing between scrapes.
  new client.Gauge({
    name: 'fleet_api_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting = requests queued for one)',
    labelNames: ['state'] as const,
    registers,
    collect () {
      const stats = poolStats()
      if (stats === null) return
      this.set({ state: 'total' }, stats.total)
      this.set({ state: 'idle' }, stats.idle)
      this.set({ state: 'waiting' }, stats.waiting)
    }
  })
  const redisDuration = new client.Histogram({
    name: 'fleet_api_redis_command_duration_seconds',
    help: 'Redis command latency by command',
    labelNames: ['command'] as const,
    buckets: REDIS_BUCKETS,
    registers
  })
  const redisFailures = new client.Counter({
    name: 'fleet_api_redis_command_failures_total',
    help: 'Redis commands that failed or timed out (the request then bypasses the cache)',
    labelNames: ['command'] as const,
    registers
  })
  const cacheRequests = new client.Counter({
    name: 'fleet_api_cache_requests_total',
    help: 'Entity cache lookups by entity and result (hit, miss)',
    labelNames: ['entity', 'result'] as const,
    registers
  })
  const subscriptionsOpen = new client.Gauge({
    name: 'fleet_api_graphql_subscriptions_open',
    help: 'GraphQL subscriptions listening for events, by root field',
    labelNames: ['field'] as const,
    registers
  })
  const positionsIngested = new client.Counter({
    name: 'fleet_api_positions_ingested_total',
    help: 'Positions received, by door (graphql, device, osmand) and result (accepted, duplicate, rejected)',
    labelNames: ['source', 'result'] as const,
    registers
  })
  for (const source of ['graphql', 'device', 'osmand']) for (const result of ['accepted', 'duplicate', 'rejected']) positionsIngested.inc({ source, result }, 0)
  // Counters with known label values start at 0: a series born at its first increment is
  // invisible to increase() and rate() for that first event, and alerts would miss it.
  for (const kind of ['connection', 'timeout', 'constraint', 'other'] as const) databaseFailures.inc({ kind }, 0)
  for (const code of ERROR_CODES) graphqlErrors.inc({ code }, 0)
  new client.Gauge({
    name: 'fleet_api_build_info',
    help: 'Version and commit of the running build (always 1)',
    labelNames: ['version', 'commit'] as const,
    registers
  }).set({ version: build.version, commit: build.commit }, 1)
  new client.Gauge({
    name: 'fleet_api_memory_limit_bytes',
    help: 'Memory available to the process: the container limit (cgroup) or the machine total',
    registers,
    collect () { this.set(memoryLimit()) }
  })

  return {
    registry,
    graphqlErrors,
    poolExhausted,
    redisDuration,
    redisFailures,
    cacheRequests,
    subscriptionsOpen,
    positionsIngested,
    setPoolStats: (read: () => PoolStats) => { poolStats = read },
    setMemoryLimit: (read: () => number) => { memoryLimit = read },
    recordDatabaseFailure (kind: DatabaseFailureKind): void {
      databaseFailures.inc({ kind })
    },
    observeQuery (event: LogEvent): void {
      databaseDuration.observe({ statement: statementOf(event.query.sql) }, event.queryDurationMillis / 1000)
      if (event.level === 'error') databaseFailures.inc({ kind: classifyDatabaseError(event.error) })
    },
    observeOperation (name: string | undefined, type: string, seconds: number): void {
      let label = name !== undefined && OPERATION_NAME.test(name) ? name : 'anonymous'
      if (!operationNames.has(label)) {
        if (operationNames.size >= MAX_OPERATION_NAMES) label = 'other'
        else operationNames.add(label)
      }
      graphqlDuration.observe({ operation: label, type }, seconds)
    }
  }
}

export type Instruments = ReturnType<typeof createInstruments>
