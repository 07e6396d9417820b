import t, { type Test } from 'tap'
import { buildTestApp, codes, type TestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { drive, last, offset, type Point } from './helpers/drive.js'
import { ok } from './helpers/graphql.js'

// Telematics through its three doors (the OsmAnd protocol, the JSON/NDJSON device endpoint and
// recordPositions), and what the fixes become: the latest position, history, trips, odometer.

const HOME: Point = { latitude: 39.9612, longitude: -82.9988 }
const MINUTE = 60_000
const DAY = 86_400_000

const ISSUE = 'mutation ($v: ID!) { issueDeviceToken(vehicleId: $v) { token issuedAt vehicle { id } } }'
const RECORD = 'mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted duplicates rejected { index code message } } }'
const VEHICLE = `query ($id: ID!, $from: DateTime!, $to: DateTime!, $max: Int, $first: Int, $after: String) {
  vehicle(id: $id) {
    odometer version
    lastPosition { recordedAt latitude longitude speed knots: speed(unit: KNOTS) heading altitude accuracy ignition battery odometer attributes }
    positions(from: $from, to: $to, maxPoints: $max, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { recordedAt latitude longitude speed odometer }
    }
    trips(from: $from, to: $to) { totalCount nodes { id startedAt endedAt inProgress distance duration movingTime idleTime maxSpeed averageSpeed positionCount driver { id } } }
  }
}`

interface Setup extends TestApp {
  manager: string
  vehicleIds: string[]
  otherVehicleId: string
  token: (vehicleId: string) => Promise<string>
  post: (path: string, token: string | undefined, body: unknown, contentType?: string) => Promise<{ status: number, json: any, headers: Record<string, unknown> }>
  vehicle: (id: string, from: Date, to: Date, extra?: Record<string, unknown>) => Promise<any>
}

async function setup (t: Test, env: Record<string, string> = {}): Promise<Setup> {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0', POSITION_PUBLISH_INTERVAL_MS: '0', ...env } })
  const manager = await app.login('fleet_manager@fleet.example')
  // Vehicles the demo's tracks (db/seeds/telematics.ts) left alone: no fix yet.
  const vehicleIds = ok(await app.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .filter((v: { lastPosition: unknown }) => v.lastPosition === null).slice(0, 5).map((v: { id: string }) => v.id)
  const otherManager = await app.login('fleet_manager@other.example')
  const otherVehicleId = ok(await app.gql<any>('{ vehicles(first: 1) { nodes { id } } }', {}, otherManager)).vehicles.nodes[0].id
  return {
    ...app,
    manager,
    vehicleIds,
    otherVehicleId,
    token: async (vehicleId) => ok(await app.gql<any>(ISSUE, { v: vehicleId }, manager)).issueDeviceToken.token,
    post: async (path, token, body, contentType = 'application/json') => {
      const response = await app.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': contentType, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        payload: typeof body === 'string' ? body : JSON.stringify(body)
      })
      return { status: response.statusCode, json: response.body === '' ? null : response.json(), headers: response.headers }
    },
    vehicle: async (id, from, to, extra = {}) => ok(await app.gql<any>(VEHICLE, { id, from: from.toISOString(), to: to.toISOString(), ...extra }, manager)).vehicle
  }
}

void t.test('a phone tracker speaking OsmAnd: GET and POST, knots, Unix time, attributes', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const token = await s.token(vehicleId)
  const at = Math.floor((Date.now() - 5 * MINUTE) / 1000)
  const get = await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&lat=39.96&lon=-82.99&timestamp=${at}&speed=10&bearing=90&altitude=250&accuracy=8&batt=76&hdop=0.9` })
  t.equal(get.statusCode, 200, 'stored')
  t.equal(get.body, '', 'Traccar Client wants an empty 200')
  const before = await s.vehicle(vehicleId, new Date(at * 1000 - MINUTE), new Date())
  t.match(before.lastPosition, {
    recordedAt: new Date(at * 1000).toISOString(), latitude: 39.96, longitude: -82.99, speed: 18.5, knots: 10, heading: 90, altitude: 250, accuracy: 8, battery: 76
  }, 'speed arrives in knots and is stored in km/h')
  t.same(before.lastPosition.attributes, { hdop: 0.9 }, 'the latest fix carries its attributes')
  t.same(before.positions.nodes.length, 1)

  // Form-encoded POST, ISO time, and Traccar Client's JSON body.
  const form = await s.app.inject({
    method: 'POST',
    url: '/ingest/osmand',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ id: token, lat: '39.961', lon: '-82.991', timestamp: new Date(at * 1000 + 10_000).toISOString(), speed: '0', charge: 'true' }).toString()
  })
  t.equal(form.statusCode, 200, 'form POST stored')
  const json = await s.post('/ingest/osmand', undefined, {
    device_id: token,
    location: { timestamp: new Date(at * 1000 + 20_000).toISOString(), coords: { latitude: 39.962, longitude: -82.992, speed: 5, heading: 180, altitude: 251, accuracy: 4 }, battery: { level: 0.75 }, is_moving: true }
  })
  t.equal(json.status, 200, 'Traccar Client JSON stored')
  const after = await s.vehicle(vehicleId, new Date(at * 1000 - MINUTE), new Date())
  t.match(after.lastPosition, { latitude: 39.962, speed: 18, heading: 180, battery: 75 }, 'JSON speed is m/s')
  t.equal(after.positions.totalCount, 3)

  // What OsmAnd carries beyond the columns is kept as attributes of the stored fix, typed as Traccar types it.
  const history = ok(await s.gql<any>('query ($id: ID!, $f: DateTime!, $t: DateTime!) { vehicle(id: $id) { positions(from: $f, to: $t) { nodes { attributes } } } }',
    { id: vehicleId, f: new Date(at * 1000 - MINUTE).toISOString(), t: new Date().toISOString() }, s.manager)).vehicle.positions.nodes
  t.same(history.map((p: any) => p.attributes), [{ hdop: 0.9 }, { charge: true }, { motion: true }])

  t.equal((await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&lat=39.96&lon=-82.99&timestamp=${at}` })).statusCode, 200, 'a repeat is acknowledged (and not stored twice)')
  t.equal((await s.vehicle(vehicleId, new Date(at * 1000 - MINUTE), new Date())).positions.totalCount, 3)

  const bad = await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&lat=99&lon=-82.99&timestamp=${at}` })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { error: { code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE', message: /latitude/ } })
  const unknown = await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=fdt_nope&lat=39&lon=-82&timestamp=${at}` })
  t.equal(unknown.statusCode, 401)
  t.match(unknown.json(), { error: { code: 'UNAUTHENTICATED' } })
  t.equal((await s.app.inject({ method: 'GET', url: `/ingest/osmand?lat=39&lon=-82&timestamp=${at}` })).statusCode, 401, 'no id')
  const metrics = (await s.app.inject({ method: 'GET', url: '/health/metrics' })).body
  t.match(metrics, /fleet_api_positions_ingested_total\{source="osmand",result="accepted"\} 3\n/, 'counted: accepted')
  t.match(metrics, /fleet_api_positions_ingested_total\{source="osmand",result="duplicate"\} 1\n/, 'counted: duplicate')
  t.match(metrics, /fleet_api_positions_ingested_total\{source="osmand",result="rejected"\} 1\n/, 'counted: rejected')
})

