import { SignJWT } from 'jose'
import t, { type Test } from 'tap'
import { telematicsModule } from '../src/modules/telematics/module.js'
import { buildTestApp, type TestApp } from './helpers/app.js'
import { switchableDemoDatabase, usingPostgres } from './helpers/database.js'
import { drive, type Point, type SimulatedFix } from './helpers/drive.js'
import { ok } from './helpers/graphql.js'

// GET /vehicles/:id/track.(geojson|gpx|csv): each format's document for a known track, a track
// longer than one read batch, the [from, to) range, and who may export which vehicle.

const HOME: Point = { latitude: 39.9612, longitude: -82.9988 }
const MINUTE = 60_000
const RECORD = 'mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted duplicates rejected { index code message } } }'
const STORED = `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
  vehicle(id: $id) { positions(from: $from, to: $to, first: 200) { nodes { recordedAt latitude longitude speed heading altitude accuracy odometer ignition } } }
}`
const TRACK_READERS = telematicsModule.access.Vehicle.positions
const CSV_HEADER = 'recorded_at,latitude,longitude,speed_kmh,heading,altitude_m,accuracy_m,odometer_km,ignition'

type Fix = SimulatedFix & { vehicleId: string, altitude?: number | null }

interface Export {
  status: number
  headers: Record<string, unknown>
  body: string
  json: () => any
}

interface Setup extends TestApp {
  manager: string
  vehicles: Array<{ id: string, number: string, name: string }>
  record: (fixes: readonly Fix[]) => Promise<void>
  track: (vehicleId: string, format: string, from: Date | string | undefined, to: Date | string | undefined, token?: string) => Promise<Export>
}

async function setup (t: Test): Promise<Setup> {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0', POSITION_PUBLISH_INTERVAL_MS: '0' } })
  const manager = await app.login('fleet_manager@fleet.example')
  const vehicles = ok(await app.gql<any>('{ vehicles(first: 3, filter: { status: [ACTIVE] }) { nodes { id number name } } }', {}, manager)).vehicles.nodes
  return {
    ...app,
    manager,
    vehicles,
    record: async (fixes) => {
      for (let i = 0; i < fixes.length; i += app.config.POSITION_BATCH_MAX) {
        const report = ok(await app.gql<any>(RECORD, { input: fixes.slice(i, i + app.config.POSITION_BATCH_MAX) }, manager)).recordPositions
        if (report.rejected.length > 0 || report.accepted !== Math.min(app.config.POSITION_BATCH_MAX, fixes.length - i)) throw new Error(`fixes not stored: ${JSON.stringify(report)}`)
      }
    },
    track: async (vehicleId, format, from, to, token = manager) => {
      const query = new URLSearchParams()
      if (from !== undefined) query.set('from', typeof from === 'string' ? from : from.toISOString())
      if (to !== undefined) query.set('to', typeof to === 'string' ? to : to.toISOString())
      const response = await app.app.inject({
        method: 'GET',
        url: `/vehicles/${vehicleId}/track.${format}?${query}`,
        headers: token === '' ? {} : { authorization: `Bearer ${token}` }
      })
      return { status: response.statusCode, headers: response.headers, body: response.body, json: () => response.json() }
    }
  }
}

function trip (vehicleId: string, from: Date, count: number, stepSeconds = 10): Fix[] {
  return drive(HOME, { from, count, stepSeconds, speedKmh: 36, bearing: 45 }).map((fix) => ({ ...fix, vehicleId }))
}

/** The lines of a CSV body (which ends in CRLF), split into fields. */
function csvRows (body: string): string[][] {
  if (!body.endsWith('\r\n')) throw new Error('CSV lines end in CRLF')
  return body.slice(0, -2).split('\r\n').map((line) => line.split(','))
}

/** A refusal's status and body, as the REST doors answer them. */
function refusedWith (t: Test, response: Export, status: number, code: string, field?: string, label = `${status} ${code}`): void {
  t.equal(response.status, status, label)
  t.match(response.json(), { error: { code, message: String } }, `${label}: body`)
  if (field !== undefined) t.equal(response.json().error.field, field, `${label}: field`)
}

