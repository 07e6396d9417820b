import t, { type Test } from 'tap'
import { buildTestApp, codes } from './helpers/app.js'
import { drive, last, offset, type Point } from './helpers/drive.js'
import { ok, refused } from './helpers/graphql.js'

// Geofences (circle and polygon), their crossings with hysteresis against GPS drift, and the
// alerts that speeding and crossings raise.

const CENTER: Point = { latitude: -33.8688, longitude: 151.2093 }
const MINUTE = 60_000
const FENCE = 'id name shape center { latitude longitude } radius(unit: KILOMETERS) polygon { latitude longitude } facility { code } dwellTime margin speedLimit alertOnEnter alertOnExit version'
const CREATE = `mutation ($input: CreateGeofenceInput!) { createGeofence(input: $input) { ${FENCE} } }`
const UPDATE = `mutation ($id: ID!, $input: UpdateGeofenceInput!) { updateGeofence(id: $id, input: $input) { ${FENCE} } }`
const RECORD = 'mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted rejected { index code } } }'
const EVENTS = `query ($f: GeofenceEventFilter) { geofenceEvents(filter: $f, first: 50) {
  totalCount nodes { kind occurredAt confirmedAt latitude longitude geofence { id name } vehicle { id } }
} }`
const ALERTS = 'query ($f: AlertFilter) { alerts(filter: $f, first: 50) { totalCount nodes { id kind severity status message details vehicle { id } geofence { id } raisedAt acknowledgedAt resolvedAt version } } }'

