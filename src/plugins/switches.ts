import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { FEATURES } from '../modules/index.js'
import { switchesTopic } from '../modules/operations/catalog.js'
import { Switchboard } from '../modules/operations/switchboard.js'

declare module 'fastify' {
  interface FastifyInstance {
    switches: Switchboard
  }
}

export const switchesPlugin = fp(async (app: FastifyInstance, { config }: { config: Config }) => {
  const switchboard = new Switchboard({
    db: app.db,
    refreshMs: config.SWITCHES_REFRESH_MS,
    log: app.log,
    maintenanceFromConfig: { enabled: config.MAINTENANCE_MODE, message: config.MAINTENANCE_MESSAGE },
    features: FEATURES
  })
  app.decorate('switches', switchboard)
  // A change made on any replica (or by `npm run ops`) is announced over the event bus; the
  // periodic re-read stays as the fallback for an announcement lost while Redis was away.
  app.events.on(switchesTopic(config.CACHE_NAMESPACE), (_message, done) => {
    void switchboard.reload()
    done()
  })
  // Read once start-up has finished: on a new database the table may not exist before that.
  app.addHook('onReady', async () => { app.startup.onDone(() => { switchboard.start() }) })
  app.addHook('onClose', async () => { switchboard.stop() })
}, { name: 'switches', dependencies: ['database', 'startup', 'events'] })
