import { demoSeeded, removeDemo, seedDemo } from '../../db/seeds/demo.js'
import { pendingMigrations } from '../database/migrator.js'
import { openCli, runCli, UsageError } from './environment.js'

// npm run db:seed [-- --env=<environment>] [--reset]
// Loads the demo organizations into the database DATABASE_URL names. Refused in production.
// --reset first deletes the demo organizations (and everything they own) if present.

await runCli(async () => {
  const cli = openCli(process.argv.slice(2), {
    flags: ['reset'],
    refuseInProduction: 'db:seed loads demo accounts with a published password: refused in production.'
  })
  const { db } = cli.database
  console.log(`${cli.environment}: ${cli.describeTarget()}`)
  try {
    const pending = await pendingMigrations(db)
    if (pending.length > 0) throw new UsageError(`${pending.length} migration(s) pending: run \`npm run migrate:up\` first.`)
    if (await demoSeeded(db)) {
      if (cli.flags.reset !== true) {
        console.log('The demo organizations are already loaded; pass --reset to replace them.')
        return
      }
      await removeDemo(db)
    }
    const summary = await seedDemo(db)
    console.log(`Loaded ${summary.organizations} organizations, ${summary.users} users, ${summary.facilities} facilities, ` +
      `${summary.vehicles} vehicles, ${summary.drivers} drivers, ${summary.assignments} assignments, ${summary.geofences} geofences, ${summary.positions} positions.`)
  } finally {
    await cli.database.close()
  }
})