void t.test('device endpoint: JSON and NDJSON batches, per-row rejections, idempotency, token rotation', async (t) => {
  const s = await setup(t)
  const [vehicleId, otherOwnVehicle] = s.vehicleIds as [string, string]
  const token = await s.token(vehicleId)
  const from = new Date(Date.now() - 30 * MINUTE)
  const fixes = drive(HOME, { from, count: 30, stepSeconds: 10, speedKmh: 36, bearing: 0 })

  const ndjson = fixes.slice(0, 20).map((f) => JSON.stringify(f)).join('\n') + '\n{not json\n'
  const first = await s.post('/ingest/positions', token, ndjson, 'application/x-ndjson')
  t.equal(first.status, 200)
  t.same(first.json, { accepted: 20, duplicates: 0, rejected: [{ index: 20, code: 'INVALID_VALUE', message: 'Each position must be a JSON object' }] }, 'a bad line is rejected alone')

  const batch = [
    ...fixes.slice(15, 30), // 15..19 again: duplicates
    { ...fixes[29], recordedAt: new Date(Date.now() + 3_600_000).toISOString() }, // 15: future
    { ...fixes[29], latitude: 91 }, // 16
    { ...fixes[29], vehicleId: otherOwnVehicle }, // 17: not this device's vehicle
    { ...fixes[29], recordedAt: 'yesterday' }, // 18
    { ...fixes[29], recordedAt: new Date(Date.now() - 400 * 86_400_000).toISOString() }, // 19: past retention
    { ...fixes[29], speed: 'fast' }, // 20
    { ...fixes[29], attributes: [1, 2] }, // 21
    7 // 22
  ]
  const second = await s.post('/ingest/positions', token, batch)
  t.equal(second.status, 200)
  t.equal(second.json.accepted, 10)
  t.equal(second.json.duplicates, 5)
  t.same(second.json.rejected.map((r: any) => [r.index, r.code]), [
    [15, 'TIMESTAMP_IN_FUTURE'], [16, 'OUT_OF_RANGE'], [17, 'UNKNOWN_VEHICLE'], [18, 'INVALID_VALUE'], [19, 'TIMESTAMP_TOO_OLD'], [20, 'INVALID_VALUE'], [21, 'INVALID_VALUE'], [22, 'INVALID_VALUE']
  ])
  const v = await s.vehicle(vehicleId, from, new Date())
  t.equal(v.positions.totalCount, 30, 'each fix stored once')
  t.equal(v.lastPosition.recordedAt, last(fixes).recordedAt)

  t.match(await s.post('/ingest/positions', token, { nope: true }), { status: 200, json: { accepted: 0, rejected: [{ index: 0, code: 'INVALID_VALUE' }] } }, 'one object is a batch of one')
  t.match(await s.post('/ingest/positions', token, '"text"'), { status: 400, json: { error: { code: 'BAD_USER_INPUT' } } })
  t.match(await s.post('/ingest/positions', token, '[{"latitude": '), { status: 400, json: { error: { code: 'BAD_USER_INPUT' } } }, 'malformed JSON')
  t.match(await s.post('/ingest/positions', token, 'lat=1', 'text/csv'), { status: 415, json: { error: { code: 'BAD_USER_INPUT' } } }, 'a content type the door does not speak')
  t.match(await s.post('/ingest/positions', token, JSON.stringify(Array.from({ length: 20_000 }, () => fixes[0]))), { status: 413, json: { error: { code: 'BAD_USER_INPUT' } } }, 'a body over BODY_LIMIT_BYTES')
  t.match(await s.post('/ingest/positions', undefined, []), { status: 401, json: { error: { code: 'UNAUTHENTICATED' } } })

  const rotated = await s.token(vehicleId)
  t.not(rotated, token)
  t.match(await s.post('/ingest/positions', token, [fixes[0]]), { status: 401 }, 'the previous token stops working at once')
  t.match(await s.post('/ingest/positions', rotated, [fixes[0]]), { status: 200, json: { duplicates: 1 } })
  t.same(ok(await s.gql<any>('mutation ($v: ID!) { revokeDeviceToken(vehicleId: $v) }', { v: vehicleId }, s.manager)), { revokeDeviceToken: true })
  t.match(await s.post('/ingest/positions', rotated, [fixes[0]]), { status: 401 }, 'revoked')
  t.same(ok(await s.gql<any>('mutation ($v: ID!) { revokeDeviceToken(vehicleId: $v) }', { v: vehicleId }, s.manager)), { revokeDeviceToken: false })
  t.same(codes(await s.gql(ISSUE, { v: s.otherVehicleId }, s.manager)), ['NOT_FOUND'], 'another organization\'s vehicle')
})

