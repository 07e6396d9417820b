import t, { type Test } from 'tap'
import { buildTestApp, type TestApp } from './helpers/app.js'
import { drive, last, type Point } from './helpers/drive.js'
import { dataFetcher, ok, refused } from './helpers/graphql.js'

// Engine hours from telematics (ignition on between fixes, a silence counted only up to a stop,
// or the tracker's own hour meter), kept in Vehicle.engineHours as the odometer is, and the
// tracker's meter readings at the end of each trip, whether the pipeline or the sweep closes it.

const HOME: Point = { latitude: 39.9612, longitude: -82.9988 }
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const RECORD = 'mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted duplicates rejected { index code } } }'
const VEHICLE = `query ($id: ID!, $kind: MeterKind) {
  vehicle(id: $id) {
    odometer engineHours version
    lastPosition { recordedAt odometer attributes }
    trips(from: "2026-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z") { nodes { endedAt } }
    meterReadings(kind: $kind, first: 10) { totalCount nodes { id kind value recordedAt source } }
  }
}`

const tenth = (value: number): number => Math.round(value * 10) / 10

interface Setup extends TestApp {
  manager: string
  vehicleIds: string[]
  post: (token: string, body: unknown) => Promise<{ status: number, json: any }>
  token: (vehicleId: string) => Promise<string>
  vehicle: (id: string, kind?: string) => Promise<any>
}

async function setup (t: Test, env: Record<string, string> = {}): Promise<Setup> {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0', ...env } })
  const manager = await app.login('fleet_manager@fleet.example')
  // Vehicles the demo's tracks left alone: no fix yet.
  const vehicleIds = ok(await app.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .filter((v: { lastPosition: unknown }) => v.lastPosition === null).map((v: { id: string }) => v.id)
  return {
    ...app,
    manager,
    vehicleIds,
    post: async (token, body) => {
      const response = await app.app.inject({ method: 'POST', url: '/ingest/positions', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, payload: JSON.stringify(body) })
      return { status: response.statusCode, json: response.json() }
    },
    token: async (vehicleId) => ok(await app.gql<any>('mutation ($v: ID!) { issueDeviceToken(vehicleId: $v) { token } }', { v: vehicleId }, manager)).issueDeviceToken.token,
    vehicle: async (id, kind) => ok(await app.gql<any>(VEHICLE, { id, kind }, manager)).vehicle
  }
}

void t.test('a trip with the ignition on: engine hours counted, the tracker\'s readings at its end', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const token = await s.token(vehicleId)
  const before = await s.vehicle(vehicleId)
  const start = new Date(Date.now() - HOUR)
  // Two minutes parked with the ignition off (no hours), 36 minutes on the road (216 intervals of
  // 10 s with the ignition on: 0.6 h), then the ignition off (the interval before it does not count).
  const parked = drive(HOME, { from: start, count: 12, stepSeconds: 10, speedKmh: 0, bearing: 0, ignition: false })
  const road = drive(HOME, { from: new Date(start.getTime() + 2 * MINUTE), count: 217, stepSeconds: 10, speedKmh: 60, bearing: 90 })
  const off = { ...last(road), recordedAt: new Date(Date.parse(last(road).recordedAt) + 10_000).toISOString(), speed: 0, ignition: false }
  const all = [...parked, ...road, off]
  for (let i = 0; i < all.length; i += 100) t.equal((await s.post(token, all.slice(i, i + 100))).status, 200)

  const v = await s.vehicle(vehicleId)
  t.equal(v.engineHours, tenth(before.engineHours + 0.6), `0.6 h with the ignition on: ${before.engineHours} -> ${v.engineHours}`)
  t.equal(v.version, before.version, 'not an edit of the vehicle')
  t.same(v.trips.nodes.map((trip: any) => trip.endedAt), [off.recordedAt], 'one trip, ended at ignition off')
  const readings = v.meterReadings.nodes.filter((r: any) => r.source === 'TELEMATICS')
  t.same(readings.map((r: any) => [r.kind, r.value, r.recordedAt]).sort(), [
    ['ENGINE_HOURS', v.engineHours, off.recordedAt],
    ['ODOMETER', v.odometer, off.recordedAt]
  ], 'the tracker\'s readings at the end of the trip: the vehicle\'s odometer and engine hours then')
  t.ok(Math.abs(v.odometer - before.odometer - 36) < 0.5, `and the odometer drove on: ${before.odometer} -> ${v.odometer}`)

  // The same batch again: duplicates, and no reading twice.
  t.match(await s.post(token, all.slice(-50)), { status: 200, json: { accepted: 0, duplicates: 50 } })
  t.equal((await s.vehicle(vehicleId)).meterReadings.totalCount, v.meterReadings.totalCount, 'no new reading')
  const admin = dataFetcher(s.gql, await s.login('admin@fleet.example'))
  const audited = await admin<any>('query ($id: ID) { auditLog(filter: { entityId: $id }) { totalCount } }', { id: readings[0].id })
  t.equal(audited.auditLog.totalCount, 0, 'the tracker\'s readings are telemetry: not in the audit trail')
})

