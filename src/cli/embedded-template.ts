import { performance } from 'node:perf_hooks'
import { embeddedTemplateCache } from '../database/connect.js'
import { embeddedTemplate, templateReady } from '../database/embedded.js'
import { openCli, runCli } from './environment.js'

// npm run embedded:template (run by `npm start` after the build)
// Prepares the embedded database's template for this code's migrations, so that the first start
// on a new DATA_DIR copies it instead of running PGlite's initdb and every migration. Nothing to
// do with DATABASE_URL set, with MIGRATE_ON_START off, or when the template exists already.

await runCli(async () => {
  const { config } = openCli(process.argv.slice(2))
  const cache = embeddedTemplateCache(config)
  if (cache === undefined || templateReady(cache)) return
  const started = performance.now()
  console.log('Preparing the embedded database (once per migration set)...')
  const template = await embeddedTemplate(cache)
  console.log(`Embedded database template ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${template}`)
})