void t.test('recordPositions: good rows stored, bad rows reported, other organizations\' vehicles unknown', async (t) => {
  const s = await setup(t, { POSITION_BATCH_MAX: '50' })
  const [a, b] = s.vehicleIds as [string, string]
  const from = new Date(Date.now() - 20 * MINUTE)
  const input = [
    ...drive(HOME, { from, count: 5, stepSeconds: 30, speedKmh: 20, bearing: 90 }).map((f) => ({ ...f, vehicleId: a, odometer: 1000 })),
    ...drive(HOME, { from, count: 5, stepSeconds: 30, speedKmh: 20, bearing: 270 }).map((f) => ({ ...f, vehicleId: b, attributes: { fuel: 0.5 } })),
    { vehicleId: s.otherVehicleId, recordedAt: from.toISOString(), latitude: 1, longitude: 1 },
    { vehicleId: a, recordedAt: from.toISOString(), latitude: 1, longitude: 200 },
    { vehicleId: a, recordedAt: from.toISOString(), latitude: 1, longitude: 1, heading: 400 }
  ]
  const result = ok(await s.gql<any>(RECORD, { input }, s.manager)).recordPositions
  t.equal(result.accepted, 10)
  t.same(result.rejected.map((r: any) => [r.index, r.code]), [[10, 'UNKNOWN_VEHICLE'], [11, 'OUT_OF_RANGE'], [12, 'OUT_OF_RANGE']])
  t.equal(ok(await s.gql<any>(RECORD, { input }, s.manager)).recordPositions.duplicates, 10, 'sent twice, stored once')
  t.match((await s.app.inject({ method: 'GET', url: '/health/metrics' })).body, /fleet_api_positions_ingested_total\{source="graphql",result="accepted"\} 10\n/, 'counted')
  t.equal((await s.vehicle(a, from, new Date())).lastPosition.odometer, 1000, 'the device odometer is taken as given')

  t.same(codes(await s.gql(RECORD, { input: Array.from({ length: 51 }, () => input[0]) }, s.manager)), ['BAD_USER_INPUT'], 'POSITION_BATCH_MAX')
  t.same(codes(await s.gql(RECORD, { input }, await s.login('dispatcher@fleet.example'))), ['FORBIDDEN'])
  t.same(codes(await s.gql(RECORD, { input: [{ ...input[0], vehicleId: 'nope' }] }, s.manager)), [], 'a malformed id is a rejection, not an error')
})

void t.test('out-of-order fixes go to history without moving the latest position back', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const from = new Date(Date.now() - 10 * MINUTE)
  const fixes = drive(HOME, { from, count: 6, stepSeconds: 60, speedKmh: 30, bearing: 45 }).map((f) => ({ ...f, vehicleId }))
  ok(await s.gql(RECORD, { input: [fixes[0], fixes[5]] }, s.manager))
  ok(await s.gql(RECORD, { input: [fixes[3], fixes[1], fixes[2], fixes[4]] }, s.manager))
  const v = await s.vehicle(vehicleId, from, new Date())
  t.equal(v.lastPosition.recordedAt, fixes[5]?.recordedAt)
  t.same(v.positions.nodes.map((p: any) => p.recordedAt), fixes.map((f) => f.recordedAt), 'history in time order')
})

void t.test('the latest position carries the attributes of its fix, as the history does', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const from = new Date(Date.now() - 10 * MINUTE)
  const at = (minute: number) => new Date(from.getTime() + minute * MINUTE).toISOString()
  const LATEST = 'query ($id: ID!, $f: DateTime!, $t: DateTime!) { vehicle(id: $id) { lastPosition { recordedAt attributes } positions(from: $f, to: $t) { nodes { recordedAt attributes } } } }'
  const read = async () => ok(await s.gql<any>(LATEST, { id: vehicleId, f: from.toISOString(), t: new Date().toISOString() }, s.manager)).vehicle
  const map = async () => ok(await s.gql<any>('{ fleetPositions { vehicle { id } position { attributes } } }', {}, s.manager)).fleetPositions
    .find((p: any) => p.vehicle.id === vehicleId).position.attributes

  ok(await s.gql(RECORD, { input: [{ vehicleId, ...HOME, recordedAt: at(2), attributes: { rpm: 900, door: 'open' } }] }, s.manager))
  const first = await read()
  t.same(first.lastPosition, { recordedAt: at(2), attributes: { rpm: 900, door: 'open' } }, 'lastPosition has them')
  t.same(first.lastPosition, first.positions.nodes.at(-1), 'the same as that fix in positions()')
  t.same(await map(), { rpm: 900, door: 'open' }, 'and so has the live map')

  // A late fix goes into the history only: the latest keeps its own attributes.
  ok(await s.gql(RECORD, { input: [{ vehicleId, ...HOME, recordedAt: at(1), attributes: { rpm: 1 } }] }, s.manager))
  t.same((await read()).lastPosition.attributes, { rpm: 900, door: 'open' }, 'a late fix does not lend the latest its attributes')
  // A newer fix without attributes: the latest has none, not the previous fix's.
  ok(await s.gql(RECORD, { input: [{ vehicleId, ...HOME, recordedAt: at(3) }] }, s.manager))
  const last = await read()
  t.same(last.lastPosition, { recordedAt: at(3), attributes: null }, 'a newer fix without attributes replaces them')
  t.same(last.positions.nodes.map((p: any) => p.attributes), [{ rpm: 1 }, { rpm: 900, door: 'open' }, null], 'the history keeps each fix\'s own')
})

