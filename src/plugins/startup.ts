import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { prepareDatabase } from '../startup/prepare.js'
import { Startup } from '../startup/startup.js'

// Runs the start-up work (src/startup/) once the app is ready, in the background, and holds
// requests off until it has finished: a request served between two migrations, or before the demo
// fleet is loaded, would see a database that is not there yet. Probes and GraphiQL's static page
// are answered meanwhile; everything else gets 503 SERVICE_UNAVAILABLE with Retry-After and why.

declare module 'fastify' {
  interface FastifyInstance {
    startup: Startup
  }
}

const ANSWERED_WHILE_STARTING = /^\/(health|graphiql)(\/|$|\?)/
const RETRY_AFTER_SECONDS = '2'

export const startupPlugin = fp(async (app: FastifyInstance, { config }: { config: Config }) => {
  const startup = new Startup({
    work: async (step) => { await prepareDatabase(app.database, config, app.log, step) },
    embedded: app.database.kind === 'pglite',
    log: app.log
  })
  app.decorate('startup', startup)
  app.addHook('onReady', async () => { startup.start() })
  app.addHook('onRequest', async (request, reply) => {
    if (startup.done || ANSWERED_WHILE_STARTING.test(request.url)) return
    // A request error, not executed: no `data` entry (GraphQL over HTTP).
    await reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).send({
      errors: [{ message: `Fleet API is starting (${startup.reason ?? 'almost there'}); retry shortly`, extensions: { code: 'SERVICE_UNAVAILABLE' } }]
    })
  })
  app.addHook('onClose', async () => { await startup.stop() })
}, { name: 'startup', dependencies: ['database'] })
