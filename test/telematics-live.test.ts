import t from 'tap'
import { buildTestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { drive, last, offset, type Point } from './helpers/drive.js'
import { ok } from './helpers/graphql.js'
import { privateRedis } from './helpers/redis.js'
import { type SubscriptionClient, subscribe } from './helpers/websocket.js'

// The whole path, across replicas: fixes arriving at replica B by all three doors (an OsmAnd
// phone tracker, an NDJSON batch, recordPositions) land in PostgreSQL, show up in lastPosition,
// history, trips and geofence crossings, and reach subscribers connected to replica A through
// Redis, throttled per vehicle.

const HOME: Point = { latitude: 51.5072, longitude: -0.1276 }
const MINUTE = 60_000
const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

void t.test('three doors on replica B, subscribers on replica A', { skip: usingPostgres ? false : 'two replicas need one shared PostgreSQL database' }, async (t) => {
  const database = await demoDatabase(t)
  const redis = process.env.REDIS_URL === undefined ? undefined : await privateRedis(t)
  const env = { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0', POSITION_PUBLISH_INTERVAL_MS: '400', ...(redis === undefined ? {} : { REDIS_URL: redis.url }) }
  const a = await buildTestApp(t, { database, env })
  const b = await buildTestApp(t, { database, env })
  const manager = await b.login('fleet_manager@fleet.example')
  const [vehicle, bystander] = ok(await b.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .filter((v: any) => v.lastPosition === null).map((v: any) => v.id as string)
  const token = ok(await b.gql<any>('mutation ($v: ID!) { issueDeviceToken(vehicleId: $v) { token } }', { v: vehicle }, manager)).issueDeviceToken.token as string
  ok(await b.gql('mutation ($v: ID!, $ver: Int!) { updateVehicle(id: $v, input: { expectedVersion: $ver, speedLimit: 50 }) { id } }',
    { v: vehicle, ver: ok(await b.gql<any>('query ($v: ID!) { vehicle(id: $v) { version } }', { v: vehicle }, manager)).vehicle.version }, manager))
  ok(await b.gql('mutation ($input: CreateGeofenceInput!) { createGeofence(input: $input) { id } }', {
    input: { name: 'Customer site', shape: 'CIRCLE', center: offset(HOME, 90, 4800), radius: 300, dwellTime: 20, margin: 20, alertOnEnter: true }
  }, manager))

  const url = `${(await a.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
  const listen = async (query: string, as: string): Promise<SubscriptionClient> => {
    const client = await subscribe(t, url, `Bearer ${as}`, query)
    if ('refused' in client) throw new Error(`refused: ${client.refused}`)
    return client
  }
  const viewer = await a.login('viewer@fleet.example')
  const positions = await listen(`subscription { vehiclePositionUpdated(vehicleIds: ["${vehicle}"]) { vehicle { id } position { recordedAt latitude longitude speed } } }`, viewer)
  const everything = await listen('subscription { vehiclePositionUpdated { vehicle { id } position { recordedAt } } }', viewer)
  const alerts = await listen('subscription { alertRaised { kind vehicle { id } geofence { name } } }', await a.login('dispatcher@fleet.example'))
  const otherOrganization = await listen('subscription { vehiclePositionUpdated { vehicle { id } } }', await a.login('viewer@other.example'))

  // 1. A phone tracker: OsmAnd, speed in knots.
  const start = new Date(Date.now() - 40 * MINUTE)
  const osmand = await b.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&lat=${HOME.latitude}&lon=${HOME.longitude}&timestamp=${start.getTime() / 1000}&speed=0&batt=90` })
  t.equal(osmand.statusCode, 200)
  const [first] = await positions.waitFor(1)
  t.match(first.data.vehiclePositionUpdated, { vehicle: { id: vehicle }, position: { recordedAt: start.toISOString(), latitude: HOME.latitude, speed: 0 } }, 'the OsmAnd fix reached replica A\'s subscriber')

  // 2. An NDJSON batch: 5 minutes east at 60 km/h (above the limit), into the customer site.
  const east = drive(HOME, { from: new Date(start.getTime() + 10_000), count: 30, stepSeconds: 10, speedKmh: 60, bearing: 90 })
  const ndjson = await b.app.inject({
    method: 'POST',
    url: '/ingest/positions',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    payload: east.map((f) => JSON.stringify(f)).join('\n')
  })
  t.same(ndjson.json(), { accepted: 30, duplicates: 0, rejected: [] })
  await positions.waitFor(2)
  t.equal(last<any>(positions.events).data.vehiclePositionUpdated.position.recordedAt, last(east).recordedAt, 'a batch is one update: its latest fix')

  // 3. recordPositions: parked at the site with the engine off, 6 minutes later.
  const site = last(east)
  const parked = drive(site, { from: new Date(Date.parse(site.recordedAt) + 6 * MINUTE), count: 3, stepSeconds: 10, speedKmh: 0, bearing: 0, ignition: false })
  t.match(ok(await b.gql<any>('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', { input: parked.map((f) => ({ ...f, vehicleId: vehicle })) }, manager)).recordPositions, { accepted: 3 })
  const recordedAt = (event: any): string => event.data.vehiclePositionUpdated.position.recordedAt
  await positions.waitForEvent((event) => recordedAt(event) === last(parked).recordedAt) // the throttle's trailing send
  t.equal(recordedAt(last(positions.events)), last(parked).recordedAt, 'the latest fix always arrives, and last')

  // What replica A reads back.
  const seen = ok(await a.gql<any>(`query ($id: ID!, $from: DateTime!, $to: DateTime!) { vehicle(id: $id) {
    lastPosition { recordedAt ignition }
    positions(from: $from, to: $to) { totalCount }
    trips(from: $from, to: $to) { nodes { startedAt endedAt distance maxSpeed } }
  } geofenceEvents(filter: { vehicleIds: [$id] }) { nodes { kind geofence { name } } } }`, { id: vehicle, from: start.toISOString(), to: new Date().toISOString() }, await a.login('fleet_manager@fleet.example')))
  t.match(seen.vehicle.lastPosition, { recordedAt: last(parked).recordedAt, ignition: false })
  t.equal(seen.vehicle.positions.totalCount, 34, 'every fix from every door, once')
  t.equal(seen.vehicle.trips.nodes.length, 1)
  t.match(seen.vehicle.trips.nodes[0], { startedAt: start.toISOString(), endedAt: last(east).recordedAt, maxSpeed: 60 })
  t.ok(Math.abs(seen.vehicle.trips.nodes[0].distance - 4.83) < 0.1, `trip distance ${seen.vehicle.trips.nodes[0].distance} km`)
  t.same(seen.geofenceEvents.nodes.map((e: any) => [e.kind, e.geofence.name]), [['ENTER', 'Customer site']])

  const raised = await alerts.waitFor(2)
  t.same(raised.map((e: any) => e.data.alertRaised.kind).sort(), ['GEOFENCE_ENTER', 'SPEEDING'], 'alerts raised on B reach A')
  t.ok(raised.every((e: any) => e.data.alertRaised.vehicle.id === vehicle))

  // Throttling: a chatty tracker, 8 fixes in a burst, is at most a couple of messages.
  const before = positions.events.length
  const burstStart = Date.parse(last(parked).recordedAt) + MINUTE
  const sending = Date.now()
  for (let i = 0; i < 8; i++) {
    const at = (burstStart + i * 1000) / 1000
    t.equal((await b.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&lat=${site.latitude}&lon=${site.longitude}&timestamp=${at}&speed=0` })).statusCode, 200)
  }
  // At most one message per 400 ms interval the burst spanned, plus the trailing one.
  const allowed = 2 + Math.floor((Date.now() - sending) / 400)
  await positions.waitForEvent((event) => recordedAt(event) === new Date(burstStart + 7000).toISOString())
  await sleep(600) // nothing more comes after the newest fix
  const burst = positions.events.slice(before)
  t.ok(burst.length >= 1 && burst.length <= allowed, `${burst.length} messages for 8 fixes (at most ${allowed} for the time they took)`)
  t.equal(recordedAt(last(burst)), new Date(burstStart + 7000).toISOString(), 'the last one is the newest fix')

  // Filters: the vehicleIds filter, and organizations.
  ok(await b.gql('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', { input: [{ vehicleId: bystander, ...HOME, recordedAt: new Date().toISOString() }] }, manager))
  t.ok(await everything.waitForEvent((e: any) => e.data.vehiclePositionUpdated.vehicle.id === bystander), 'the unfiltered subscriber hears of the other vehicle')
  await sleep(600) // time for a wrongly delivered event to arrive
  t.notOk(positions.events.some((e: any) => e.data.vehiclePositionUpdated.vehicle.id === bystander), 'the filtered one does not')
  t.same(otherOrganization.events, [], 'another organization hears nothing')
})

void t.test('a DRIVER hears only of the vehicle they drive', async (t) => {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0', POSITION_PUBLISH_INTERVAL_MS: '0' } })
  const driver = await app.login('driver@fleet.example')
  const own = ok(await app.gql<any>('{ vehicles(first: 5) { nodes { id } } }', {}, driver)).vehicles.nodes[0]?.id as string | undefined
  t.ok(own, 'the demo driver has a vehicle')
  const manager = await app.login('fleet_manager@fleet.example')
  const other = ok(await app.gql<any>('{ vehicles(first: 5, filter: { status: [ACTIVE] }) { nodes { id } } }', {}, manager)).vehicles.nodes.find((v: any) => v.id !== own).id as string
  const url = `${(await app.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
  const client = await subscribe(t, url, `Bearer ${driver}`, 'subscription { vehiclePositionUpdated { vehicle { id } } }')
  if ('refused' in client) throw new Error('refused')
  const at = new Date(Date.now() - 1000).toISOString()
  ok(await app.gql('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', { input: [{ vehicleId: other, ...HOME, recordedAt: at }, { vehicleId: own, ...HOME, recordedAt: at }] }, manager))
  await client.waitFor(1)
  await sleep(300)
  t.same(client.events.map((e: any) => e.data.vehiclePositionUpdated.vehicle.id), [own])
  t.match(ok(await app.gql<any>('query ($id: ID!) { vehicle(id: $id) { lastPosition { latitude } } }', { id: own }, driver)).vehicle, { lastPosition: { latitude: HOME.latitude } }, 'and reads its last position')
})
