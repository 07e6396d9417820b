import pg from 'pg'
import t from 'tap'
import { buildTestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { drive, last, type Point } from './helpers/drive.js'
import { ok } from './helpers/graphql.js'
import { runScript } from './helpers/process.js'

// The telematics maintenance job: trips of trackers that fell silent are closed by the service's
// own timer; partitions are created ahead and dropped past the retention, by the timer or by
// `npm run ops -- telematics-maintenance`.

const HOME: Point = { latitude: 48.8566, longitude: 2.3522 }
const MINUTE = 60_000
const DAY = 86_400_000
const RECORD = 'mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted rejected { index code } } }'
const HISTORY = 'query ($id: ID!, $from: DateTime!, $to: DateTime!) { vehicle(id: $id) { positions(from: $from, to: $to) { totalCount } trips(from: $from, to: $to) { nodes { inProgress endedAt distance } } } }'

void t.test('the service closes the trip of a tracker that fell silent mid-trip', async (t) => {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '1', TRIP_STOP_SECONDS: '60' } })
  const manager = await app.login('fleet_manager@fleet.example')
  const vehicleId = ok(await app.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .find((v: any) => v.lastPosition === null).id as string
  // Driving until 5 minutes ago, then nothing: no stop, no ignition off.
  const fixes = drive(HOME, { from: new Date(Date.now() - 10 * MINUTE), count: 30, stepSeconds: 10, speedKmh: 50, bearing: 10 })
  t.equal(ok(await app.gql<any>(RECORD, { input: fixes.map((f) => ({ ...f, vehicleId })) }, manager)).recordPositions.accepted, 30)
  const range = { id: vehicleId, from: new Date(Date.now() - DAY).toISOString(), to: new Date().toISOString() }
  let trips: any[] = []
  for (let i = 0; i < 50; i++) {
    trips = ok(await app.gql<any>(HISTORY, range, manager)).vehicle.trips.nodes
    if (trips[0]?.inProgress === false) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  t.equal(trips.length, 1)
  t.match(trips[0], { inProgress: false, endedAt: last(fixes).recordedAt }, 'ended at the last fix in motion')
  t.ok(trips[0].distance > 3.5, `distance kept (${trips[0].distance} km)`)

  // The vehicle drives again: a new trip, not the old one reopened.
  const again = drive(HOME, { from: new Date(Date.now() - MINUTE), count: 5, stepSeconds: 10, speedKmh: 50, bearing: 190 })
  ok(await app.gql(RECORD, { input: again.map((f) => ({ ...f, vehicleId })) }, manager))
  const after = ok(await app.gql<any>(HISTORY, { ...range, to: new Date().toISOString() }, manager)).vehicle.trips.nodes
  t.same(after.map((trip: any) => trip.inProgress), [true, false])
  const stops = ok(await app.gql<any>('query ($id: ID!) { vehicle(id: $id) { stops { nodes { startedAt endedAt trip { id } } } } }', { id: vehicleId }, manager)).vehicle.stops.nodes
  t.same(stops.map((stop: any) => [stop.startedAt, stop.endedAt]), [[last(fixes).recordedAt, again[0]?.recordedAt]], 'the stop between the two trips')
})

void t.test('a tracker uploading late, in chunks, is not silent: the trip closed for silence resumes', async (t) => {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '1', TRIP_STOP_SECONDS: '60' } })
  const manager = await app.login('fleet_manager@fleet.example')
  const vehicleId = ok(await app.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .find((v: any) => v.lastPosition === null).id as string
  const TRIPS = 'query ($id: ID!, $from: DateTime!, $to: DateTime!) { vehicle(id: $id) { trips(from: $from, to: $to) { nodes { id inProgress startedAt endedAt distance positionCount } } } }'
  const range = { id: vehicleId, from: new Date(Date.now() - DAY).toISOString(), to: new Date(Date.now() + DAY).toISOString() }
  const closed = async (): Promise<any[]> => {
    for (let i = 0; i < 50; i++) {
      const trips = ok(await app.gql<any>(TRIPS, range, manager)).vehicle.trips.nodes
      if (trips.length > 0 && trips.every((trip: any) => trip.inProgress === false)) return trips
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error('the sweep never closed the trip')
  }
  // One drive, 6 minutes, uploaded in two chunks that each arrive more than a stop (60 s) late.
  const all = drive(HOME, { from: new Date(Date.now() - 10 * MINUTE), count: 36, stepSeconds: 10, speedKmh: 50, bearing: 10 })
  ok(await app.gql(RECORD, { input: all.slice(0, 18).map((f) => ({ ...f, vehicleId })) }, manager))
  const [first] = await closed()
  t.match(first, { endedAt: all[17]?.recordedAt }, 'the sweep closed it at the first chunk\'s last fix')
  ok(await app.gql(RECORD, { input: all.slice(18).map((f) => ({ ...f, vehicleId })) }, manager))
  const trips = await closed()
  t.equal(trips.length, 1, 'still one trip')
  t.match(trips[0], { id: first.id, startedAt: all[0]?.recordedAt, endedAt: last(all).recordedAt, positionCount: 36 }, 'the same trip, resumed and closed again at the end of the drive')
  t.ok(trips[0].distance > first.distance * 1.8, `its distance covers both chunks (${first.distance} then ${trips[0].distance} km)`)
})

