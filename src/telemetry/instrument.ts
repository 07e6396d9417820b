// Preloaded with `node --import ./dist/src/telemetry/instrument.js dist/src/server.js` (the
// container's command and `npm start`): when SENTRY_DSN is set, Sentry is initialized before
// any other module loads, which lets it instrument HTTP, Fastify and the database drivers for
// tracing. Without SENTRY_DSN it loads nothing. A bad configuration is left for server.ts to report.
import { loadConfig } from '../config.js'

let config
try {
  config = loadConfig()
} catch {
  config = undefined
}
if (config?.SENTRY_DSN !== undefined) {
  const [Sentry, { sentryOptions }] = await Promise.all([import('@sentry/node'), import('./sentry.js')])
  Sentry.init(sentryOptions(config))
}
