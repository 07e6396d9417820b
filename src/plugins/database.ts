import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import { type LogEvent, sql } from 'kysely'
import { connectDatabase, type DatabaseHandle, type DatabaseTarget } from '../database/connect.js'
import { withTimeout } from '../health/checks.js'
import { endpointOf } from '../telemetry/endpoint.js'
import type { DependencyRecord } from '../telemetry/telemetry.js'
import type { Database } from '../database/schema.js'
import { currentRequestStats } from './request-context.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseHandle
    /** The primary: writes, and reads in a request that writes. */
    db: Kysely<Database>
    /** The read replica when DATABASE_READ_URL is set, else null. */
    replica: DatabaseHandle | null
    /** Where queries read: the replica if there is one, else the primary. */
    readDb: Kysely<Database>
  }
}

export interface DatabasePluginOptions {
  target: DatabaseTarget
  /** A read replica (DATABASE_READ_URL). */
  readTarget?: DatabaseTarget
  /** How often the replica is checked, and how long a check may take. */
  replicaCheck: { intervalMs: number, timeoutMs: number }
}

export const databasePlugin = fp(async (app: FastifyInstance, options: DatabasePluginOptions) => {
  const tracing = app.telemetry.backends.length > 0
  const connect = (databaseTarget: DatabaseTarget) => {
    const endpoint = databaseTarget.kind === 'pglite' ? 'pglite' : endpointOf(databaseTarget.url)
    return connectDatabase(databaseTarget, {
      onQuery: (event) => {
        app.instruments.observeQuery(event)
        if (tracing) app.telemetry.dependency(sqlDependency(event, endpoint))
        const stats = currentRequestStats()
        if (stats !== undefined) {
          stats.statements++
          stats.databaseMs += event.queryDurationMillis
        }
      },
      onPoolError: (err) => { app.log.warn({ err, database: endpoint }, 'idle database connection lost; the pool will reconnect') },
      onEmbedded: (message, fields) => { app.log.info(fields, message) }
    })
  }
  // Nothing is awaited here: PostgreSQL is first reached, and the embedded database is opened (or
  // its opening, begun by the server before the app loaded, awaited), by the start-up work that
  // follows the listener (src/plugins/startup.ts), outside any plugin time limit.
  const handle = connect(options.target)
  const replica = options.readTarget === undefined ? null : connect(options.readTarget)
  app.instruments.setPoolStats(handle.poolStats)
  app.decorate('database', handle)
  app.decorate('db', handle.db)
  app.decorate('replica', replica)
  // Queries read from the replica while it answers; when it does not, from the primary, so a
  // replica outage costs capacity, not availability.
  let replicaUp = replica !== null
  app.decorate('readDb', { getter: () => replica !== null && replicaUp ? replica.db : handle.db })
  // One check at a time, the next one scheduled when the last has answered: overlapping checks
  // could finish out of order, and a stale "down" from a check that timed out during an outage
  // would overrule the fresh "up" that followed it.
  let monitor: NodeJS.Timeout | undefined
  let closing = false
  if (replica !== null) {
    const check = async () => {
      const up = await withTimeout(sql`SELECT 1`.execute(replica.db), options.replicaCheck.timeoutMs).then(() => true, () => false)
      if (closing) return
      if (up !== replicaUp) app.log.warn({ replica: up ? 'up' : 'down' }, up ? 'read replica answers again: queries read from it' : 'read replica not answering: queries read from the primary')
      replicaUp = up
      schedule()
    }
    const schedule = () => {
      monitor = setTimeout(() => { void check() }, options.replicaCheck.intervalMs)
      monitor.unref()
    }
    schedule()
  }
  app.addHook('onClose', async () => {
    closing = true
    clearTimeout(monitor)
    await handle.close()
    await replica?.close()
  })
}, { name: 'database', dependencies: ['request-context', 'metrics', 'telemetry'] })


/** The statement without its parenthesized parts (subqueries, lists): its own FROM shows. */
function outermost (sql: string): string {
  let text = sql.length > 4000 ? sql.slice(0, 4000) : sql
  for (let previous = ''; previous !== text;) {
    previous = text
    text = text.replace(/\([^()]*\)/g, ' ')
  }
  return text
}

/** "SELECT vehicles" and the statement's text (parameters are never sent: they hold user data). */
function sqlDependency (event: LogEvent, target: string): DependencyRecord {
  const { sql } = event.query
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL'
  const table = /\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/i.exec(outermost(sql))?.[1]
  const code = event.level === 'error' ? (event.error as { code?: unknown } | undefined)?.code : undefined
  return {
    type: 'SQL',
    name: table === undefined ? verb : `${verb} ${table}`,
    data: sql.length > 2000 ? `${sql.slice(0, 2000)}…` : sql,
    target,
    durationMs: event.queryDurationMillis,
    success: event.level === 'query',
    resultCode: typeof code === 'string' ? code : event.level === 'error' ? 'error' : '0'
  }
}
