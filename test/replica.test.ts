import t from 'tap'
import { buildTestApp } from './helpers/app.js'
import { demoDatabase, proxiedDemoDatabase, usingPostgres } from './helpers/database.js'
import { dataFetcher } from './helpers/graphql.js'

// DATABASE_READ_URL: queries read from the replica; a mutation writes to the primary and reads
// what it wrote from there in the same request. Two independent copies of the demo database
// stand in for primary and replica, so "which one answered" is visible in the data: a write
// reaches only the primary.

void t.test('queries read the replica, mutations the primary, and a dead replica falls back', { skip: usingPostgres ? false : 'needs two PostgreSQL databases', timeout: 60_000 }, async (t) => {
  const primary = await demoDatabase(t)
  const { database: replicaDb, proxy } = await proxiedDemoDatabase(t)
  const replica = { ...replicaDb, pool: { ...replicaDb.pool, connectionTimeoutMs: 500 } }
  const logs: string[] = []
  const { gql, login, app } = await buildTestApp(t, {
    database: primary,
    readDatabase: replica,
    env: { CACHE_TTL_SECONDS: '0', REPLICA_CHECK_INTERVAL_MS: '200', HEALTH_CHECK_TIMEOUT_MS: '1000', HEALTH_CACHE_MS: '0', LOG_LEVEL: 'warn' },
    logStream: { write: (line) => { logs.push(line) } }
  })
  const on = dataFetcher(gql, await login('fleet_manager@fleet.example'))
  const vehicle = (await on<any>('{ vehicles(first: 1) { nodes { id name version } } }')).vehicles.nodes[0]

  const written = await on<any>('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Written to the primary" }) { name version facility { name } } }', { id: vehicle.id, v: vehicle.version })
  t.equal(written.updateVehicle.name, 'Written to the primary', 'the mutation reads back its own write (primary)')
  t.equal(written.updateVehicle.version, vehicle.version + 1)

  const read = async () => (await on<any>('query ($id: ID!) { vehicle(id: $id) { name } vehicles(filter: { search: "Written to the primary" }) { totalCount } }', { id: vehicle.id }))
  t.same(await read(), { vehicle: { name: vehicle.name }, vehicles: { totalCount: 0 } }, 'queries read the replica (which never got the write)')
  t.match((await app.inject('/health')).json(), { status: 'healthy', checks: { replica: { status: 'ok', message: /Read replica/ } } })

  // The replica is checked every 200 ms; wait until that check says it switched reads (its log
  // line, logged after the fault was set up or cleared), not a guessed time: a busy machine is slower.
  const switched = async (message: RegExp, since: number) => {
    for (const until = Date.now() + 15_000; !logs.slice(since).some((line) => message.test(line)); await new Promise((resolve) => setTimeout(resolve, 50))) {
      if (Date.now() > until) throw new Error(`never logged ${message}`)
    }
  }
  let since = logs.length
  proxy.blackhole()
  proxy.reset()
  await switched(/read replica not answering: queries read from the primary/, since)
  t.same(await read(), { vehicle: { name: 'Written to the primary' }, vehicles: { totalCount: 1 } }, 'replica down: queries read the primary, no client error')
  t.match((await app.inject('/health')).json(), { status: 'degraded', checks: { replica: { status: 'down' }, database: { status: 'ok' } } })
  t.equal((await app.inject('/health/readiness')).statusCode, 200, 'still ready')

  since = logs.length
  proxy.restore()
  await switched(/read replica answers again: queries read from it/, since)
  t.same((await read()).vehicle, { name: vehicle.name }, 'replica back: queries read it again')
})
