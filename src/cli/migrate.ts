import { migrateDown, migrateUp, migrationStatus } from '../database/migrator.js'
import { openCli, runCli, UsageError } from './environment.js'

// npm run migrate:up | migrate:down | migrate:status [-- --env=<environment>]
//   up      apply every pending migration
//   down    revert the most recent migration
//   status  list applied and pending migrations; exits 3 when some are pending

const USAGE = 'usage: migrate <up|down|status> [--env=development|staging|production]'

await runCli(async () => {
  const cli = openCli(process.argv.slice(2))
  const [command] = cli.positionals
  const { db } = cli.database
  console.log(`${cli.environment}: ${cli.describeTarget()}`)
  try {
    switch (command) {
      case 'up': {
        const applied = await migrateUp(db)
        console.log(applied.length === 0 ? 'Already up to date.' : applied.map((name) => `applied  ${name}`).join('\n'))
        break
      }
      case 'down': {
        const reverted = await migrateDown(db)
        console.log(reverted.length === 0 ? 'Nothing to revert.' : reverted.map((name) => `reverted ${name}`).join('\n'))
        break
      }
      case 'status': {
        const migrations = await migrationStatus(db)
        for (const m of migrations) {
          console.log(`${m.executedAt === null ? 'pending ' : 'applied '} ${m.name}${m.executedAt === null ? '' : `  (${m.executedAt.toISOString()})`}`)
        }
        const pending = migrations.filter((m) => m.executedAt === null).length
        console.log(`${migrations.length - pending} applied, ${pending} pending`)
        if (pending > 0) process.exitCode = 3
        break
      }
      default:
        throw new UsageError(USAGE)
    }
  } finally {
    await cli.database.close()
  }
})
