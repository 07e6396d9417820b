import { Redis } from 'ioredis'
import type { Kysely, Transaction } from 'kysely'
import mqemitter, { type MQEmitter } from 'mqemitter'
import mqemitterRedis from 'mqemitter-redis'
import { pino } from 'pino'
import { pruneAuditLog, SYSTEM_SCOPE, tagTransaction } from '../database/audit.js'
import type { Database } from '../database/schema.js'
import { FEATURES } from '../modules/index.js'
import { ALLOWED_DURING_MAINTENANCE, switchesTopic } from '../modules/operations/catalog.js'
import { endMaintenance, loadSwitches, startMaintenance, upsertFeatureFlag } from '../modules/operations/queries.js'
import { publish } from '../events/publish.js'
import { raiseDueAlerts } from '../modules/maintenance-schedules/due-alerts.js'
import { maintainTelematics } from '../modules/telematics/maintenance.js'
import { PositionPartitions } from '../modules/telematics/partitions.js'
import { openCli, runCli, UsageError } from './environment.js'

// npm run ops -- <command> [--env=<environment>]   switches for the whole service (every organization)
//   status                           feature flags and maintenance mode as stored
//   maintenance on "<message>"       read-only mode: mutations answer MAINTENANCE, reads go on
//   maintenance off
//   flag <name> on|off ["<reason>"]  a kill switch; off answers FEATURE_DISABLED for its operations
//   audit-prune <days>               deletes audit records older than <days> days (retention)
//   service-due-alerts               raises the maintenance alerts that have come due now (the service
//                                    also runs it every SERVICE_DUE_ALERTS_INTERVAL_SECONDS)
//   telematics-maintenance           positions partitions ahead, retention (POSITION_RETENTION_DAYS),
//                                    trips of silent trackers closed (the service also runs it)
// Every replica applies a switch change at once when REDIS_URL is set (announced over Redis), and
// within SWITCHES_REFRESH_MS in any case. Changes are recorded in the audit log as `ops <command>`.

const USAGE = `usage: ops status | maintenance on "<message>" | maintenance off | flag <name> on|off ["<reason>"] | audit-prune <days> | service-due-alerts | telematics-maintenance
features: ${Object.keys(FEATURES).join(', ')}`

/** Runs a change in a transaction the audit trail records as this command. */
async function recorded<T> (db: Kysely<Database>, command: string, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return await db.transaction().execute(async (trx) => {
    await tagTransaction(trx, { actorId: null, actorRole: null, operation: `ops ${command}`, requestId: null }, SYSTEM_SCOPE)
    return await work(trx)
  })
}

await runCli(async () => {
  const cli = openCli(process.argv.slice(2))
  const [command, ...rest] = cli.positionals
  const { db } = cli.database
  console.log(`${cli.environment}: ${cli.describeTarget()}`)
  try {
    if (command === 'status') {
      const { flags, maintenance } = await loadSwitches(db)
      const service = maintenance.find((m) => m.organization_id === null)
      console.log(`maintenance (service): ${service === undefined ? 'off' : `ON since ${service.created_at.toISOString()}: ${service.message}`}`)
      console.log(`maintenance (organizations): ${maintenance.filter((m) => m.organization_id !== null).length} in maintenance`)
      for (const name of Object.keys(FEATURES)) {
        const row = flags.find((f) => f.organization_id === null && f.name === name)
        const off = flags.filter((f) => f.organization_id !== null && f.name === name && !f.enabled).length
        console.log(`flag ${name}: ${row === undefined || row.enabled ? 'on' : `OFF (${row.reason ?? 'no reason given'})`}${off > 0 ? `; off in ${off} organization(s)` : ''}`)
      }
    } else if (command === 'maintenance' && rest[0] === 'on') {
      const message = rest[1] ?? 'Fleet API is in read-only maintenance; changes are paused, reads work.'
      await recorded(db, 'maintenance on', async (trx) => await startMaintenance(trx, { organization_id: null, message, enabled_by: null }))
      console.log(`maintenance ON for the whole service: mutations refused except ${[...ALLOWED_DURING_MAINTENANCE].map((f) => f.replace('Mutation.', '')).join(', ')}`)
    } else if (command === 'maintenance' && rest[0] === 'off') {
      console.log(await recorded(db, 'maintenance off', async (trx) => await endMaintenance(trx, null)) ? 'maintenance off' : 'maintenance was not on')
    } else if (command === 'flag' && rest[0] !== undefined && (rest[1] === 'on' || rest[1] === 'off')) {
      if (!Object.hasOwn(FEATURES, rest[0])) throw new UsageError(`unknown feature "${rest[0]}"\n${USAGE}`)
      const row = { organization_id: null, name: rest[0], enabled: rest[1] === 'on', reason: rest[2] ?? null, updated_by: null }
      await recorded(db, `flag ${rest[0]} ${rest[1]}`, async (trx) => await upsertFeatureFlag(trx, row))
      console.log(`flag ${rest[0]} ${rest[1]} for the whole service`)
    } else if (command === 'audit-prune' && /^[1-9][0-9]{0,4}$/.test(rest[0] ?? '')) {
      const before = new Date(Date.now() - Number(rest[0]) * 86_400_000)
      console.log(`deleted ${await pruneAuditLog(db, before)} audit record(s) from before ${before.toISOString()}`)
    } else if (command === 'service-due-alerts' && rest.length === 0) {
      const bus = openBus(cli.config.REDIS_URL)
      try {
        const raised = await raiseDueAlerts({ db, events: bus.emitter, config: cli.config, log: pino({ level: 'warn' }) })
        console.log(`maintenance alerts raised: ${raised}`)
      } finally {
        bus.close()
      }
    } else if (command === 'telematics-maintenance' && rest.length === 0) {
      const report = await maintainTelematics(db, cli.config, new PositionPartitions(), new Date())
      console.log(`positions partitions created: ${report.created.join(', ') || 'none'}; dropped (older than ${cli.config.POSITION_RETENTION_DAYS} days): ${report.dropped.join(', ') || 'none'}`)
      console.log(`trips of silent trackers closed: ${report.closedTrips}; discarded as too short: ${report.discardedTrips}`)
    } else {
      throw new UsageError(USAGE)
    }
    if (command === 'maintenance' || command === 'flag') await announce(cli.config.REDIS_URL, cli.config.CACHE_NAMESPACE)
  } finally {
    await cli.database.close()
  }
})

/** The event bus of the running replicas (through Redis), or an in-process one nobody hears without REDIS_URL. */
function openBus (url: string | undefined): { emitter: MQEmitter, close: () => void } {
  if (url === undefined) return { emitter: mqemitter(), close: () => {} }
  const pubConn = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  const subConn = new Redis(url, { lazyConnect: true })
  pubConn.on('error', () => {})
  const emitter = mqemitterRedis({ pubConn: pubConn as never, subConn: subConn as never })
  ;(emitter as unknown as { state: NodeJS.EventEmitter }).state.on('error', () => {})
  return { emitter, close: () => { pubConn.disconnect(); subConn.disconnect() } }
}

/** Tells running replicas to re-read the switches now (best effort: they poll anyway). */
async function announce (url: string | undefined, namespace: string): Promise<void> {
  if (url === undefined) return
  const bus = openBus(url)
  const sent = await Promise.race([
    publish(bus.emitter, switchesTopic(namespace)).then(() => true, () => false),
    new Promise<boolean>((resolve) => setTimeout(() => { resolve(false) }, 2000).unref())
  ])
  bus.close()
  console.log(sent ? 'announced to running replicas' : 'could not reach Redis: replicas apply the change within SWITCHES_REFRESH_MS')
}