void t.test('each format: the document, its content type and file name for a known track', async (t) => {
  const s = await setup(t)
  const vehicle = s.vehicles[0] as Setup['vehicles'][number]
  const from = new Date(Date.now() - 30 * MINUTE)
  // Altitude on all fixes but the last: GeoJSON then has a 2-number position.
  const fixes = trip(vehicle.id, from, 5).map((fix, i) => ({ ...fix, altitude: i === 4 ? null : 250.5 + i, ignition: i !== 4 }))
  await s.record(fixes)
  const range = { from: new Date(from.getTime() - MINUTE), to: new Date() }
  const stored = ok(await s.gql<any>(STORED, { id: vehicle.id, ...range }, s.manager)).vehicle.positions.nodes
  t.equal(stored.length, 5)
  const filename = (ext: string) => `attachment; filename="${`${vehicle.number}-${range.from.toISOString().slice(0, 10)}`.replace(/[^\w.-]+/g, '_')}.${ext}"`

  const geojson = await s.track(vehicle.id, 'geojson', range.from, range.to)
  t.equal(geojson.status, 200)
  t.equal(geojson.headers['content-type'], 'application/geo+json')
  t.equal(geojson.headers['content-disposition'], filename('geojson'))
  t.equal(geojson.headers['content-length'], undefined, 'streamed, not buffered')
  const collection = geojson.json()
  t.equal(collection.type, 'FeatureCollection')
  t.same(collection.properties, { vehicleId: vehicle.id, number: vehicle.number, name: vehicle.name, from: range.from.toISOString(), to: range.to.toISOString() })
  t.same(collection.features.map((f: any) => f.geometry), fixes.map((f) => ({ type: 'Point', coordinates: f.altitude === null ? [f.longitude, f.latitude] : [f.longitude, f.latitude, f.altitude] })))
  t.same(collection.features.map((f: any) => f.type), fixes.map(() => 'Feature'))
  collection.features.forEach((feature: any, i: number) => {
    const fix = fixes[i] as Fix
    t.match(feature.properties, { recordedAt: fix.recordedAt, speed: 36, heading: 45, altitude: fix.altitude, accuracy: 5, ignition: fix.ignition }, `feature ${i}`)
    t.ok(Math.abs(feature.properties.odometer - stored[i].odometer) < 0.001, `feature ${i}: odometer in km`)
  })

  const gpx = await s.track(vehicle.id, 'gpx', range.from, range.to)
  t.equal(gpx.status, 200)
  t.equal(gpx.headers['content-type'], 'application/gpx+xml')
  t.equal(gpx.headers['content-disposition'], filename('gpx'))
  t.match(gpx.body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<gpx version="1.1" creator="Fleet API" xmlns="http:\/\/www.topografix.com\/GPX\/1\/1">/)
  t.ok(gpx.body.includes('<trk><name>'), 'one named track')
  t.ok(gpx.body.trimEnd().endsWith('</trkseg></trk>\n</gpx>'), 'the document is closed')
  const points = [...gpx.body.matchAll(/<trkpt lat="([^"]+)" lon="([^"]+)">(?:<ele>([^<]+)<\/ele>)?<time>([^<]+)<\/time><\/trkpt>/g)]
  t.equal(points.length, 5)
  t.equal(gpx.body.split('<trkpt').length - 1, 5, 'no other trkpt')
  t.same(points.map((m) => [Number(m[1]), Number(m[2]), m[3] === undefined ? null : Number(m[3]), m[4]]), fixes.map((f) => [f.latitude, f.longitude, f.altitude, f.recordedAt]))

  const csv = await s.track(vehicle.id, 'csv', range.from, range.to)
  t.equal(csv.status, 200)
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(csv.headers['content-disposition'], filename('csv'))
  const [header, ...rows] = csvRows(csv.body)
  t.equal(header?.join(','), CSV_HEADER)
  t.same(rows.map((r) => r.map((value, i) => i === 7 ? Math.round(Number(value) * 1000) / 1000 : value)), stored.map((p: any) => [
    p.recordedAt, String(p.latitude), String(p.longitude), String(p.speed), String(p.heading), p.altitude === null ? '' : String(p.altitude), String(p.accuracy),
    p.odometer, String(p.ignition)
  ]), 'one row per fix, as stored')
  t.same(rows.map((r) => [r[0], Number(r[1]), Number(r[2])]), fixes.map((f) => [f.recordedAt, f.latitude, f.longitude]), 'times and coordinates exactly as sent')
})

