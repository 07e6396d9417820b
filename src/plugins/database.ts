import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import { connectDatabase, type DatabaseHandle, type DatabaseTarget } from '../database/connect.js'
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
  const handle = connectDatabase(options.target, {
    onQuery: (event) => {
      app.instruments.observeQuery(event)
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
}, { name: 'database', dependencies: ['request-context', 'metrics'] })