void t.test('a drive: trip, odometer, history pages and simplification', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const token = await s.token(vehicleId)
  const start = new Date(Date.now() - 60 * MINUTE)
  const before = await s.vehicle(vehicleId, start, new Date())
  const driver = ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { currentDriver { id } } }', { id: vehicleId }, s.manager)).vehicle.currentDriver
  t.ok(driver, 'the demo vehicle has a driver')
  // Parked 2 min (ignition off), 20 min at 60 km/h heading east then 10 min north, parked 7 min, ignition off.
  const parked = drive(HOME, { from: start, count: 12, stepSeconds: 10, speedKmh: 0, bearing: 0, ignition: false })
  const east = drive(HOME, { from: new Date(start.getTime() + 2 * MINUTE), count: 120, stepSeconds: 10, speedKmh: 60, bearing: 90 })
  const north = drive(offset(HOME, 90, 20_000), { from: new Date(start.getTime() + 22 * MINUTE), count: 60, stepSeconds: 10, speedKmh: 60, bearing: 0 })
  const end = offset(offset(HOME, 90, 20_000), 0, 10_000)
  const idle = drive(end, { from: new Date(start.getTime() + 32 * MINUTE), count: 42, stepSeconds: 10, speedKmh: 0, bearing: 0 })
  const off = { ...end, recordedAt: new Date(start.getTime() + 39 * MINUTE).toISOString(), speed: 0, ignition: false }
  const all = [...parked, ...east, ...north, ...idle, off]
  for (let i = 0; i < all.length; i += 100) t.equal((await s.post('/ingest/positions', token, all.slice(i, i + 100))).status, 200)

  const v = await s.vehicle(vehicleId, start, new Date(start.getTime() + 40 * MINUTE))
  t.equal(v.trips.totalCount, 1, 'one trip')
  const trip = v.trips.nodes[0]
  t.equal(trip.startedAt, (last(parked)).recordedAt, 'starts at the fix before motion was seen')
  t.equal(trip.inProgress, false)
  t.equal(trip.endedAt, last(north).recordedAt, 'ended when motion stopped (the 5-minute stop), not at ignition off')
  t.ok(Math.abs(trip.distance - 30) < 0.4, `distance ${trip.distance} km, about 30`)
  t.equal(trip.maxSpeed, 60)
  t.ok(Math.abs(trip.averageSpeed - 60) < 1, `average ${trip.averageSpeed}`)
  t.ok(trip.movingTime >= 29 * 60 && trip.movingTime <= 31 * 60, `moving ${trip.movingTime} s`)
  t.ok(trip.idleTime <= 10, `idle while stopped is not part of the trip (${trip.idleTime} s)`)
  t.same(trip.driver, driver, 'the driver assigned when the trip started')

  t.ok(Math.abs(v.odometer - before.odometer - 30) <= 0.5, `odometer advanced by the distance driven: ${before.odometer} -> ${v.odometer}`)
  t.equal(v.version, before.version, 'telemetry does not count as an edit of the vehicle')
  t.ok(Math.abs(v.lastPosition.odometer - v.odometer) < 0.1, 'the latest fix carries the odometer')

  // History: keyset pages, then simplified.
  const range = { from: start, to: new Date(start.getTime() + 40 * MINUTE) }
  const seen: string[] = []
  let after: string | null = null
  for (;;) {
    const page: any = (await s.vehicle(vehicleId, range.from, range.to, { first: 100, after })).positions
    seen.push(...page.nodes.map((p: any) => p.recordedAt))
    if (!page.pageInfo.hasNextPage) break
    after = page.pageInfo.endCursor
  }
  t.same(seen, all.map((f) => f.recordedAt), 'every fix once, in order, across pages')
  const simplified = (await s.vehicle(vehicleId, range.from, range.to, { max: 20 })).positions.nodes
  t.ok(simplified.length <= 20 && simplified.length >= 3, `${simplified.length} points`)
  t.equal(simplified[0].recordedAt, all[0]?.recordedAt, 'first fix kept')
  t.equal(last<any>(simplified).recordedAt, off.recordedAt, 'last fix kept')
  const corner = last(east)
  t.ok(simplified.some((p: any) => Math.abs(p.latitude - corner.latitude) < 0.002 && Math.abs(p.longitude - corner.longitude) < 0.002), 'the corner of the route survives simplification')
  // A month with many fixes per point asked for: sampled by time buckets (a width of a fraction of a
  // millisecond, 30 days of them), then simplified. The fix a month back arrives late: history only.
  const monthAgo = new Date(start.getTime() - 30 * 86_400_000).toISOString()
  t.match(ok(await s.gql<any>(RECORD, { input: [{ vehicleId, ...HOME, recordedAt: monthAgo }] }, s.manager)).recordPositions, { accepted: 1 })
  const month = (await s.vehicle(vehicleId, new Date(start.getTime() - 31 * 86_400_000), range.to, { max: 7 })).positions.nodes
  t.ok(month.length >= 3 && month.length <= 7, `${month.length} points for a month`)
  t.equal(month[0].recordedAt, monthAgo, 'the month starts at its first fix')
  t.equal(last<any>(month).recordedAt, off.recordedAt, 'and ends at its last')
  t.same(codes(await s.gql(VEHICLE, { id: vehicleId, from: range.to.toISOString(), to: range.from.toISOString() }, s.manager)), ['BAD_USER_INPUT', 'BAD_USER_INPUT'], 'to before from (positions and trips)')
  t.same(codes(await s.gql(VEHICLE, { id: vehicleId, from: range.from.toISOString(), to: range.to.toISOString(), max: 1 }, s.manager)), ['BAD_USER_INPUT'], 'maxPoints below 2')

  // The stop at the end of the trip: the vehicle is still there.
  const stops = ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { stops { totalCount nodes { trip { id } startedAt endedAt latitude longitude duration } } } }', { id: vehicleId }, s.manager)).vehicle.stops
  t.equal(stops.totalCount, 1)
  t.match(stops.nodes[0], { trip: { id: trip.id }, startedAt: last(north).recordedAt, endedAt: null })
  t.ok(Math.abs(stops.nodes[0].latitude - end.latitude) < 0.001 && stops.nodes[0].duration >= 20 * 60, `stopped at the end, ${stops.nodes[0].duration} s so far`)

  // Fleet-wide trips, filtered.
  const trips = ok(await s.gql<any>('query ($f: TripFilter) { trips(filter: $f) { totalCount nodes { id vehicle { id } } } }', { f: { vehicleIds: [vehicleId] } }, s.manager)).trips
  t.same(trips.nodes.map((n: any) => n.id), [trip.id])
  t.equal(ok(await s.gql<any>('query ($f: TripFilter) { trips(filter: $f) { totalCount } }', { f: { vehicleIds: [vehicleId], inProgress: true } }, s.manager)).trips.totalCount, 0)
  t.equal(ok(await s.gql<any>('query ($id: ID!) { trip(id: $id) { id distance(unit: MILES) } }', { id: trip.id }, s.manager)).trip.distance, Math.round(trip.distance / 1.609344 * 1000) / 1000)

  // A manager corrects the odometer: telemetry continues from the corrected value. While a trip is
  // under way the vehicle's odometer follows every kilometre; when it ends, exactly.
  const corrected = ok(await s.gql<any>('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, odometer: 500 }) { odometer version } }', { id: vehicleId, v: v.version }, s.manager)).updateVehicle
  t.equal(corrected.odometer, 500)
  const onward = drive(end, { from: new Date(start.getTime() + 45 * MINUTE), count: 91, stepSeconds: 10, speedKmh: 90, bearing: 180 })
  await s.post('/ingest/positions', token, onward.slice(0, 60))
  const during = await s.vehicle(vehicleId, start, new Date())
  t.ok(during.odometer >= 514 && during.odometer <= 515, `during the trip, within a kilometre of the ${during.lastPosition.odometer.toFixed(1)} km driven to: ${during.odometer}`)
  t.equal(during.version, corrected.version, 'and still no new version')
  await s.post('/ingest/positions', token, [...onward.slice(60), { ...last(onward), recordedAt: new Date(start.getTime() + 60 * MINUTE).toISOString(), speed: 0, ignition: false }])
  const parkedAgain = await s.vehicle(vehicleId, start, new Date())
  t.ok(Math.abs(parkedAgain.odometer - 522.5) <= 0.2, `after the trip, exactly: ${parkedAgain.odometer}`)
  t.equal(parkedAgain.odometer, Math.round(parkedAgain.lastPosition.odometer * 10) / 10)
})