void t.test('a tracker silent for hours with the ignition on adds at most a stop\'s length', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const before = await s.vehicle(vehicleId)
  const start = new Date(Date.now() - 4 * HOUR)
  // Idling 30 minutes (1,800 s), silent 3 hours, then one more fix with the ignition still on.
  const idle = drive(HOME, { from: start, count: 181, stepSeconds: 10, speedKmh: 0, bearing: 0 })
  const later = { ...last(idle), recordedAt: new Date(Date.parse(last(idle).recordedAt) + 3 * HOUR).toISOString() }
  ok(await s.gql(RECORD, { input: [...idle, later].map((fix) => ({ ...fix, vehicleId })) }, s.manager))
  const v = await s.vehicle(vehicleId)
  t.equal(v.engineHours, tenth(before.engineHours + (1800 + 300) / 3600), `1,800 s idling and 300 s (TRIP_STOP_SECONDS) for the silence: ${v.engineHours}`)
  t.same(v.trips.nodes, [], 'idling is no trip')
})

void t.test('a tracker\'s own hour meter gives the value; a person\'s reading is where counting goes on', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const token = await s.token(vehicleId)
  const at = (minutesAgo: number): number => Math.floor((Date.now() - minutesAgo * MINUTE) / 1000)

  // Traccar's `hours`, in milliseconds, as an OsmAnd phone or gateway passes it on.
  const osmand = await s.app.inject({ method: 'GET', url: `/ingest/osmand?id=${token}&lat=39.96&lon=-82.99&timestamp=${at(120)}&ignition=true&hours=4500000000` })
  t.equal(osmand.statusCode, 200)
  let v = await s.vehicle(vehicleId)
  t.equal(v.engineHours, 1250, '4,500,000,000 ms: 1,250 h')
  t.same(v.lastPosition.attributes, { hours: 4_500_000_000 }, 'kept as the fix\'s attribute too')

  // Counting goes on from it while the ignition is on: 30 minutes.
  const on = drive(HOME, { from: new Date(at(120) * 1000 + 10_000), count: 180, stepSeconds: 10, speedKmh: 0, bearing: 0 })
  await s.post(token, on)
  t.equal((await s.vehicle(vehicleId)).engineHours, 1250.5, 'plus 30 minutes')

  // `engineHours`, in hours; values that are no hour meter are left as attributes.
  const next = (offset: number, attributes: Record<string, unknown>) => ({ ...last(on), recordedAt: new Date(Date.parse(last(on).recordedAt) + offset * 1000).toISOString(), attributes })
  await s.post(token, [next(10, { engineHours: 1300.5 })])
  t.equal((await s.vehicle(vehicleId)).engineHours, 1300.5, 'engineHours, in hours')
  await s.post(token, [next(20, { hours: 'soon', engineHours: -3 }), ...Array.from({ length: 36 }, (_, i) => next(30 + i * 10, { hours: null }))])
  t.equal((await s.vehicle(vehicleId)).engineHours, 1300.6, 'a text or a negative number is no hour meter: counted from the ignition (370 s)')

  // A person reads the dashboard: telemetry counts on from their value.
  ok(await s.gql('mutation ($v: ID!) { recordMeterReading(input: { vehicleId: $v, kind: ENGINE_HOURS, value: 1400 }) { id } }', { v: vehicleId }, s.manager))
  v = await s.vehicle(vehicleId)
  t.equal(v.engineHours, 1400)
  const onward = drive(HOME, { from: new Date(Date.parse(next(400, {}).recordedAt)), count: 361, stepSeconds: 10, speedKmh: 0, bearing: 0 })
  await s.post(token, onward)
  t.equal((await s.vehicle(vehicleId)).engineHours, 1401, 'an hour more, from the person\'s reading')
})

