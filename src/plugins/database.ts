import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import type { LogEvent } from 'kysely'
import { connectDatabase, type DatabaseHandle, type DatabaseTarget } from '../database/connect.js'
import { endpointOf } from '../telemetry/endpoint.js'
import type { DependencyRecord } from '../telemetry/telemetry.js'
import type { Database } from '../database/schema.js'
import { currentRequestStats } from './request-context.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseHandle
    db: Kysely<Database>
  }
}

export interface DatabasePluginOptions {
  target: DatabaseTarget
}

export const databasePlugin = fp(async (app: FastifyInstance, options: DatabasePluginOptions) => {
  const target = options.target.kind === 'pglite' ? 'pglite' : endpointOf(options.target.url)
  const tracing = app.telemetry.backends.length > 0
  const handle = connectDatabase(options.target, {
    onQuery: (event) => {
      app.instruments.observeQuery(event)
      if (tracing) app.telemetry.dependency(sqlDependency(event, target))
      const stats = currentRequestStats()
      if (stats !== undefined) {
        stats.statements++
        stats.databaseMs += event.queryDurationMillis
      }
    },
    onPoolError: (err) => { app.log.warn({ err }, 'idle database connection lost; the pool will reconnect') }
  })
  app.instruments.setPoolStats(handle.poolStats)
  app.decorate('database', handle)
  app.decorate('db', handle.db)
  app.addHook('onClose', async () => { await handle.close() })
}, { name: 'database', dependencies: ['request-context', 'metrics', 'telemetry'] })


/** "SELECT vehicles" and the statement's text (parameters are never sent: they hold user data). */
function sqlDependency (event: LogEvent, target: string): DependencyRecord {
  const { sql } = event.query
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL'
  const table = /\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/i.exec(sql)?.[1]
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