async function setup (t: Test) {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0' } })
  const manager = await app.login('fleet_manager@fleet.example')
  const vehicles = ok(await app.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id version lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .filter((v: any) => v.lastPosition === null)
  const gql = async <T = any>(query: string, variables: object = {}, token = manager) => await app.gql<T>(query, variables, token)
  const record = async (vehicleId: string, fixes: object[]) => ok(await gql(RECORD, { input: fixes.map((f) => ({ ...f, vehicleId })) })).recordPositions
  const events = async (filter: object) => ok(await gql(EVENTS, { f: filter })).geofenceEvents
  return { ...app, manager, vehicles, gql, record, events }
}

void t.test('geofence CRUD: shapes, validation, versions, soft delete', async (t) => {
  const s = await setup(t)
  const circle = ok(await s.gql(CREATE, { input: { name: 'Harbour', shape: 'CIRCLE', center: CENTER, radius: 250, speedLimit: 40, alertOnExit: true } })).createGeofence
  t.match(circle, { name: 'Harbour', shape: 'CIRCLE', center: CENTER, radius: 0.25, polygon: null, dwellTime: 30, margin: 25, speedLimit: 40, alertOnEnter: false, alertOnExit: true, version: 1 })
  const ring = [CENTER, offset(CENTER, 90, 500), offset(CENTER, 0, 500)]
  const polygon = ok(await s.gql(CREATE, { input: { name: 'Triangle', shape: 'POLYGON', polygon: [...ring, ring[0]], dwellTime: 0, margin: 5 } })).createGeofence
  t.equal(polygon.polygon.length, 3, 'a closed ring is stored open')
  t.equal(polygon.radius, null)

  const bad = async (input: object, field: string, label: string) => refused(t, await s.gql(CREATE, { input: { name: `Bad ${label}`, ...input } }), 'BAD_USER_INPUT', field, label)
  await bad({ shape: 'CIRCLE', radius: 10 }, 'input.center', 'circle without center')
  await bad({ shape: 'CIRCLE', center: CENTER }, 'input.radius', 'circle without radius')
  await bad({ shape: 'CIRCLE', center: CENTER, radius: 200_000 }, 'input.radius', 'radius over 100 km')
  await bad({ shape: 'CIRCLE', center: { latitude: 95, longitude: 0 }, radius: 10 }, 'input.center.latitude', 'latitude out of range')
  await bad({ shape: 'POLYGON', polygon: ring.slice(0, 2) }, 'input.polygon', 'two vertices')
  await bad({ shape: 'POLYGON', polygon: ring, radius: 5 }, 'input.radius', 'a polygon with a radius')
  await bad({ shape: 'CIRCLE', center: CENTER, radius: 10, dwellTime: -1 }, 'input.dwellTime', 'negative dwell')
  await bad({ shape: 'CIRCLE', center: CENTER, radius: 10, speedLimit: 1000 }, 'input.speedLimit', 'speed limit')
  refused(t, await s.gql(CREATE, { input: { name: 'Harbour', shape: 'CIRCLE', center: CENTER, radius: 10 } }), 'CONFLICT', 'input.name', 'duplicate name')
  const otherFacility = ok(await s.gql('{ facilities(first: 1) { nodes { id } } }', {}, await s.login('fleet_manager@other.example'))).facilities.nodes[0].id
  refused(t, await s.gql(CREATE, { input: { name: 'Foreign', shape: 'CIRCLE', center: CENTER, radius: 10, facilityId: otherFacility } }), 'BAD_USER_INPUT', 'input.facilityId', 'another organization\'s facility')

  const reshaped = ok(await s.gql(UPDATE, { id: circle.id, input: { expectedVersion: 1, shape: 'POLYGON', polygon: ring, margin: 10 } })).updateGeofence
  t.match(reshaped, { shape: 'POLYGON', center: null, radius: null, margin: 10, speedLimit: 40, version: 2 })
  refused(t, await s.gql(UPDATE, { id: circle.id, input: { expectedVersion: 1, name: 'Stale' } }), 'CONFLICT', 'input.expectedVersion', 'stale version')
  refused(t, await s.gql(UPDATE, { id: circle.id, input: { expectedVersion: 2, shape: 'CIRCLE' } }), 'BAD_USER_INPUT', 'input.center', 'a new shape needs its own fields')
  t.match(ok(await s.gql(UPDATE, { id: circle.id, input: { expectedVersion: 2, speedLimit: null } })).updateGeofence, { speedLimit: null, version: 3 })

  const names = async () => ok(await s.gql('{ geofences(first: 100) { totalCount nodes { name } } }')).geofences.nodes.map((g: any) => g.name)
  t.ok((await names()).includes('Triangle'))
  t.same(ok(await s.gql('mutation ($id: ID!) { deleteGeofence(id: $id) }', { id: polygon.id })), { deleteGeofence: true })
  t.notOk((await names()).includes('Triangle'), 'gone from the list')
  t.same(ok(await s.gql('query ($id: ID!) { geofence(id: $id) { id } }', { id: polygon.id })), { geofence: null })
  t.same(codes(await s.gql('mutation ($id: ID!) { deleteGeofence(id: $id) }', { id: polygon.id })), ['NOT_FOUND'], 'deleting twice')
  t.same(codes(await s.gql(UPDATE, { id: polygon.id, input: { expectedVersion: 1, name: 'Back' } })), ['NOT_FOUND'], 'a deleted geofence cannot be updated')
  ok(await s.gql(CREATE, { input: { name: 'Triangle', shape: 'POLYGON', polygon: ring } }))
  t.pass('the name of a deleted geofence can be used again')
  t.same(codes(await s.gql(CREATE, { input: { name: 'Mine', shape: 'CIRCLE', center: CENTER, radius: 10 } }, await s.login('dispatcher@fleet.example'))), ['FORBIDDEN'])
})

void t.test('crossings: dwell time and margin keep GPS drift from faking entries and exits', async (t) => {
  const s = await setup(t)
  const vehicleId = s.vehicles[0].id as string
  const fence = ok(await s.gql(CREATE, { input: { name: 'Depot', shape: 'CIRCLE', center: CENTER, radius: 200, dwellTime: 30, margin: 20 } })).createGeofence
  const start = new Date(Date.now() - 60 * MINUTE)
  const at = (seconds: number): string => new Date(start.getTime() + seconds * 1000).toISOString()
  const fix = (seconds: number, bearing: number, meters: number, extra: object = {}) => ({ ...offset(CENTER, bearing, meters), recordedAt: at(seconds), speed: 10, accuracy: 5, ...extra })

  // Outside, then deep inside for 40 s: one ENTER, dated at the first fix inside.
  await s.record(vehicleId, [fix(0, 0, 1000), fix(10, 0, 600), fix(20, 0, 100), fix(30, 0, 50), fix(40, 0, 20), fix(50, 0, 10), fix(60, 0, 5)])
  let events = await s.events({ vehicleIds: [vehicleId] })
  t.same(events.nodes.map((e: any) => [e.kind, e.occurredAt, e.confirmedAt]), [['ENTER', at(20), at(50)]], 'ENTER once the dwell time has passed')
  t.equal(events.nodes[0].geofence.id, fence.id)

  // Wandering along the edge: 195 to 215 m from the centre, within the 20 m margin, for 3 minutes.
  await s.record(vehicleId, Array.from({ length: 18 }, (_, i) => fix(70 + i * 10, 90, i % 2 === 0 ? 195 : 215)))
  // A brief excursion well outside, shorter than the dwell time.
  await s.record(vehicleId, [fix(260, 90, 400), fix(270, 90, 400), fix(280, 90, 150)])
  // Fixes far outside but too inaccurate to trust.
  await s.record(vehicleId, [fix(290, 90, 2000, { accuracy: 800 }), fix(330, 90, 2000, { accuracy: 800 })])
  t.equal((await s.events({ vehicleIds: [vehicleId] })).totalCount, 1, 'no crossing from drift, a short excursion or inaccurate fixes')

  // Leaving for good.
  await s.record(vehicleId, [fix(400, 180, 300), fix(420, 180, 600), fix(440, 180, 900)])
  events = await s.events({ vehicleIds: [vehicleId], kind: 'EXIT' })
  t.same(events.nodes.map((e: any) => [e.kind, e.occurredAt]), [['EXIT', at(400)]], 'EXIT dated at the first fix beyond the margin')
  t.equal((await s.events({ geofenceIds: [fence.id] })).totalCount, 2)
  t.equal((await s.events({ vehicleIds: [vehicleId], from: at(100), to: at(1000) })).totalCount, 1, 'time filter')
  refused(t, await s.gql(EVENTS, { f: { from: at(100), to: at(50) } }), 'BAD_USER_INPUT', 'filter.to')

  // A polygon with no dwell time: the crossing counts at the first fix past the margin.
  const square = [offset(CENTER, 45, 3000), offset(CENTER, 135, 3000), offset(CENTER, 225, 3000), offset(CENTER, 315, 3000)]
  const box = ok(await s.gql(CREATE, { input: { name: 'Square', shape: 'POLYGON', polygon: square, dwellTime: 0, margin: 10 } })).createGeofence
  const other = s.vehicles[1].id as string
  await s.record(other, drive(offset(CENTER, 0, 5000), { from: new Date(start.getTime() + 1000_000), count: 40, stepSeconds: 10, speedKmh: 72, bearing: 180 }))
  const crossings = (await s.events({ vehicleIds: [other], geofenceIds: [box.id] })).nodes.map((e: any) => e.kind).reverse()
  t.same(crossings, ['ENTER', 'EXIT'], 'a straight drive through the square enters and leaves it')
})

void t.test('alerts: speeding after the minimum duration, geofence alerts, acknowledge and resolve', async (t) => {
  const s = await setup(t)
  const [first, second] = s.vehicles as [any, any]
  ok(await s.gql('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, speedLimit: 80 }) { speedLimit mph: speedLimit(unit: MILES_PER_HOUR) } }', { id: first.id, v: first.version }))
  const start = new Date(Date.now() - 30 * MINUTE)
  const summary = async () => ok(await s.gql('{ fleetSummary { openAlerts } }')).fleetSummary.openAlerts
  const openBefore = await summary()

  // 100 km/h for 20 s: below SPEEDING_MIN_SECONDS (30), no alert; then again for 40 s: one alert.
  await s.record(first.id, drive(CENTER, { from: start, count: 3, stepSeconds: 10, speedKmh: 100, bearing: 0 }))
  await s.record(first.id, drive(offset(CENTER, 0, 600), { from: new Date(start.getTime() + 30_000), count: 2, stepSeconds: 10, speedKmh: 60, bearing: 0 }))
  await s.record(first.id, drive(offset(CENTER, 0, 1000), { from: new Date(start.getTime() + 60_000), count: 6, stepSeconds: 10, speedKmh: 100, bearing: 0 }))
  const speeding = ok(await s.gql(ALERTS, { f: { vehicleIds: [first.id] } })).alerts
  t.equal(speeding.totalCount, 1, 'one alert for the episode that lasted')
  t.match(speeding.nodes[0], { kind: 'SPEEDING', severity: 'WARNING', status: 'OPEN', message: /100 km\/h where the limit is 80/, details: { limitKmh: 80, maxSpeedKmh: 100 }, vehicle: { id: first.id } })
  t.equal(speeding.nodes[0].raisedAt, new Date(start.getTime() + 90_000).toISOString(), 'raised 30 s into the episode')

  // A geofence with its own, lower limit and alerts on entry.
  const zone = ok(await s.gql(CREATE, { input: { name: 'School zone', shape: 'CIRCLE', center: CENTER, radius: 2000, dwellTime: 0, margin: 10, speedLimit: 30, alertOnEnter: true } })).createGeofence
  await s.record(second.id, drive(CENTER, { from: start, count: 5, stepSeconds: 10, speedKmh: 60, bearing: 90 }))
  const zoneAlerts = ok(await s.gql(ALERTS, { f: { vehicleIds: [second.id] } })).alerts.nodes
  t.same(zoneAlerts.map((a: any) => a.kind).sort(), ['GEOFENCE_ENTER', 'SPEEDING'], 'entry alert, and speeding against the zone\'s limit')
  t.match(zoneAlerts.find((a: any) => a.kind === 'GEOFENCE_ENTER'), { severity: 'INFO', geofence: { id: zone.id }, message: /entered School zone/ })
  t.match(zoneAlerts.find((a: any) => a.kind === 'SPEEDING'), { severity: 'CRITICAL', details: { limitKmh: 30 } }, '30 km/h over is critical')
  t.equal(await summary(), openBefore + 3, 'fleetSummary counts open alerts')

  const alertId = speeding.nodes[0].id as string
  const dispatcher = await s.login('dispatcher@fleet.example')
  const acknowledged = ok(await s.gql('mutation ($id: ID!) { acknowledgeAlert(id: $id) { status acknowledgedAt resolvedAt version } }', { id: alertId }, dispatcher)).acknowledgeAlert
  t.match(acknowledged, { status: 'ACKNOWLEDGED', resolvedAt: null, version: 2 })
  t.type(acknowledged.acknowledgedAt, 'string')
  t.match(ok(await s.gql('mutation ($id: ID!) { acknowledgeAlert(id: $id) { status version } }', { id: alertId }, dispatcher)).acknowledgeAlert, { status: 'ACKNOWLEDGED', version: 2 }, 'acknowledging twice changes nothing')
  t.match(ok(await s.gql('mutation ($id: ID!) { resolveAlert(id: $id) { status version } }', { id: alertId }, dispatcher)).resolveAlert, { status: 'RESOLVED', version: 3 })
  refused(t, await s.gql('mutation ($id: ID!) { acknowledgeAlert(id: $id) { status } }', { id: alertId }, dispatcher), 'CONFLICT', 'id', 'a resolved alert')
  t.match(ok(await s.gql('mutation ($id: ID!) { resolveAlert(id: $id) { status version } }', { id: alertId }, dispatcher)).resolveAlert, { status: 'RESOLVED', version: 3 })
  const direct = zoneAlerts[0].id as string
  t.match(ok(await s.gql('mutation ($id: ID!) { resolveAlert(id: $id) { status acknowledgedAt } }', { id: direct }, await s.login('mechanic@fleet.example'))).resolveAlert, { status: 'RESOLVED' }, 'resolving an open alert acknowledges it too')
  t.equal(await summary(), openBefore + 1)

  const byStatus = async (status: string[]) => ok(await s.gql(ALERTS, { f: { status, vehicleIds: [first.id, second.id] } })).alerts.totalCount
  t.equal(await byStatus(['RESOLVED']), 2)
  t.equal(await byStatus(['OPEN', 'ACKNOWLEDGED']), 1)
  t.equal(ok(await s.gql(ALERTS, { f: { kind: ['GEOFENCE_ENTER'], vehicleIds: [second.id] } })).alerts.totalCount, 1)
  t.same(codes(await s.gql('mutation ($id: ID!) { resolveAlert(id: $id) { status } }', { id: alertId }, await s.login('viewer@fleet.example'))), ['FORBIDDEN'])
  t.same(codes(await s.gql('mutation ($id: ID!) { resolveAlert(id: $id) { status } }', { id: '00000000-0000-4000-8000-000000000000' }, dispatcher)), ['NOT_FOUND'])
  t.equal(last<any>(ok(await s.gql(ALERTS, { f: { vehicleIds: [first.id] } })).alerts.nodes).status, 'RESOLVED')
})

void t.test('found in review: a fence smaller than its margin, fences across the antimeridian, dwell across a silence', async (t) => {
  const s = await setup(t)
  const [bay, east, west] = s.vehicles.map((v: any) => v.id as string) as [string, string, string]
  const start = new Date(Date.now() - 60 * MINUTE)
  const at = (seconds: number): string => new Date(start.getTime() + seconds * 1000).toISOString()

  const parking = ok(await s.gql(CREATE, { input: { name: 'Bay 7', shape: 'CIRCLE', center: CENTER, radius: 20, dwellTime: 10 } })).createGeofence
  t.equal(parking.margin, 25, 'the default margin, larger than the radius')
  await s.record(bay, [0, 10, 20].map((seconds) => ({ ...CENTER, recordedAt: at(seconds), speed: 0 })))
  t.same((await s.events({ geofenceIds: [parking.id] })).nodes.map((e: any) => e.kind), ['ENTER'], 'parking in the bay is an entry')

  const dateline: Point = { latitude: 0, longitude: 179.95 }
  const circle = ok(await s.gql(CREATE, { input: { name: 'Dateline circle', shape: 'CIRCLE', center: dateline, radius: 20_000, dwellTime: 0 } })).createGeofence
  const strip = ok(await s.gql(CREATE, { input: { name: 'Dateline strip', shape: 'POLYGON', polygon: [{ latitude: -1, longitude: 179 }, { latitude: -1, longitude: -179 }, { latitude: 1, longitude: -179 }, { latitude: 1, longitude: 179 }], dwellTime: 0 } })).createGeofence
  await s.record(east, [{ latitude: 0, longitude: -179.95, recordedAt: at(0) }, { latitude: 0, longitude: -179.95, recordedAt: at(10) }])
  t.same((await s.events({ vehicleIds: [east] })).nodes.map((e: any) => e.geofence.name).sort(), ['Dateline circle', 'Dateline strip'], 'entered on the far side of the antimeridian')
  await s.record(west, [{ latitude: 0, longitude: 0, recordedAt: at(0) }, { latitude: 0.0001, longitude: 0, recordedAt: at(10) }])
  t.equal((await s.events({ vehicleIds: [west], geofenceIds: [circle.id, strip.id] })).totalCount, 0, 'half a world away is not inside')

  // Outside, then one fix inside, an hour of silence, one more fix inside: the dwell starts again.
  const quiet = s.vehicles[3].id as string
  const gate = ok(await s.gql(CREATE, { input: { name: 'Gate', shape: 'CIRCLE', center: offset(CENTER, 90, 50_000), radius: 500, dwellTime: 60 } })).createGeofence
  const inside = offset(CENTER, 90, 50_000)
  await s.record(quiet, [{ ...inside, recordedAt: at(0) }, { ...inside, recordedAt: at(3600) }])
  t.equal((await s.events({ geofenceIds: [gate.id] })).totalCount, 0, 'a silence is not dwell time')
  await s.record(quiet, [{ ...inside, recordedAt: at(3660) }])
  t.equal((await s.events({ geofenceIds: [gate.id] })).totalCount, 1, 'a minute of fixes inside is')
})
