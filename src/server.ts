import { ConfigError, type Config, loadConfig } from './config.js'
import { type DatabaseTarget, serverTarget } from './database/connect.js'
import { type EmbeddedReport, openEmbedded } from './database/embedded.js'

// Process entry: configuration, the app, the port, start-up work, and a clean exit on signals.

function readConfig (): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}

const config = readConfig()

// The embedded database starts opening (PGlite's WebAssembly and files) before the app's modules
// load, and goes on while its plugins register: half a second less of every restart. What opening
// did is logged once there is a logger; a failure is start-up's to report.
const early: Array<Parameters<EmbeddedReport>> = []
let report: EmbeddedReport = (message, fields) => { early.push([message, fields]) }
function openEarly (target: DatabaseTarget): DatabaseTarget {
  if (target.kind !== 'pglite') return target
  const opening = openEmbedded(target, (message, fields) => { report(message, fields) })
  opening.catch(() => {})
  return { ...target, opening }
}
const database = openEarly(serverTarget(config))

const { buildApp } = await import('./app.js')
const app = await buildApp(config, { database }).catch((err: unknown) => {
  // No logger yet: say what failed in one line (a schema or plugin error at boot is a bug).
  console.error(`Fleet API failed to start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
report = (message, fields) => { app.log.info(fields, message) }
for (const [message, fields] of early.splice(0)) report(message, fields)

// The listener opens first, so the probes answer while start-up work (reaching the database,
// migrations, the demo seed) runs; it waits for an absent database as long as it takes.
try {
  await app.listen({ host: config.HOST, port: config.PORT })
} catch (err) {
  app.log.fatal({ err }, 'could not listen')
  await app.close()
  process.exit(1)
}

const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : config.PORT
const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`

app.startup.finished.then(() => {
  app.log.info({ url: `${base}/graphql`, database: app.database.kind }, 'Fleet API ready')
  if (config.NODE_ENV !== 'production') {
    const lines = [`Fleet API is ready: ${base}/graphql`]
    if (config.GRAPHIQL) lines.push(`GraphiQL: ${base}/graphiql`)
    if (app.database.kind === 'pglite') lines.push(`Embedded database in ${config.DATA_DIR}/ (set DATABASE_URL to use PostgreSQL)`)
    lines.push('Sign in with the login mutation as fleet_manager@fleet.example (or admin@, dispatcher@, mechanic@, driver@, viewer@) and the password fleet-demo.')
    console.log(`\n${lines.join('\n')}\n`)
  }
}, async (err: unknown) => {
  app.log.fatal({ err }, 'start-up failed')
  await app.close()
  process.exit(1)
})

// SIGTERM (Kubernetes) or SIGINT (Ctrl-C): readiness turns 503 at once; after SHUTDOWN_DELAY_MS
// (time for the load balancer to notice) the listener closes, in-flight requests finish within
// SHUTDOWN_GRACE_MS, then the pool and Redis close and the process exits 0.
let closing = false
async function shutdown (signal: NodeJS.Signals): Promise<void> {
  if (closing) return
  closing = true
  app.lifecycle.draining = true
  app.log.info({ signal, delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down: draining')
  await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DELAY_MS))
  const deadline = setTimeout(() => {
    app.log.error('shutdown grace period over with requests still in flight; exiting')
    process.exit(1)
  }, config.SHUTDOWN_GRACE_MS)
  deadline.unref()
  await app.close()
  clearTimeout(deadline)
  app.log.info('shut down cleanly')
  process.exit(0)
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    shutdown(signal).catch((err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  })
}