void t.test('XML and file names: a vehicle number and name that are not safe as they are', async (t) => {
  const s = await setup(t)
  const vehicle = s.vehicles[0] as Setup['vehicles'][number]
  const current = ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { version } }', { id: vehicle.id }, s.manager)).vehicle
  ok(await s.gql('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, number: "T/7 \\"x\\"", name: "Tom & Jerry <van>" }) { id } }', { id: vehicle.id, v: current.version }, s.manager))
  const gpx = await s.track(vehicle.id, 'gpx', '2026-01-01T00:00:00+02:00', '2026-01-02T00:00:00+02:00')
  t.equal(gpx.status, 200)
  t.ok(gpx.body.includes('<name>T/7 &quot;x&quot; Tom &amp; Jerry &lt;van&gt;</name>'), 'the track name is escaped')
  t.equal(gpx.headers['content-disposition'], 'attachment; filename="T_7_x_-2026-01-01.gpx"', 'the file name keeps letters, digits, dot, dash and underscore, and the day of from as written')
})

void t.test('an empty range is a valid, empty document in each format', async (t) => {
  const s = await setup(t)
  const vehicle = s.vehicles[0] as Setup['vehicles'][number]
  const to = new Date()
  const from = new Date(to.getTime() - 60 * MINUTE)
  const geojson = await s.track(vehicle.id, 'geojson', from, to)
  t.equal(geojson.status, 200)
  t.match(geojson.json(), { type: 'FeatureCollection', features: [] })
  t.same(geojson.json().features, [])
  const gpx = await s.track(vehicle.id, 'gpx', from, to)
  t.equal(gpx.status, 200)
  t.match(gpx.body, /<trkseg>\n<\/trkseg><\/trk>\n<\/gpx>\n$/)
  t.notMatch(gpx.body, /<trkpt/)
  const csv = await s.track(vehicle.id, 'csv', from, to)
  t.equal(csv.status, 200)
  t.equal(csv.body, `${CSV_HEADER}\r\n`, 'the header alone')
})

void t.test('a track longer than one read batch comes back whole and in order', { timeout: 300_000 }, async (t) => {
  const s = await setup(t)
  const [vehicle, other] = s.vehicles as [Setup['vehicles'][number], Setup['vehicles'][number]]
  const from = new Date(Date.now() - 3 * 86_400_000)
  const fixes = trip(vehicle.id, from, 12_000)
  await s.record(fixes)
  // Another vehicle's fixes at the same times must not leak in.
  await s.record(trip(other.id, from, 100))
  const to = new Date(from.getTime() + 12_000 * 10_000)

  const selects = async () => Number(/^fleet_api_db_query_duration_seconds_count\{statement="select"\} (\d+)$/m.exec((await s.app.inject({ method: 'GET', url: '/health/metrics' })).body)?.[1])
  const before = await selects()
  const csv = await s.track(vehicle.id, 'csv', from, to)
  t.equal(csv.status, 200)
  t.equal(await selects() - before, 4, 'the vehicle, then the fixes in three batches (5,000 + 5,000 + 2,000): never the whole track at once')
  const [, ...rows] = csvRows(csv.body)
  t.equal(rows.length, 12_000, 'every fix')
  t.same(rows.map((r) => r[0]), fixes.map((f) => f.recordedAt), 'each once, oldest first, across the batch boundaries')
  t.same(rows.map((r) => [Number(r[1]), Number(r[2])]), fixes.map((f) => [f.latitude, f.longitude]))

  const geojson = await s.track(vehicle.id, 'geojson', from, to)
  const times = geojson.json().features.map((f: any) => f.properties.recordedAt)
  t.same(times, fixes.map((f) => f.recordedAt), 'GeoJSON: the same fixes, in order, as valid JSON')
  const gpx = await s.track(vehicle.id, 'gpx', from, to)
  t.equal(gpx.body.split('<trkpt ').length - 1, 12_000, 'GPX: every fix')
})

void t.test('from and to: [from, to), with any offset', async (t) => {
  const s = await setup(t)
  const vehicle = s.vehicles[0] as Setup['vehicles'][number]
  const start = new Date(Math.floor((Date.now() - 60 * MINUTE) / 1000) * 1000)
  const fixes = trip(vehicle.id, start, 10)
  await s.record(fixes)
  const at = (i: number) => new Date((fixes[i] as Fix).recordedAt)

  const times = async (from: Date | string, to: Date | string) => csvRows((await s.track(vehicle.id, 'csv', from, to)).body).slice(1).map((r) => r[0])
  t.same(await times(at(2), at(7)), fixes.slice(2, 7).map((f) => f.recordedAt), 'from included, to excluded')
  t.same(await times(new Date(at(2).getTime() + 1), new Date(at(7).getTime() + 1)), fixes.slice(3, 8).map((f) => f.recordedAt), 'to the millisecond')
  // The same instants written with a -05:00 offset.
  const local = (d: Date) => new Date(d.getTime() - 5 * 3_600_000).toISOString().replace('Z', '-05:00')
  t.same(await times(local(at(2)), local(at(7))), fixes.slice(2, 7).map((f) => f.recordedAt), 'an offset other than Z')
})