void t.test('a tracker that says nothing of its ignition counts no hours; its trips leave an odometer reading', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const before = await s.vehicle(vehicleId)
  const start = new Date(Date.now() - HOUR)
  // Ten minutes on the road, then standing still for six: the trip ends where motion stopped.
  const road = drive(HOME, { from: start, count: 61, stepSeconds: 10, speedKmh: 50, bearing: 45 }).map((fix) => ({ ...fix, ignition: undefined }))
  const stopped = drive(last(road), { from: new Date(Date.parse(last(road).recordedAt) + 10_000), count: 36, stepSeconds: 10, speedKmh: 0, bearing: 0 }).map((fix) => ({ ...fix, ignition: undefined }))
  ok(await s.gql(RECORD, { input: [...road, ...stopped].map((fix) => ({ ...fix, vehicleId })) }, s.manager))
  const v = await s.vehicle(vehicleId)
  t.equal(v.engineHours, before.engineHours, 'no ignition, no hours')
  t.same(v.trips.nodes.map((trip: any) => trip.endedAt), [last(road).recordedAt])
  t.same(v.meterReadings.nodes.filter((r: any) => r.source === 'TELEMATICS').map((r: any) => [r.kind, r.value, r.recordedAt]), [['ODOMETER', v.odometer, last(road).recordedAt]], 'the odometer only')
})

void t.test('the tracker\'s readings neither refuse a person\'s nor are refused', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const manual = 'mutation ($v: ID!, $km: Float!) { recordMeterReading(input: { vehicleId: $v, kind: ODOMETER, value: $km }) { id } }'
  ok(await s.gql('mutation ($v: ID!, $at: DateTime!) { recordMeterReading(input: { vehicleId: $v, kind: ODOMETER, value: 250000, recordedAt: $at }) { id } }',
    { v: vehicleId, at: new Date(Date.now() - 40 * MINUTE).toISOString() }, s.manager))
  // A phone tracker counting its own odometer from 1,000 km: far behind the dashboard.
  const road = drive(HOME, { from: new Date(Date.now() - 30 * MINUTE), count: 61, stepSeconds: 10, speedKmh: 60, bearing: 0 })
  const input = [...road, { ...last(road), recordedAt: new Date(Date.parse(last(road).recordedAt) + 10_000).toISOString(), speed: 0, ignition: false }]
    .map((fix, i) => ({ ...fix, vehicleId, odometer: 1000 + i * 0.1 }))
  ok(await s.gql(RECORD, { input }, s.manager))
  const readings = (await s.vehicle(vehicleId, 'ODOMETER')).meterReadings.nodes
  t.match(readings[0], { source: 'TELEMATICS', value: tenth(last(input).odometer) }, 'stored though below the person\'s reading before it')
  t.match(readings[1], { source: 'MANUAL', value: 250_000 })
  refused(t, await s.gql(manual, { v: vehicleId, km: 2000 }, s.manager), 'BAD_USER_INPUT', 'input.value', 'a person\'s reading is compared with the person\'s, not the tracker\'s')
  ok(await s.gql(manual, { v: vehicleId, km: 250_010 }, s.manager))
  t.equal((await s.vehicle(vehicleId)).odometer, 250_010, 'and becomes the vehicle\'s odometer')
})

void t.test('a trip the sweep closes for silence leaves the tracker\'s readings too', async (t) => {
  const s = await setup(t, { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '1', TRIP_STOP_SECONDS: '60' })
  const [vehicleId] = s.vehicleIds as [string]
  // Driving until 5 minutes ago, then nothing: no stop, no ignition off.
  const fixes = drive(HOME, { from: new Date(Date.now() - 10 * MINUTE), count: 30, stepSeconds: 10, speedKmh: 50, bearing: 10 })
  ok(await s.gql(RECORD, { input: fixes.map((f) => ({ ...f, vehicleId })) }, s.manager))
  let v = await s.vehicle(vehicleId)
  for (let i = 0; i < 50 && (v.trips.nodes[0]?.endedAt ?? null) === null; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    v = await s.vehicle(vehicleId)
  }
  t.same(v.trips.nodes.map((trip: any) => trip.endedAt), [last(fixes).recordedAt], 'the sweep closed the trip at its last fix in motion')
  const readings = v.meterReadings.nodes.filter((r: any) => r.source === 'TELEMATICS')
  t.same(readings.map((r: any) => [r.kind, r.recordedAt]).sort(), [['ENGINE_HOURS', last(fixes).recordedAt], ['ODOMETER', last(fixes).recordedAt]], 'both meters, at the trip\'s end')
  t.equal(readings.find((r: any) => r.kind === 'ODOMETER').value, tenth(v.lastPosition.odometer), 'the odometer of the tracker\'s last fix')
  t.equal(readings.find((r: any) => r.kind === 'ENGINE_HOURS').value, v.engineHours, 'and its engine hours')
})
