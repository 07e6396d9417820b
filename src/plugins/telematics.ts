import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { Telematics } from '../modules/telematics/service.js'

// The telematics service (ingest pipeline, geofence directory, live-position publisher) and its
// maintenance job: every TELEMATICS_MAINTENANCE_INTERVAL_SECONDS each replica creates the
// positions partitions ahead, drops those past POSITION_RETENTION_DAYS and closes the trips of
// trackers that fell silent. The work is idempotent and serialized in PostgreSQL, so replicas
// running it at the same time is harmless; a failed run is logged and retried next interval.

declare module 'fastify' {
  interface FastifyInstance {
    telematics: Telematics
  }
}

export const telematicsPlugin = fp(async (app: FastifyInstance, { config }: { config: Config }) => {
  const counter = app.instruments.positionsIngested
  const telematics = new Telematics({
    db: () => app.db,
    cache: app.entityCache,
    events: app.events,
    config,
    log: app.log,
    counted: (source, counts) => {
      counter.inc({ source, result: 'accepted' }, counts.accepted)
      counter.inc({ source, result: 'duplicate' }, counts.duplicates)
      counter.inc({ source, result: 'rejected' }, counts.rejected)
    }
  })
  app.decorate('telematics', telematics)
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const run = (): void => {
    running ??= telematics.maintain()
      .then((result) => {
        if (result.created.length + result.dropped.length + result.closedTrips + result.discardedTrips > 0) app.log.info({ telematicsMaintenance: result }, 'telematics maintenance')
      })
      .catch((err: unknown) => { app.log.warn({ err }, 'telematics maintenance failed; retrying next interval') })
      .finally(() => { running = undefined })
  }
  // The first run comes one interval after start, not during it: starting replicas answer their
  // probes first (on the embedded database, whose one connection the job would hold), and fixes
  // get their day's partition on demand meanwhile.
  if (config.TELEMATICS_MAINTENANCE_INTERVAL_SECONDS > 0) {
    app.addHook('onReady', async () => {
      app.startup.onDone(() => {
        timer = setInterval(run, config.TELEMATICS_MAINTENANCE_INTERVAL_SECONDS * 1000)
        timer.unref()
      })
    })
  }
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running
    telematics.close()
  })
}, { name: 'telematics', dependencies: ['database', 'startup', 'cache', 'events', 'metrics'] })
