import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { buildTestApp, codes, type TestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { dataFetcher } from './helpers/graphql.js'
import { privateRedis } from './helpers/redis.js'
import { tcpProxy } from './helpers/tcp.js'

// The shared entity cache: what it saves, that every replica reads committed data, and that
// Redis failing in any way never reaches a client.

const DASHBOARD = 'query Dashboard { vehicles(first: 50) { nodes { facility { name } currentDriver { name } currentAssignment { startsAt } } } }'
const EVERYTHING = `query Everything {
  vehicles(first: 20) { nodes { name facility { name } currentDriver { name } currentAssignment { startsAt vehicle { number } } } }
  drivers(first: 5) { nodes { name currentVehicle { number } } }
  me { organization { settings { vinCheckDigitRequired } } }
}`

function hits (metrics: string, entity: string): number {
  return Number(new RegExp(`^fleet_api_cache_requests_total\\{entity="${entity}",result="hit"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0)
}

void t.test('warm, the dashboard query is one statement; relations by id come from the cache', async (t) => {
  const { app, gql, login, statementsOf } = await buildTestApp(t)
  const token = await login('fleet_manager@fleet.example')
  const cold = await gql(DASHBOARD, {}, token)
  const warm = await gql(DASHBOARD, {}, token)
  t.same(warm.data, cold.data, 'same answer')
  t.equal(statementsOf(cold), 2, 'cold: the viewer\'s state, and the vehicles page with its facilities, assignments and drivers')
  t.equal(statementsOf(warm), 1, 'warm: the vehicles page only (the viewer\'s state comes from the cache)')
  t.ok(hits((await app.inject('/health/metrics')).body, 'user_access') >= 1, 'the viewer\'s state is a cache hit')

  const DRIVERS = '{ drivers(first: 40) { nodes { name currentVehicle { number facility { name } } } } }'
  const driversCold = await gql(DRIVERS, {}, token)
  const driversWarm = await gql(DRIVERS, {}, token)
  t.same(driversWarm.data, driversCold.data)
  // viewer (cached), drivers page, current assignments; cold also vehicles and facilities by id
  t.equal(statementsOf(driversCold), 4)
  t.equal(statementsOf(driversWarm), 2, 'warm: vehicles and facilities by id come from the cache')
  const metrics = (await app.inject('/health/metrics')).body
  t.ok(hits(metrics, 'facilities') >= 3, 'facility hits counted')
  t.ok(hits(metrics, 'vehicles') >= 20, 'vehicle hits counted')
})

void t.test('warm, a request needs one Redis round trip: the session and the rate limit travel together', async (t) => {
  const redis = await privateRedis(t)
  const { gql, login, statementsOf } = await buildTestApp(t, { env: { REDIS_URL: redis.url } })
  const token = await login('fleet_manager@fleet.example')
  const observer = new Redis(redis.url)
  t.teardown(() => { observer.disconnect() })
  // Read events Redis processed: a pipelined batch is one; the INFO that asks is one too.
  const reads = async (): Promise<number> => Number(/total_reads_processed:(\d+)/.exec(await observer.info('stats'))?.[1])
  t.equal(statementsOf(await gql(DASHBOARD, {}, token)), 2, 'cold')
  const perRequest: number[] = []
  for (let i = 0; i < 4; i++) {
    const before = await reads()
    const warm = await gql(DASHBOARD, {}, token)
    t.equal(statementsOf(warm), 1)
    perRequest.push(await reads() - before - 1)
  }
  // Fewest over four requests: a reconnect or a health ping in between can only add.
  t.equal(Math.min(...perRequest), 1, `one round trip per warm request (${perRequest.join(', ')})`)
  const keys = await observer.keys('*:rate:user:*')
  t.equal(keys.length, 1, 'the request was counted against the user\'s rate limit')
  t.equal(Number(await observer.get(keys[0] as string)), 5, 'each of the five requests counted once (login is anonymous)')
})

void t.test('stampede: concurrent misses for one key cost one query', async (t) => {
  const { gql, login, statementsOf } = await buildTestApp(t)
  const token = await login('viewer@fleet.example')
  const id = (await gql('{ vehicles(first: 1, orderBy: { field: NAME, direction: DESC }) { nodes { id } } }', {}, token)).data?.vehicles.nodes[0].id as string
  const responses = await Promise.all(Array.from({ length: 12 }, async () => await gql('query ($id: ID!) { vehicle(id: $id) { name } }', { id }, token)))
  t.ok(responses.every((r) => r.errors === undefined && r.data?.vehicle.name !== undefined))
  t.equal(responses.reduce((sum, r) => sum + statementsOf(r), 0), 1, 'twelve requests, one SQL statement')
})

void t.test('two replicas sharing PostgreSQL and Redis: a write on A is read on B', { skip: usingPostgres ? false : 'two replicas need one shared PostgreSQL database' }, async (t) => {
  const database = await demoDatabase(t)
  const a = await buildTestApp(t, { database })
  const b = await buildTestApp(t, { database })
  const adminA = await a.login('admin@fleet.example')
  const readerB = await b.login('viewer@fleet.example')
  const onA = dataFetcher(a.gql, adminA)
  const onB = dataFetcher(b.gql, readerB)

  const [vehicle, driver, facility] = [
    (await onB<any>('{ vehicles(first: 1, filter: { assigned: true }) { nodes { id version currentAssignment { id } } } }')).vehicles.nodes[0],
    (await onB<any>('{ drivers(first: 1, filter: { assigned: false, status: [ACTIVE] }) { nodes { id version } } }')).drivers.nodes[0],
    (await onB<any>('{ facilities(first: 1) { nodes { id version } } }')).facilities.nodes[0]
  ]
  const read = {
    vehicle: async () => (await onB<any>('query ($id: ID!) { vehicle(id: $id) { name status version } }', { id: vehicle.id })).vehicle,
    driver: async () => (await onB<any>('query ($id: ID!) { driver(id: $id) { name version } }', { id: driver.id })).driver,
    facility: async () => (await onB<any>('query ($id: ID!) { facility(id: $id) { name version } }', { id: facility.id })).facility,
    assignment: async (id: string) => (await onB<any>('query ($id: ID!) { assignment(id: $id) { endsAt version } }', { id })).assignment,
    organization: async () => (await onB<any>('{ me { organization { settings { vinCheckDigitRequired } version } } }')).me.organization
  }
  // Warm B's cache, twice so the second read is a hit.
  for (let i = 0; i < 2; i++) await Promise.all([read.vehicle(), read.driver(), read.facility(), read.assignment(vehicle.currentAssignment.id), read.organization()])

  await onA('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Renamed on A" }) { id } }', { id: vehicle.id, v: vehicle.version })
  t.equal((await read.vehicle()).name, 'Renamed on A', 'vehicle')
  await onA('mutation ($id: ID!, $v: Int!) { updateDriver(id: $id, input: { expectedVersion: $v, name: "Driver renamed on A" }) { id } }', { id: driver.id, v: driver.version })
  t.equal((await read.driver()).name, 'Driver renamed on A', 'driver')
  await onA('mutation ($id: ID!, $v: Int!) { updateFacility(id: $id, input: { expectedVersion: $v, name: "Facility renamed on A" }) { id } }', { id: facility.id, v: facility.version })
  t.equal((await read.facility()).name, 'Facility renamed on A', 'facility')
  const org = await read.organization()
  await onA('mutation ($v: Int!) { updateOrganizationSettings(input: { expectedVersion: $v, vinCheckDigitRequired: false }) { version } }', { v: org.version })
  t.equal((await read.organization()).settings.vinCheckDigitRequired, false, 'organization settings')

  const assignmentId = vehicle.currentAssignment.id as string
  t.equal((await read.assignment(assignmentId)).endsAt, null)
  const v = (await read.vehicle()).version
  await onA('mutation ($id: ID!) { retireVehicle(id: $id) { status } }', { id: vehicle.id })
  t.equal((await read.vehicle()).status, 'RETIRED', 'retired vehicle')
  t.not((await read.assignment(assignmentId)).endsAt, null, 'the assignment retiring ended, too')
  t.ok((await read.vehicle()).version > v)

  const upcoming = (await onA<any>('mutation ($v: ID!, $d: ID!, $s: DateTime!) { assignDriver(input: { vehicleId: $v, driverId: $d, startsAt: $s }) { id } }',
    { v: (await onB<any>('{ vehicles(first: 1, filter: { assigned: false, status: [ACTIVE] }) { nodes { id } } }')).vehicles.nodes[0].id, d: driver.id, s: new Date(Date.now() + 86_400_000).toISOString() })).assignDriver.id
  t.ok(await read.assignment(upcoming), 'B sees the new assignment')
  t.ok(await read.assignment(upcoming), 'and caches it')
  await onA('mutation ($id: ID!) { cancelAssignment(id: $id) }', { id: upcoming })
  t.equal(await read.assignment(upcoming), null, 'cancelled assignment')
})

async function everythingWorks (t: Test, app: TestApp, token: string, label: string): Promise<void> {
  const response = await app.gql(EVERYTHING, {}, token)
  t.same(codes(response), [], `${label}: no error reaches the client`)
  t.equal(response.data?.vehicles.nodes.length, 20, `${label}: data served`)
}

void t.test('Redis stopped, hung, black-holed and restarted empty: clients never notice', { timeout: 120_000 }, async (t) => {
  const redis = await privateRedis(t)
  const proxy = await tcpProxy(t, redis.port)
  const database = await demoDatabase(t)
  // The production command timeout: how long a sick Redis may hold a request up.
  const app = await buildTestApp(t, { database, env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, HEALTH_CACHE_MS: '0', REDIS_COMMAND_TIMEOUT_MS: '50' } })
  const token = await app.login('fleet_manager@fleet.example')
  const redisHealth = async () => (await app.app.inject('/health')).json()
  await everythingWorks(t, app, token, 'healthy')
  await everythingWorks(t, app, token, 'healthy, warm')
  // With the production 50 ms command timeout, one ping on a busy machine can miss it: the steady state counts.
  let health: Record<string, any> = {}
  await waitFor(async () => (health = await redisHealth()).status === 'healthy')
  t.match(health, { status: 'healthy', checks: { redis: { status: 'ok' } } })

  await redis.stop()
  await everythingWorks(t, app, token, 'Redis stopped')
  t.match(await redisHealth(), { status: 'degraded', checks: { redis: { status: 'down' } } }, 'health: Redis down, service degraded')
  await redis.start()
  await waitFor(async () => (await redisHealth()).checks.redis.status === 'ok')
  await everythingWorks(t, app, token, 'Redis back')
  const hitsBefore = hits((await app.app.inject('/health/metrics')).body, 'vehicles')
  await everythingWorks(t, app, token, 'Redis back, warm again')
  t.ok(hits((await app.app.inject('/health/metrics')).body, 'vehicles') > hitsBefore, 'the cache is used again, without a restart')

  await redis.pause(1500)
  await everythingWorks(t, app, token, 'Redis hung (CLIENT PAUSE)')
  t.equal((await redisHealth()).checks.redis.status, 'down', 'a hung Redis is down')
  await new Promise((resolve) => setTimeout(resolve, 1600))

  proxy.blackhole()
  await everythingWorks(t, app, token, 'Redis black-holed')
  t.equal((await redisHealth()).checks.redis.status, 'down')
  proxy.restore()
  proxy.reset()
  await waitFor(async () => (await redisHealth()).checks.redis.status === 'ok')
  await everythingWorks(t, app, token, 'after the black hole')

  // Flapping: up and down while requests keep coming.
  for (let round = 0; round < 3; round++) {
    await redis.stop()
    await everythingWorks(t, app, token, `flap ${round}: down`)
    await redis.start()
    await everythingWorks(t, app, token, `flap ${round}: up`)
  }
})

void t.test('a Redis that comes back empty never serves a stale row', { timeout: 60_000 }, async (t) => {
  const redis = await privateRedis(t)
  const database = await demoDatabase(t)
  const app = await buildTestApp(t, { database, env: { REDIS_URL: redis.url } })
  const manager = await app.login('fleet_manager@fleet.example')
  const on = dataFetcher(app.gql, manager)
  const vehicle = (await on<any>('{ vehicles(first: 1) { nodes { id version name } } }')).vehicles.nodes[0]
  const read = async () => (await on<any>('query ($id: ID!) { vehicle(id: $id) { name } }', { id: vehicle.id })).vehicle.name
  await read()
  t.equal(await read(), vehicle.name, 'cached')

  await redis.stop()
  await on('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Changed while Redis was away" }) { id } }', { id: vehicle.id, v: vehicle.version })
  t.equal(await read(), 'Changed while Redis was away', 'while Redis is down: from PostgreSQL')
  await redis.start()
  await waitFor(async () => (await app.app.inject('/health')).json().checks.redis.status === 'ok')
  t.equal(await read(), 'Changed while Redis was away', 'after the restart: the new row, never the old one')
  t.equal(await read(), 'Changed while Redis was away', 'and again, from the refilled cache')
})

async function waitFor (condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('condition not met in time')
}