void t.test('a parked vehicle\'s GPS drift is neither a trip nor distance', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const from = new Date(Date.now() - 20 * MINUTE)
  const before = await s.vehicle(vehicleId, from, new Date())
  // Ignition on, 10 minutes, fixes jumping up to 15 m around the spot with no reported speed.
  const input = Array.from({ length: 60 }, (_, i) => ({ vehicleId, ...offset(HOME, (i * 137) % 360, 5 + (i % 3) * 5), recordedAt: new Date(from.getTime() + i * 10_000).toISOString(), ignition: true }))
  ok(await s.gql(RECORD, { input }, s.manager))
  const v = await s.vehicle(vehicleId, from, new Date())
  t.equal(v.trips.totalCount, 0, 'no trip')
  t.ok(v.odometer - before.odometer < 1, 'drift adds little to the odometer')
})

void t.test('device tokens are read through the shared cache; a replaced one is refused at once on every replica', async (t) => {
  // Two replicas share one PostgreSQL database; an embedded database cannot be shared, so without
  // PostgreSQL "both replicas" are one app (the cache and its invalidation are still proven).
  const env = { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0', POSITION_PUBLISH_INTERVAL_MS: '0' }
  const database = usingPostgres ? await demoDatabase(t) : undefined
  const a = await buildTestApp(t, { database, env })
  const b = usingPostgres ? await buildTestApp(t, { database, env }) : a
  const manager = await a.login('fleet_manager@fleet.example')
  const vehicleId = ok(await a.gql<any>('{ vehicles(first: 1, filter: { status: [ACTIVE] }) { nodes { id } } }', {}, manager)).vehicles.nodes[0].id as string
  const token = ok(await a.gql<any>(ISSUE, { v: vehicleId }, manager)).issueDeviceToken.token as string
  // A body the door refuses after it knows the device: what is left is the token lookup alone.
  const lookUp = async (app: TestApp, as: string) => await app.app.inject({ method: 'POST', url: '/ingest/positions', headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' }, payload: '"text"' })
  const statements = (response: Awaited<ReturnType<typeof lookUp>>) => Number(/desc="(\d+) statements"/.exec(String(response.headers['server-timing']))?.[1])
  const hits = async (app: TestApp) => Number(/^fleet_api_cache_requests_total\{entity="device_tokens",result="hit"\} (\d+)$/m.exec((await app.app.inject('/health/metrics')).body)?.[1] ?? 0)

  const cold = await lookUp(b, token)
  t.equal(cold.statusCode, 400, 'the token is known (the body is what is refused)')
  t.equal(statements(cold), 1, 'first use on B: one statement, the lookup')
  const warm = await lookUp(b, token)
  t.equal(warm.statusCode, 400)
  t.equal(statements(warm), 0, 'then no statement at all')
  const onA = await lookUp(a, token)
  const ownCache = a !== b && process.env.REDIS_URL === undefined
  t.equal(statements(onA), ownCache ? 1 : 0, ownCache ? 'A has a cache of its own (no Redis)' : 'and none on A either: the cache is shared')
  t.ok(await hits(b) >= 1, 'counted as cache hits')

  // Rotated on A while B holds the old token in its cache: refused on B at once.
  const rotated = ok(await a.gql<any>(ISSUE, { v: vehicleId }, manager)).issueDeviceToken.token as string
  for (const [replica, name] of [[b, 'B'], [a, 'A']] as const) {
    t.equal((await lookUp(replica, token)).statusCode, 401, `the replaced token is refused on ${name}`)
    t.equal((await lookUp(replica, rotated)).statusCode, 400, `the new one works on ${name}`)
  }
  t.same(ok(await b.gql<any>('mutation ($v: ID!) { revokeDeviceToken(vehicleId: $v) }', { v: vehicleId }, manager)), { revokeDeviceToken: true })
  for (const [replica, name] of [[a, 'A'], [b, 'B']] as const) t.equal((await lookUp(replica, rotated)).statusCode, 401, `revoked on B: refused on ${name} at once`)
})

void t.test('a vehicle page with last positions costs a constant number of statements', async (t) => {
  const s = await setup(t)
  const input = s.vehicleIds.map((vehicleId) => ({ vehicleId, ...HOME, recordedAt: new Date(Date.now() - MINUTE).toISOString() }))
  ok(await s.gql(RECORD, { input }, s.manager))
  const query = (n: number) => s.gql<any>(`{ vehicles(first: ${n}) { nodes { id lastPosition { latitude } facility { name } } } }`, {}, s.manager)
  await query(50) // warms the entity cache: facilities are then read from it
  const few = await query(5)
  const many = await query(50)
  const positioned = new Set(ok(many).vehicles.nodes.filter((v: any) => v.lastPosition !== null).map((v: any) => v.id))
  t.ok(s.vehicleIds.every((id) => positioned.has(id)), 'the vehicles just recorded have a last position')
  t.equal(s.statementsOf(many), s.statementsOf(few), `${s.statementsOf(many)} statements for 5 and for 50 vehicles`)
})

void t.test('fleetPositions: the live map, in a box or everywhere', async (t) => {
  const s = await setup(t)
  const [a, b, c] = s.vehicleIds as [string, string, string]
  const at = new Date(Date.now() - MINUTE).toISOString()
  ok(await s.gql(RECORD, {
    input: [
      { vehicleId: a, recordedAt: at, latitude: -40, longitude: 20 },
      { vehicleId: b, recordedAt: at, latitude: -41, longitude: 20 },
      { vehicleId: c, recordedAt: at, latitude: -10, longitude: 179.5 }
    ]
  }, s.manager))
  const map = async (bbox?: object) => ok(await s.gql<any>('query ($b: BoundingBoxInput) { fleetPositions(bbox: $b) { vehicle { id } position { latitude } } }', { b: bbox }, s.manager)).fleetPositions.map((p: any) => p.vehicle.id).sort()
  const everywhere = await map()
  t.ok([a, b, c].every((id) => everywhere.includes(id)), 'every vehicle with a fix, without a box')
  t.same(await map({ south: -40.5, north: -39.5, west: 19, east: 21 }), [a])
  t.same(await map({ south: -20, north: 0, west: 179, east: -179 }), [c], 'a box across the antimeridian')
  t.same(codes(await s.gql('{ fleetPositions(bbox: { south: 50, north: 40, west: 0, east: 1 }) { position { latitude } } }', {}, s.manager)), ['BAD_USER_INPUT'])
  const driver = await s.login('driver@fleet.example')
  t.same(codes(await s.gql('{ fleetPositions { position { latitude } } }', {}, driver)), ['FORBIDDEN'], 'drivers do not see the fleet map')
})

void t.test('device doors: maintenance and switched-off ingest answer 503 with Retry-After; per-device rate limit', async (t) => {
  const s = await setup(t, { INGEST_RATE_LIMIT_PER_MINUTE: '3' })
  const [vehicleId] = s.vehicleIds as [string]
  const token = await s.token(vehicleId)
  const fix = { ...HOME, recordedAt: new Date(Date.now() - MINUTE).toISOString() }
  const admin = await s.login('admin@fleet.example')
  ok(await s.gql('mutation { setFeatureFlag(name: "position-ingest", enabled: false) { enabled } }', {}, admin))
  const off = await s.post('/ingest/positions', token, [fix])
  t.equal(off.status, 503)
  t.equal(off.headers['retry-after'], '60')
  t.match(off.json, { error: { code: 'FEATURE_DISABLED' } })
  ok(await s.gql('mutation { setFeatureFlag(name: "position-ingest", enabled: true) { enabled } }', {}, admin))
  t.equal((await s.post('/ingest/positions', token, [fix])).status, 200)
  t.equal((await s.post('/ingest/positions', token, [fix])).status, 200, 'third request of the minute')
  const limited = await s.post('/ingest/positions', token, [fix])
  t.equal(limited.status, 429, 'fourth request of the minute from this device')
  t.match(limited.json, { error: { code: 'RATE_LIMITED' } })
  t.ok(Number(limited.headers['retry-after']) > 0)
  const other = await s.token(s.vehicleIds[1] as string)
  t.equal((await s.post('/ingest/positions', other, [fix])).status, 200, 'another device has its own budget')
  // Phones behind one address sending their token in a form body: a budget each, too.
  const phones = [await s.token(s.vehicleIds[2] as string), await s.token(s.vehicleIds[3] as string)]
  const form = async (token: string, second: number) => (await s.app.inject({
    method: 'POST',
    url: '/ingest/osmand',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ id: token, lat: '1', lon: '1', timestamp: String(Math.floor(Date.now() / 1000) - 60 + second) }).toString()
  })).statusCode
  t.same([await form(phones[0] as string, 1), await form(phones[0] as string, 2), await form(phones[0] as string, 3), await form(phones[0] as string, 4)], [200, 200, 200, 429], 'a phone: three a minute')
  t.equal(await form(phones[1] as string, 1), 200, 'the phone next to it is not held back')
})

void t.test('found in review: concurrent batches of one vehicle, a short trip then a new one, impossible times and text', async (t) => {
  const s = await setup(t)
  const [a, b] = s.vehicleIds as [string, string]
  const token = await s.token(a)
  const from = new Date(Date.now() - 30 * MINUTE)
  // Two batches of one vehicle at once: whichever takes the vehicle's lock second waits for the
  // first and reads what it wrote. Which one that is depends on scheduling: the earlier half second
  // is late (stored in the history, not rewriting the trip), the later half second continues the
  // trip. Either way: every fix stored, one trip, holding every fix from its start to the last.
  const fixes = drive(HOME, { from, count: 400, stepSeconds: 2, speedKmh: 40, bearing: 30 })
  const [first, second] = await Promise.all([s.post('/ingest/positions', token, fixes.slice(0, 200)), s.post('/ingest/positions', token, fixes.slice(200))])
  t.same([first.status, second.status], [200, 200])
  t.same([first.json.accepted, second.json.accepted], [200, 200])
  const v = await s.vehicle(a, from, new Date())
  t.equal(v.positions.totalCount, 400, 'every fix in the history')
  t.equal(v.lastPosition.recordedAt, last(fixes).recordedAt, 'the latest fix is the newest of both')
  t.equal(v.trips.totalCount, 1, 'one trip, not one per batch')
  const start = fixes.findIndex((f) => f.recordedAt === v.trips.nodes[0].startedAt)
  t.ok(start === 0 || start === 200, `the trip starts with a batch (at fix ${start})`)
  t.equal(v.trips.nodes[0].positionCount, 400 - start, 'the trip holds every fix from its start to the last')

  // A short move (discarded), the tracker silent, then a drive: one request.
  const quiet = new Date(Date.now() - 25 * MINUTE)
  const shortMove = drive(HOME, { from: quiet, count: 6, stepSeconds: 5, speedKmh: 20, bearing: 0 })
  const later = drive(HOME, { from: new Date(quiet.getTime() + 10 * MINUTE), count: 30, stepSeconds: 10, speedKmh: 50, bearing: 90 })
  t.match(ok(await s.gql<any>(RECORD, { input: shortMove.map((f) => ({ ...f, vehicleId: b })) }, s.manager)).recordPositions, { accepted: 6 })
  t.match(ok(await s.gql<any>(RECORD, { input: [later[0], ...later.slice(1)].map((f) => ({ ...f, vehicleId: b })) }, s.manager)).recordPositions, { accepted: 30 }, 'the new trip takes the place of the discarded one')
  t.same((await s.vehicle(b, quiet, new Date())).trips.nodes.map((trip: any) => trip.positionCount), [30])

  const input = [
    { vehicleId: b, latitude: 1, longitude: 1, recordedAt: 1e20 },
    { vehicleId: b, latitude: 1, longitude: 1, recordedAt: new Date(Date.now() - MINUTE).toISOString(), attributes: { note: '\ud800' } }
  ]
  const device = await s.post('/ingest/positions', await s.token(b), input)
  t.equal(device.status, 200, 'no 500')
  t.same(device.json.rejected.map((r: any) => r.code), ['INVALID_VALUE', 'INVALID_VALUE'], 'a time beyond the calendar, a lone surrogate')
  t.equal((await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=${await s.token(b)}&lat=1&lon=1&timestamp=99999999999999999` })).statusCode, 400)
})

void t.test('concurrent requests are grouped into shared batches, and each gets its own answer', async (t) => {
  const s = await setup(t)
  const tokens = await Promise.all(s.vehicleIds.slice(0, 4).map(async (id) => await s.token(id)))
  const from = Date.now() - 20 * MINUTE
  // 4 phones x 10 single fixes, all at once, plus 5 repeats of fixes also in flight.
  const requests = tokens.flatMap((token, phone) => Array.from({ length: 10 }, (_, i) => ({ token, at: Math.floor(from / 1000) + i * 10 + phone })))
  const repeats = requests.slice(0, 5)
  const statuses = await Promise.all([...requests, ...repeats].map(async ({ token, at }) =>
    (await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&lat=${HOME.latitude}&lon=${HOME.longitude}&timestamp=${at}&speed=0` })).statusCode))
  t.ok(statuses.every((status) => status === 200), 'every request answered 200')
  for (const id of s.vehicleIds.slice(0, 4)) t.equal((await s.vehicle(id, new Date(from - MINUTE), new Date())).positions.totalCount, 10, 'each phone\'s 10 fixes, once')
  const metrics = (await s.app.inject({ method: 'GET', url: '/health/metrics' })).body
  t.match(metrics, /fleet_api_positions_ingested_total\{source="osmand",result="accepted"\} 40\n/)
  t.match(metrics, /fleet_api_positions_ingested_total\{source="osmand",result="duplicate"\} 5\n/)

  // Batches with a bad fix each, at once: every answer names its own fixes by its own indexes.
  const batches = await Promise.all(tokens.flatMap((token, phone) => [0, 1].map(async (k) => await s.post('/ingest/positions', token, [
    { ...HOME, recordedAt: new Date(from + 5 * MINUTE + (phone * 2 + k) * 1000).toISOString() },
    { ...HOME, latitude: 91, recordedAt: new Date(from + 6 * MINUTE).toISOString() },
    { ...HOME, recordedAt: new Date(from + 7 * MINUTE + (phone * 2 + k) * 1000).toISOString() }
  ]))))
  t.same(batches.map((b) => b.json), Array.from({ length: 8 }, () => ({ accepted: 2, duplicates: 0, rejected: [{ index: 1, code: 'OUT_OF_RANGE', message: 'latitude must be between -90 and 90, got 91' }] })))
})

