import { resolve } from 'node:path'
import { Kysely, PGliteDialect, PostgresDialect, type LogEvent } from 'kysely'
import pg from 'pg'
import type { Config } from '../config.js'
import { type EmbeddedReport, type EmbeddedTarget, openEmbedded } from './embedded.js'
import { preparingPool } from './prepared.js'
import type { Database } from './schema.js'

export type DatabaseTarget =
  | { kind: 'postgres', url: string, pool: PoolSettings }
  | ({ kind: 'pglite' } & EmbeddedTarget)

export interface PoolSettings {
  max: number
  idleTimeoutMs: number
  connectionTimeoutMs: number
  statementTimeoutMs: number
  /** PostgreSQL's JIT compilation (`jit`); off unless true. */
  jit?: boolean
  /** Named prepared statements per connection (src/database/prepared.ts); on unless false. */
  prepare?: boolean
}

export interface PoolStats {
  total: number
  idle: number
  waiting: number
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>
  readonly kind: DatabaseTarget['kind']
  poolStats: () => PoolStats
  close: () => Promise<void>
}

export interface DatabaseHooks {
  /** Every statement, with its duration and error if any (metrics, per-request counts). */
  onQuery?: (event: LogEvent) => void
  /** A pooled idle connection broke (server restart, failover); the pool replaces it. */
  onPoolError?: (err: Error) => void
  /** The embedded database was made from its template (src/database/embedded.ts). */
  onEmbedded?: EmbeddedReport
}

/**
 * Where a new embedded data directory is copied from (src/database/embedded.ts). The template holds
 * every migration, so a new data directory starts migrated: only where migrating on start is on.
 */
export function embeddedTemplateCache (config: Pick<Config, 'DATABASE_URL' | 'EMBEDDED_TEMPLATE_CACHE' | 'MIGRATE_ON_START'>): string | undefined {
  if (config.DATABASE_URL !== undefined || !config.MIGRATE_ON_START || config.EMBEDDED_TEMPLATE_CACHE === 'none') return undefined
  return resolve(config.EMBEDDED_TEMPLATE_CACHE)
}

export function targetFromConfig (config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'DB_POOL_MAX' | 'DB_IDLE_TIMEOUT_MS' | 'DB_CONNECTION_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_MS' | 'DB_JIT' | 'DB_PREPARED_STATEMENTS'>, url = config.DATABASE_URL): DatabaseTarget {
  if (url === undefined) return { kind: 'pglite', dataDir: resolve(config.DATA_DIR, 'pglite') }
  return {
    kind: 'postgres',
    url,
    pool: {
      max: config.DB_POOL_MAX,
      idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS,
      connectionTimeoutMs: config.DB_CONNECTION_TIMEOUT_MS,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      jit: config.DB_JIT,
      prepare: config.DB_PREPARED_STATEMENTS
    }
  }
}

/**
 * The server's database: the configured one, where a new embedded data directory is copied from
 * its template. The tools (migrate, seed) see a new data directory as it is: empty.
 */
export function serverTarget (config: Parameters<typeof targetFromConfig>[0] & Parameters<typeof embeddedTemplateCache>[0]): DatabaseTarget {
  const target = targetFromConfig(config)
  const templateCache = embeddedTemplateCache(config)
  return target.kind === 'pglite' && templateCache !== undefined ? { ...target, templateCache } : target
}

const INT8_OID = 20

// Counts and sums come back as int8. Every int8 this schema produces fits a double, so both
// drivers hand out numbers (PGlite already does; node-postgres would give strings).
const postgresTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser
}

export function connectDatabase (target: DatabaseTarget, hooks: DatabaseHooks = {}): DatabaseHandle {
  const { onQuery, onPoolError, onEmbedded } = hooks
  const log = onQuery === undefined ? undefined : (event: LogEvent) => { onQuery(event) }
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.pool.max,
      idleTimeoutMillis: target.pool.idleTimeoutMs,
      connectionTimeoutMillis: target.pool.connectionTimeoutMs,
      statement_timeout: target.pool.statementTimeoutMs === 0 ? undefined : target.pool.statementTimeoutMs,
      // JIT compiles the expressions of a statement whose estimated cost is high; for this
      // service's statements that takes longer than running them (the fleet's due list: 6.2 s with
      // it, 0.36 s without). A startup parameter, like the statement timeout (PgBouncer: docs/scaling.md).
      options: target.pool.jit === true ? undefined : '-c jit=off',
      application_name: 'fleet-api',
      types: postgresTypes
    })
    // An idle client losing its server (failover, restart) must not crash the process;
    // the pool discards it and the next checkout opens a fresh connection.
    pool.on('error', (err) => { onPoolError?.(err) })
    // A checked-out client has no listener of the pool's: its server going away mid-request (a
    // failover, a cut connection) would be an uncaught 'error' event, which ends the process. Its
    // query fails with that error instead (answered as SERVICE_UNAVAILABLE), and the pool drops
    // the client when it comes back; while idle, the listener above reports it.
    pool.on('connect', (client) => { client.on('error', () => {}) })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: target.pool.prepare === false ? pool : preparingPool(pool) }), log })
    return {
      db,
      kind: 'postgres',
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: async () => { await db.destroy() }
    }
  }

  const db = new Kysely<Database>({
    dialect: new PGliteDialect({ pglite: async () => await (target.opening ?? openEmbedded(target, onEmbedded)) }),
    log
  })
  return {
    db,
    kind: 'pglite',
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => { await db.destroy() }
  }
}