void t.test('who may export: signed in, a track reader, the own organization, a driver their own vehicle', async (t) => {
  const s = await setup(t)
  const from = new Date(Date.now() - 30 * MINUTE)
  const to = new Date()

  const driver = await s.login('driver@fleet.example')
  const { me } = ok(await s.gql<any>('{ me { role driver { currentVehicle { id } } } }', {}, driver))
  t.equal(me.role, 'DRIVER')
  const ownVehicle = me.driver.currentVehicle.id as string
  const otherVehicle = (s.vehicles.find((v) => v.id !== ownVehicle) as Setup['vehicles'][number]).id
  await s.record([...trip(ownVehicle, from, 3), ...trip(otherVehicle, from, 3)])

  refusedWith(t, await s.track(otherVehicle, 'csv', from, to, ''), 401, 'UNAUTHENTICATED', undefined, 'no token')
  refusedWith(t, await s.track(otherVehicle, 'csv', from, to, 'not-a-token'), 401, 'UNAUTHENTICATED', undefined, 'a bad token')
  refusedWith(t, await s.track(otherVehicle, 'csv', undefined, undefined, ''), 401, 'UNAUTHENTICATED', undefined, 'signing in comes before the input')
  const mechanic = await s.login('mechanic@fleet.example')
  refusedWith(t, await s.track(otherVehicle, 'csv', from, to, mechanic), 403, 'FORBIDDEN', undefined, 'a MECHANIC may not read tracks (Vehicle.positions)')

  const otherManager = await s.login('fleet_manager@other.example')
  const foreign = ok(await s.gql<any>('{ vehicles(first: 1) { nodes { id } } }', {}, otherManager)).vehicles.nodes[0].id as string
  t.equal((await s.track(foreign, 'csv', from, to, otherManager)).status, 200, 'its own organization exports it')
  refusedWith(t, await s.track(foreign, 'csv', from, to), 404, 'NOT_FOUND', undefined, 'another organization\'s vehicle')
  refusedWith(t, await s.track('00000000-0000-4000-8000-000000000000', 'csv', from, to), 404, 'NOT_FOUND', undefined, 'a vehicle that does not exist')

  // Whether a DRIVER reads tracks at all is the permission matrix's call (Vehicle.positions);
  // when they do, it is their current vehicle's only.
  if (typeof TRACK_READERS !== 'string' && TRACK_READERS.includes('DRIVER')) {
    refusedWith(t, await s.track(otherVehicle, 'csv', from, to, driver), 404, 'NOT_FOUND', undefined, 'a DRIVER: not their vehicle')
    const own = await s.track(ownVehicle, 'csv', from, to, driver)
    t.equal(own.status, 200, 'a DRIVER: their current vehicle')
    t.equal(csvRows(own.body).length, 4, 'its fixes')
  } else {
    refusedWith(t, await s.track(otherVehicle, 'csv', from, to, driver), 403, 'FORBIDDEN', undefined, 'a DRIVER: no track, not even of their vehicle (Vehicle.positions)')
    refusedWith(t, await s.track(ownVehicle, 'csv', from, to, driver), 403, 'FORBIDDEN', undefined, 'a DRIVER: not their own vehicle either')
  }

  const viewer = await s.login('viewer@fleet.example')
  t.equal((await s.track(otherVehicle, 'geojson', from, to, viewer)).status, 200, 'a VIEWER reads any vehicle of the organization')

  // A temporary password allows nothing but changing it, here as in GraphQL.
  const admin = await s.login('admin@fleet.example')
  const invited = ok(await s.gql<any>('mutation { createUser(input: { email: "new.dispatcher@fleet.example", name: "New Dispatcher", role: DISPATCHER }) { temporaryPassword } }', {}, admin)).createUser
  const temporary = await s.track(otherVehicle, 'csv', from, to, await s.login('new.dispatcher@fleet.example', invited.temporaryPassword))
  refusedWith(t, temporary, 403, 'FORBIDDEN', undefined, 'a temporary password')
  t.equal(temporary.json().error.reason, 'PASSWORD_CHANGE_REQUIRED')
})