void t.test('found in a later review: deep attributes, blank and hex numbers, impossible dates, an unknown battery, trip boundaries', async (t) => {
  const s = await setup(t)
  const [a, b] = s.vehicleIds as [string, string]
  const token = await s.token(a)
  const at = new Date(Date.now() - 10 * MINUTE)
  const deep = `${'{"d":'.repeat(60_000)}{}${'}'.repeat(60_000)}` // 360 KB, under the body limit
  const nested = await s.post('/ingest/positions', token, `[${JSON.stringify({ ...HOME, recordedAt: at.toISOString() })}, {"latitude": 1, "longitude": 1, "recordedAt": "${at.toISOString()}", "attributes": ${deep}}]`)
  t.equal(nested.status, 200, 'attributes nested 60,000 deep: no 500')
  t.same(nested.json.rejected.map((r: any) => [r.index, r.code]), [[1, 'INVALID_VALUE']], 'that fix alone is rejected')
  t.equal(nested.json.accepted, 1, 'the good one is stored')

  const get = async (query: string) => await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&${query}` })
  const second = (offsetSeconds: number) => Math.round(at.getTime() / 1000) + offsetSeconds
  t.match((await get(`lat=%20&lon=%20&timestamp=${second(1)}`)).json(), { error: { code: 'BAD_USER_INPUT', reason: 'INVALID_VALUE', message: /latitude/ } }, 'a blank latitude is no 0')
  t.match((await get(`lat=0x10&lon=1&timestamp=${second(2)}`)).json(), { error: { code: 'BAD_USER_INPUT', reason: 'INVALID_VALUE' } }, 'nor is hexadecimal a number')
  t.equal((await get(`lat=%2039.5%20&lon=-82.5&timestamp=${second(3)}`)).statusCode, 200, 'spaces around a number are fine')
  const traccar = await s.post('/ingest/osmand', undefined, { device_id: token, location: { timestamp: new Date(at.getTime() + 4000).toISOString(), coords: { latitude: 39.9, longitude: -82.9 }, battery: { level: -1 } } })
  t.equal(traccar.status, 200, 'Traccar JSON with an unknown battery level (-1) is stored')

  const impossible = await s.post('/ingest/positions', token, [{ ...HOME, recordedAt: '2026-02-30T10:00:00Z' }, { ...HOME, recordedAt: '2026-01-01T24:30:00Z' }])
  t.same(impossible.json.rejected.map((r: any) => r.code), ['INVALID_VALUE', 'INVALID_VALUE'], '30 February and hour 24 are no times (not 2 March)')
  const variable = await s.gql(RECORD, { input: [{ vehicleId: b, ...HOME, recordedAt: '2026-02-30T10:00:00Z' }] }, s.manager)
  t.same(codes(variable), ['BAD_USER_INPUT'], 'nor in a DateTime variable')
  const literal = await s.gql('query ($id: ID!) { vehicle(id: $id) { trips(from: "2026-02-30T00:00:00Z", to: "2026-03-05T00:00:00Z") { totalCount } } }', { id: b }, s.manager)
  t.same(codes(literal), ['BAD_USER_INPUT'], 'nor in a DateTime argument')

  // A trip that ended exactly at `from` does not overlap [from, to).
  const drove = drive(HOME, { from: new Date(Date.now() - 20 * MINUTE), count: 30, stepSeconds: 10, speedKmh: 50, bearing: 45 })
  const parked = { ...last(drove), recordedAt: new Date(Date.parse(last(drove).recordedAt) + 10_000).toISOString(), speed: 0, ignition: false }
  ok(await s.gql(RECORD, { input: [...drove, parked].map((f) => ({ ...f, vehicleId: b })) }, s.manager))
  const [trip] = (await s.vehicle(b, new Date(Date.now() - DAY), new Date())).trips.nodes
  t.ok(trip?.endedAt, 'the drive is a finished trip')
  t.equal((await s.vehicle(b, new Date(trip.endedAt), new Date())).trips.totalCount, 0, 'from = its end: not listed')
  t.equal((await s.vehicle(b, new Date(Date.parse(trip.endedAt) - 1), new Date())).trips.totalCount, 1, 'a millisecond earlier: listed')
})

void t.test('a track across the antimeridian is simplified as one line, not split by a 360-degree jump', async (t) => {
  const s = await setup(t)
  const vehicleId = s.vehicleIds[2] as string
  const from = new Date(Date.now() - 30 * MINUTE)
  // North-east from 10°N 179.5°E to 11°N 179.5°W, with one detour north after the crossing.
  const fixes = Array.from({ length: 101 }, (_, i) => {
    const longitude = Math.round((179.5 + i * 0.01) * 1000) / 1000
    return { vehicleId, latitude: Math.round((10 + i * 0.01 + (i === 75 ? 0.2 : 0)) * 1000) / 1000, longitude: longitude > 180 ? Math.round((longitude - 360) * 1000) / 1000 : longitude, recordedAt: new Date(from.getTime() + i * 10_000).toISOString(), speed: 60 }
  })
  ok(await s.gql(RECORD, { input: fixes }, s.manager))
  const track = (await s.vehicle(vehicleId, from, new Date(), { max: 3 })).positions.nodes.map((p: any) => [p.latitude, Math.round(p.longitude * 1000) / 1000])
  t.same(track, [[10, 179.5], [10.95, -179.75], [11, -179.5]], 'start, the detour, end')
})