void t.test('partitions ahead and retention: npm run ops -- telematics-maintenance', async (t) => {
  const database = await demoDatabase(t)
  const app = await buildTestApp(t, { database, env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0' } })
  const manager = await app.login('fleet_manager@fleet.example')
  const vehicleId = ok(await app.gql<any>('{ vehicles(first: 1, filter: { status: [ACTIVE] }) { nodes { id } } }', {}, manager)).vehicles.nodes[0].id as string
  const old = new Date(Date.now() - 20 * DAY)
  const recent = new Date(Date.now() - MINUTE)
  t.equal(ok(await app.gql<any>(RECORD, { input: [old, recent].map((at) => ({ vehicleId, ...HOME, recordedAt: at.toISOString() })) }, manager)).recordPositions.accepted, 2,
    'a fix 20 days old gets a partition of its own on demand')
  const count = async (from: Date, to: Date): Promise<number> =>
    ok(await app.gql<any>(HISTORY, { id: vehicleId, from: from.toISOString(), to: to.toISOString() }, manager)).vehicle.positions.totalCount
  t.equal(await count(new Date(old.getTime() - MINUTE), new Date(old.getTime() + MINUTE)), 1)

  if (!usingPostgres || database.kind !== 'postgres') {
    t.comment('the maintenance command runs as its own process against a PostgreSQL server (CI sets DATABASE_URL)')
    return
  }
  const day = (at: Date): string => at.toISOString().slice(0, 10).replaceAll('-', '')
  const run = await runScript('src/cli/ops.ts', ['telematics-maintenance'], { env: { DATABASE_URL: database.url, POSITION_RETENTION_DAYS: '10', POSITION_PARTITIONS_AHEAD_DAYS: '3' } })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, new RegExp(`created: .*positions_p${day(new Date(Date.now() + 3 * DAY))}`), 'partitions created ahead')
  t.match(run.stdout, new RegExp(`dropped \\(older than 10 days\\): .*positions_p${day(old)}`), 'the 20-day-old partition dropped')
  t.equal(await count(new Date(old.getTime() - MINUTE), new Date(old.getTime() + MINUTE)), 0, 'its fix is gone')
  t.equal(await count(new Date(recent.getTime() - MINUTE), new Date()), 1, 'recent fixes stay')
  const rejected = ok(await app.gql<any>(RECORD, { input: [{ vehicleId, ...HOME, recordedAt: new Date(Date.now() - 400 * DAY).toISOString() }] }, manager)).recordPositions
  t.same(rejected.rejected, [{ index: 0, code: 'TIMESTAMP_TOO_OLD' }], 'fixes older than the retention are refused at the door')

  const twice = await runScript('src/cli/ops.ts', ['telematics-maintenance'], { env: { DATABASE_URL: database.url, POSITION_RETENTION_DAYS: '10', POSITION_PARTITIONS_AHEAD_DAYS: '3' } })
  t.match(twice.stdout, /created: none; dropped \(older than 10 days\): none/, 'a second run has nothing to do')
  t.not((await runScript('src/cli/ops.ts', ['telematics-maintenance', 'now'], { env: { DATABASE_URL: database.url } })).code, 0, 'unexpected arguments are refused')
})

void t.test('a late fix\'s partition is attached without waiting for queries that are reading positions', { skip: usingPostgres ? false : 'needs PostgreSQL (locks between sessions)' }, async (t) => {
  const database = await demoDatabase(t)
  if (database.kind !== 'postgres') throw new Error('expected PostgreSQL')
  const app = await buildTestApp(t, { database, env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0' } })
  const manager = await app.login('fleet_manager@fleet.example')
  const vehicleId = ok(await app.gql<any>('{ vehicles(first: 1, filter: { status: [ACTIVE] }) { nodes { id } } }', {}, manager)).vehicles.nodes[0].id as string
  // A long report is reading positions (its ACCESS SHARE lock held until it commits).
  const reader = new pg.Client({ connectionString: database.url })
  await reader.connect()
  t.teardown(async () => { await reader.end() })
  await reader.query('begin')
  await reader.query('lock table positions in access share mode')
  const late = new Date(Date.now() - 23 * DAY)
  const stored = app.gql<any>(RECORD, { input: [{ vehicleId, ...HOME, recordedAt: late.toISOString() }] }, manager)
  const outcome = await Promise.race([stored.then(() => 'stored'), new Promise((resolve) => setTimeout(() => { resolve('waiting') }, 10_000))])
  await reader.query('commit')
  t.equal(outcome, 'stored', 'the fix of a day without a partition is stored while the report still runs')
  t.equal(ok(await stored).recordPositions.accepted, 1)
})