void t.test('bad input: 400 BAD_USER_INPUT naming the field; an unknown format: 404', async (t) => {
  const s = await setup(t)
  const vehicle = (s.vehicles[0] as Setup['vehicles'][number]).id
  const to = new Date()
  const from = new Date(to.getTime() - 60 * MINUTE)
  refusedWith(t, await s.track('42', 'csv', from, to), 400, 'BAD_USER_INPUT', 'id', 'a vehicle id that is not a UUID')
  refusedWith(t, await s.track(vehicle, 'csv', undefined, to), 400, 'BAD_USER_INPUT', 'from', 'from missing')
  refusedWith(t, await s.track(vehicle, 'csv', from, undefined), 400, 'BAD_USER_INPUT', 'to', 'to missing')
  refusedWith(t, await s.track(vehicle, 'csv', 'yesterday', to), 400, 'BAD_USER_INPUT', 'from', 'from not a time')
  refusedWith(t, await s.track(vehicle, 'csv', '2026-01-01T00:00:00', to), 400, 'BAD_USER_INPUT', 'from', 'from without an offset')
  refusedWith(t, await s.track(vehicle, 'csv', from, '2026-02-30T00:00:00Z'), 400, 'BAD_USER_INPUT', 'to', 'to not a real day')
  refusedWith(t, await s.track(vehicle, 'csv', to, from), 400, 'BAD_USER_INPUT', 'to', 'to before from')
  refusedWith(t, await s.track(vehicle, 'csv', from, from), 400, 'BAD_USER_INPUT', 'to', 'an empty range')
  refusedWith(t, await s.track(vehicle, 'csv', new Date(to.getTime() - 367 * 86_400_000), to), 400, 'BAD_USER_INPUT', 'to', 'more than 366 days')
  t.equal((await s.track(vehicle, 'csv', new Date(to.getTime() - 366 * 86_400_000), to)).status, 200, '366 days exactly')
  const twice = await s.app.inject({ method: 'GET', url: `/vehicles/${vehicle}/track.csv?from=${from.toISOString()}&from=${from.toISOString()}&to=${to.toISOString()}`, headers: { authorization: `Bearer ${s.manager}` } })
  t.equal(twice.statusCode, 400, 'from given twice')
  refusedWith(t, await s.track(vehicle, 'kml', from, to), 404, 'NOT_FOUND', undefined, 'an unknown format')
  refusedWith(t, await s.track(vehicle, 'constructor', from, to), 404, 'NOT_FOUND', undefined, 'not a format either')
})

const TRACK = `/vehicles/00000000-0000-4000-8000-000000000003/track.csv?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`

void t.test('a primary that stops answering: 503 SERVICE_UNAVAILABLE, never a 500', { skip: usingPostgres ? false : 'needs PostgreSQL over TCP (the embedded database cannot go away)' }, async (t) => {
  // The token cannot be checked (the primary went away after start-up).
  const { database, endpoint } = await switchableDemoDatabase(t)
  const down = await buildTestApp(t, { database })
  await endpoint.refuse()
  const token = await new SignJWT({ org: '00000000-0000-4000-8000-000000000001', role: 'VIEWER', sep: 0 })
    .setProtectedHeader({ alg: 'HS256' }).setSubject('00000000-0000-4000-8000-000000000002')
    .setIssuer('fleet-api').setAudience('fleet-api').setIssuedAt().setExpirationTime('5m')
    .sign(new TextEncoder().encode(down.config.JWT_SECRET))
  const unchecked = await down.app.inject({ method: 'GET', url: TRACK, headers: { authorization: `Bearer ${token}` } })
  t.equal(unchecked.statusCode, 503, 'the token could not be checked')
  t.match(unchecked.json(), { error: { code: 'SERVICE_UNAVAILABLE' } })
  t.notMatch(unchecked.body, new RegExp(`127\\.0\\.0\\.1|ECONNREFUSED|${endpoint.port}`), 'no host names or driver errors')
})

void t.test('a replica that does not answer: 503 SERVICE_UNAVAILABLE, never a 500', async (t) => {
  // Signed in on the primary, the export reads the replica, which is down (and not yet found out).
  const replicaDown = await buildTestApp(t, {
    readDatabase: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/nowhere', pool: { max: 2, idleTimeoutMs: 1000, connectionTimeoutMs: 1000, statementTimeoutMs: 0 } },
    env: { REPLICA_CHECK_INTERVAL_MS: '600000' }
  })
  const manager = await replicaDown.login('fleet_manager@fleet.example')
  const unread = await replicaDown.app.inject({ method: 'GET', url: TRACK, headers: { authorization: `Bearer ${manager}` } })
  t.equal(unread.statusCode, 503, 'the vehicle could not be read')
  t.match(unread.json(), { error: { code: 'SERVICE_UNAVAILABLE', message: /unavailable/ } })
  t.equal(unread.headers['retry-after'], '5')
})
