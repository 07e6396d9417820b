import t, { type Test } from 'tap'
import { buildTestApp, codes, type GraphQLResponse, type TestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { dataFetcher, ok, refused } from './helpers/graphql.js'
import { subscribe } from './helpers/websocket.js'

// Meter readings through the API: a meter's readings never go down in time (unless a replacement
// starts it again), a late entry fits between its neighbours, the latest valid reading is the
// vehicle's odometer or engine hours (on every replica at once), voiding moves the vehicle back,
// and two readings at once cannot both pass the check.

const HOUR = 3_600_000
const KM_PER_MILE = 1.609344
const RECORD = `mutation ($input: RecordMeterReadingInput!) {
  recordMeterReading(input: $input) { id kind value miles: value(unit: MILES) recordedAt source replacement note voidedAt createdAt vehicle { id } }
}`
const VOID = 'mutation ($id: ID!, $reason: String) { voidMeterReading(id: $id, reason: $reason) { id value voidedAt voidReason } }'
const VEHICLE = `query ($id: ID!, $kind: MeterKind, $voided: Boolean, $first: Int, $after: String) {
  vehicle(id: $id) {
    odometer engineHours version
    meterReadings(kind: $kind, includeVoided: $voided, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id kind value recordedAt source replacement voidedAt voidReason }
    }
  }
}`

const ago = (ms: number): string => new Date(Date.now() - ms).toISOString()

interface Setup extends TestApp {
  manager: string
  /**
   * ACTIVE vehicles the demo's tracks left alone (no telemetry to move their meters) and whose
   * service goes by distance: the demo fleet gave each one reading, of its odometer.
   */
  vehicleIds: string[]
  record: (input: Record<string, unknown>, token?: string) => Promise<GraphQLResponse<any>>
  vehicle: (id: string, args?: Record<string, unknown>, token?: string) => Promise<any>
}

async function setup (t: Test, app?: TestApp): Promise<Setup> {
  const s = app ?? await buildTestApp(t)
  const manager = await s.login('fleet_manager@fleet.example')
  const vehicleIds = ok(await s.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE], type: [CAR, VAN, PICKUP] }) { nodes { id lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .filter((v: { lastPosition: unknown }) => v.lastPosition === null).map((v: { id: string }) => v.id)
  return {
    ...s,
    manager,
    vehicleIds,
    record: async (input, token = manager) => await s.gql<any>(RECORD, { input }, token),
    vehicle: async (id, args = {}, token = manager) => ok(await s.gql<any>(VEHICLE, { id, ...args }, token)).vehicle
  }
}

void t.test('readings: units, the vehicle follows, refusals, a late entry, a replacement', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const start = await s.vehicle(vehicleId)
  t.match(start.meterReadings, { totalCount: 1, nodes: [{ kind: 'ODOMETER', source: 'IMPORT', value: start.odometer }] }, 'the demo fleet comes with its last odometer reading')
  const km = start.odometer as number

  const first = ok(await s.record({ vehicleId, kind: 'ODOMETER', value: km + 100, recordedAt: ago(5 * HOUR), note: 'Yard check' })).recordMeterReading
  t.match(first, { kind: 'ODOMETER', value: km + 100, source: 'MANUAL', replacement: false, note: 'Yard check', voidedAt: null, vehicle: { id: vehicleId } })
  let v = await s.vehicle(vehicleId)
  t.equal(v.odometer, km + 100, 'the latest reading is the vehicle\'s odometer')
  t.equal(v.version, start.version, 'a reading is not an edit of the vehicle: same version')

  // Miles, converted as every distance is, stored to a tenth of a kilometre.
  const miles = (km + 300) / KM_PER_MILE
  const inMiles = ok(await s.record({ vehicleId, kind: 'ODOMETER', value: miles, unit: 'MILES', recordedAt: ago(3 * HOUR) })).recordMeterReading
  t.equal(inMiles.value, Math.round(miles * KM_PER_MILE * 10) / 10, 'given in miles, read in kilometres')
  t.equal(inMiles.miles, Math.round(inMiles.value / KM_PER_MILE * 10) / 10, 'and in miles')
  t.equal((await s.vehicle(vehicleId)).odometer, inMiles.value)

  // Lower than the reading before it: refused, naming that reading.
  const lower = await s.record({ vehicleId, kind: 'ODOMETER', value: km + 250, recordedAt: ago(2 * HOUR) })
  refused(t, lower, 'BAD_USER_INPUT', 'input.value', 'lower than the one before')
  t.match(lower.errors?.[0]?.message, `lower than the reading before it, ${inMiles.value.toFixed(1)} km at ${inMiles.recordedAt}`, 'the message names its value and time')
  const lowerInMiles = await s.record({ vehicleId, kind: 'ODOMETER', value: 1, unit: 'MILES' })
  t.match(lowerInMiles.errors?.[0]?.message, /^The odometer reading 1\.0 mi is lower than the reading before it, [\d.]+ mi at /, 'in the unit it was given in')

  // A late entry fits between its neighbours.
  const late = ok(await s.record({ vehicleId, kind: 'ODOMETER', value: km + 200, recordedAt: ago(4 * HOUR) })).recordMeterReading
  t.equal(late.value, km + 200, 'between the two, in value and in time')
  t.equal((await s.vehicle(vehicleId)).odometer, inMiles.value, 'a late entry does not move the vehicle: it is not the latest')
  const tooHigh = await s.record({ vehicleId, kind: 'ODOMETER', value: km + 400, recordedAt: ago(4.5 * HOUR) })
  refused(t, tooHigh, 'BAD_USER_INPUT', 'input.value', 'higher than the one after')
  t.match(tooHigh.errors?.[0]?.message, `higher than the reading after it, ${(km + 200).toFixed(1)} km at ${late.recordedAt}`)
  refused(t, await s.record({ vehicleId, kind: 'ODOMETER', value: km + 400, recordedAt: ago(4.5 * HOUR), replacement: true }), 'BAD_USER_INPUT', 'input.value',
    'a replacement is compared with the readings after it')

  // A replacement starts the meter again: lower is fine, and what follows is compared with it.
  const replaced = ok(await s.record({ vehicleId, kind: 'ODOMETER', value: 12, recordedAt: ago(HOUR), replacement: true, note: 'New instrument cluster' })).recordMeterReading
  t.match(replaced, { value: 12, replacement: true })
  t.equal((await s.vehicle(vehicleId)).odometer, 12, 'the vehicle shows the new meter')
  refused(t, await s.record({ vehicleId, kind: 'ODOMETER', value: 11 }), 'BAD_USER_INPUT', 'input.value', 'after a replacement, lower than it is refused')
  ok(await s.record({ vehicleId, kind: 'ODOMETER', value: km + 350, recordedAt: ago(1.5 * HOUR) }))
  t.pass('a late entry before the replacement belongs to the old meter: above the readings before it, and the replacement does not cap it')
  const now = ok(await s.record({ vehicleId, kind: 'ODOMETER', value: 40 })).recordMeterReading
  t.ok(Math.abs(Date.parse(now.recordedAt) - Date.parse(now.createdAt)) < 1000, 'recordedAt defaults to the time of recording')
  t.equal((await s.vehicle(vehicleId)).odometer, 40)

  // Engine hours: in hours whatever the unit; the vehicle follows too.
  const hours = ok(await s.record({ vehicleId, kind: 'ENGINE_HOURS', value: start.engineHours + 12.34, unit: 'MILES' })).recordMeterReading
  t.equal(hours.value, Math.round((start.engineHours + 12.34) * 10) / 10, 'hours, to a tenth')
  t.equal(hours.miles, hours.value, 'a unit of distance does not apply to hours')
  v = await s.vehicle(vehicleId)
  t.equal(v.engineHours, hours.value)
  t.equal(v.version, start.version, 'still the same version')

  // Newest first, by meter, in keyset pages.
  const odometer = await s.vehicle(vehicleId, { kind: 'ODOMETER', first: 3 })
  t.equal(odometer.meterReadings.totalCount, 7, 'the demo\'s reading and six of ours')
  t.same(odometer.meterReadings.nodes.map((r: any) => r.value), [40, 12, km + 350], 'newest first')
  const rest = await s.vehicle(vehicleId, { kind: 'ODOMETER', first: 10, after: odometer.meterReadings.pageInfo.endCursor })
  t.same(rest.meterReadings.nodes.map((r: any) => r.value), [inMiles.value, km + 200, km + 100, km], 'the next page')
  t.equal((await s.vehicle(vehicleId, { kind: 'ENGINE_HOURS' })).meterReadings.totalCount, 1, 'by kind')
  t.equal((await s.vehicle(vehicleId)).meterReadings.totalCount, 8, 'both meters: the demo\'s and our seven')

  // Only the readings changed the audit trail, not the vehicle.
  const admin = dataFetcher(s.gql, await s.login('admin@fleet.example'))
  const trail = (await admin<any>('{ auditLog(filter: { operation: "recordMeterReading" }, first: 50) { nodes { entity action changes { field } } } }')).auditLog.nodes
  t.equal(trail.length, 7, 'one record per reading recorded (none for those refused)')
  t.ok(trail.every((e: any) => e.entity === 'MeterReading' && e.action === 'CREATE'), 'each a MeterReading CREATE: the vehicle\'s meters moved without an edit')
})

void t.test('what a reading must be', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a negative value', { value: -1 }, 'input.value'],
    ['beyond any odometer', { value: 20_000_000 }, 'input.value'],
    ['beyond any hour meter', { kind: 'ENGINE_HOURS', value: 2_000_000 }, 'input.value'],
    ['an hour ahead', { recordedAt: new Date(Date.now() + HOUR).toISOString() }, 'input.recordedAt'],
    ['before 1990', { recordedAt: '1989-12-31T23:59:59Z' }, 'input.recordedAt'],
    ['a note too long', { note: 'x'.repeat(1001) }, 'input.note'],
    ['a note with control characters', { note: 'a\u0007b' }, 'input.note'],
    ['not a vehicle id', { vehicleId: 'V-001' }, 'input.vehicleId']
  ]
  for (const [label, input, field] of cases) {
    refused(t, await s.record({ vehicleId, kind: 'ODOMETER', value: 99_999, ...input }), 'BAD_USER_INPUT', field, label)
  }
  refused(t, await s.record({ vehicleId: '00000000-0000-4000-8000-000000000000', kind: 'ODOMETER', value: 1 }), 'NOT_FOUND', undefined, 'an unknown vehicle')
  const ahead = ok(await s.record({ vehicleId, kind: 'ODOMETER', value: 9_999_999, recordedAt: new Date(Date.now() + 60_000).toISOString() })).recordMeterReading
  t.ok(ahead.id, 'a clock a minute ahead is still now')
  t.equal((await s.vehicle(vehicleId, { first: 1 })).meterReadings.totalCount, 2, 'the demo\'s and that one: nothing else was recorded')
})

void t.test('voiding: kept, left out of the sequence, and the vehicle goes back', async (t) => {
  const s = await setup(t)
  const [vehicleId, otherId] = s.vehicleIds as [string, string]
  const km = (await s.vehicle(vehicleId)).odometer as number
  const [a, b] = [
    ok(await s.record({ vehicleId, kind: 'ODOMETER', value: km + 10, recordedAt: ago(3 * HOUR) })).recordMeterReading,
    ok(await s.record({ vehicleId, kind: 'ODOMETER', value: km + 1000, recordedAt: ago(HOUR), note: 'typo' })).recordMeterReading
  ]
  t.equal((await s.vehicle(vehicleId)).odometer, km + 1000)
  refused(t, await s.record({ vehicleId, kind: 'ODOMETER', value: km + 20 }), 'BAD_USER_INPUT', 'input.value', 'the typo refuses the right value')

  const voided = ok(await s.gql<any>(VOID, { id: b.id, reason: 'Typed an extra zero' }, s.manager)).voidMeterReading
  t.match(voided, { id: b.id, value: km + 1000, voidReason: 'Typed an extra zero' })
  t.ok(voided.voidedAt, 'marked void')
  t.equal((await s.vehicle(vehicleId)).odometer, km + 10, 'the vehicle goes back to the latest valid reading')
  t.same(ok(await s.gql<any>(VOID, { id: b.id, reason: 'again' }, s.manager)).voidMeterReading, voided, 'voiding it again changes nothing')

  const listed = await s.vehicle(vehicleId, { kind: 'ODOMETER' })
  t.notOk(listed.meterReadings.nodes.some((r: any) => r.id === b.id), 'left out of the list')
  const all = await s.vehicle(vehicleId, { kind: 'ODOMETER', voided: true })
  t.match(all.meterReadings.nodes[0], { id: b.id, voidReason: 'Typed an extra zero' }, 'unless asked for')
  ok(await s.record({ vehicleId, kind: 'ODOMETER', value: km + 20, recordedAt: ago(2 * HOUR) }))
  t.pass('and out of the sequence: what it refused is accepted')
  t.equal((await s.vehicle(vehicleId)).odometer, km + 20)

  // Voiding a reading that is not the latest leaves the vehicle alone.
  ok(await s.gql(VOID, { id: a.id }, s.manager))
  t.equal((await s.vehicle(vehicleId)).odometer, km + 20, 'not the latest: the vehicle keeps its value')

  // With no reading left, the vehicle keeps its value.
  const other = await s.vehicle(otherId, { kind: 'ODOMETER' })
  const only = ok(await s.record({ vehicleId: otherId, kind: 'ENGINE_HOURS', value: other.engineHours + 5 })).recordMeterReading
  ok(await s.gql(VOID, { id: only.id }, s.manager))
  t.equal((await s.vehicle(otherId)).engineHours, other.engineHours + 5, 'no engine-hour reading left: the vehicle keeps its value')

  refused(t, await s.gql(VOID, { id: '00000000-0000-4000-8000-000000000000' }, s.manager), 'NOT_FOUND', undefined, 'an unknown reading')
  refused(t, await s.gql(VOID, { id: 'reading-1' }, s.manager), 'BAD_USER_INPUT', 'id', 'not an id')
  refused(t, await s.gql(VOID, { id: a.id, reason: 'x'.repeat(501) }, s.manager), 'BAD_USER_INPUT', 'reason', 'a reason too long')
  refused(t, await s.gql(VOID, { id: a.id }, await s.login('mechanic@fleet.example')), 'FORBIDDEN', undefined, 'mechanics record readings, managers void them')
})

void t.test('two readings of one meter at once: when they conflict, exactly one is refused', async (t) => {
  const s = await setup(t)
  const [vehicleId] = s.vehicleIds as [string]
  let km = (await s.vehicle(vehicleId)).odometer as number
  for (let round = 0; round < 6; round++) {
    // Each would pass alone; together, the earlier in time is higher than the later.
    const later = { vehicleId, kind: 'ODOMETER', value: km + 100, recordedAt: ago((20 - round * 3) * 60_000) }
    const earlier = { vehicleId, kind: 'ODOMETER', value: km + 200, recordedAt: ago((21 - round * 3) * 60_000) }
    const answers = await Promise.all([s.record(later), s.record(earlier)])
    t.same(answers.map(codes).flat().sort(), ['BAD_USER_INPUT'], `round ${round + 1}: one recorded, one refused`)
    const stored = (answers.find((r) => r.errors === undefined)?.data as any).recordMeterReading.value as number
    t.equal((await s.vehicle(vehicleId)).odometer, stored, `round ${round + 1}: the vehicle shows the one recorded`)
    km = stored
  }
  const values = (await s.vehicle(vehicleId, { kind: 'ODOMETER', first: 50 })).meterReadings.nodes.map((r: any) => r.value)
  t.same(values, [...values].sort((x, y) => y - x), 'the sequence never goes down')
})

void t.test('a replica never serves the old odometer; subscribers hear of the change', { skip: usingPostgres ? false : 'two replicas need one shared PostgreSQL database' }, async (t) => {
  const database = await demoDatabase(t)
  const a = await setup(t, await buildTestApp(t, { database }))
  const b = await buildTestApp(t, { database })
  const viewer = await b.login('viewer@fleet.example')
  const [vehicleId] = a.vehicleIds as [string]
  const read = async (): Promise<{ odometer: number, engineHours: number }> => ok(await b.gql<any>('query ($id: ID!) { vehicle(id: $id) { odometer engineHours } }', { id: vehicleId }, viewer)).vehicle
  const before = await read()
  t.same(await read(), before, 'B\'s cache holds the vehicle')

  const url = `${(await b.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
  const client = await subscribe(t, url, `Bearer ${viewer}`, 'subscription { vehicleChanged { kind vehicle { id odometer } } }')
  if ('refused' in client) throw new Error(`subscription refused: ${client.refused}`)

  const reading = ok(await a.record({ vehicleId, kind: 'ODOMETER', value: before.odometer + 42 })).recordMeterReading
  t.equal((await read()).odometer, before.odometer + 42, 'B reads the new odometer at once')
  const [event] = await client.waitFor(1)
  t.same(event.data.vehicleChanged, { kind: 'UPDATED', vehicle: { id: vehicleId, odometer: before.odometer + 42 } }, 'vehicleChanged UPDATED, with the new odometer')

  ok(await a.gql(VOID, { id: reading.id }, a.manager))
  t.equal((await read()).odometer, before.odometer, 'voided on A: B reads the odometer it went back to')
  await client.waitFor(2)
  ok(await a.record({ vehicleId, kind: 'ENGINE_HOURS', value: before.engineHours + 1 }))
  t.equal((await read()).engineHours, before.engineHours + 1, 'engine hours too')
  client.close()
})

void t.test('a DRIVER records and reads the meters of the vehicle it drives now, of no other', async (t) => {
  const s = await setup(t)
  const driver = await s.login('driver@fleet.example')
  const { me } = ok(await s.gql<any>('{ me { driver { currentVehicle { id odometer } currentAssignment { id } } } }', {}, driver))
  const own = me.driver.currentVehicle
  const other = s.vehicleIds.find((id) => id !== own.id) as string
  const readingsOfOther = (await s.vehicle(other, { first: 1 })).meterReadings.totalCount as number

  const mine = ok(await s.record({ vehicleId: own.id, kind: 'ODOMETER', value: own.odometer + 5 }, driver)).recordMeterReading
  t.match(mine, { source: 'MANUAL', value: own.odometer + 5 })
  t.equal((await s.vehicle(own.id, { first: 1 }, driver)).meterReadings.nodes[0].id, mine.id, 'it reads its vehicle\'s readings')
  refused(t, await s.record({ vehicleId: other, kind: 'ODOMETER', value: 999_999 }, driver), 'NOT_FOUND', undefined, 'another vehicle is not found, as an unknown one')
  t.equal((await s.vehicle(other, { first: 1 })).meterReadings.totalCount, readingsOfOther, 'and got no reading')

  // Its assignment ends: the vehicle, reached through that past assignment, shows no readings.
  ok(await s.gql('mutation ($id: ID!) { endAssignment(id: $id) { id } }', { id: me.driver.currentAssignment.id }, s.manager))
  const past = ok(await s.gql<any>('{ me { driver { assignments(first: 20) { nodes { vehicle { id meterReadings { totalCount nodes { id } } } } } } } }', {}, driver))
  const reached = past.me.driver.assignments.nodes.map((a: any) => a.vehicle).find((v: any) => v.id === own.id)
  t.same(reached.meterReadings, { totalCount: 0, nodes: [] }, 'not its vehicle now: no readings')
  refused(t, await s.record({ vehicleId: own.id, kind: 'ODOMETER', value: own.odometer + 6 }, driver), 'NOT_FOUND', undefined, 'nor may it record one')
})

void t.test('a page of vehicles with their readings costs a constant number of statements', async (t) => {
  const s = await setup(t, await buildTestApp(t, { env: { CACHE_TTL_SECONDS: '0' } }))
  const query = async (n: number) => await s.gql<any>(`{ vehicles(first: ${n}) { nodes { meterReadings(first: 3) { totalCount nodes { value vehicle { id } } } } } }`, {}, s.manager)
  const few = await query(5)
  const many = await query(50)
  t.equal(ok(many).vehicles.nodes.length, 50)
  t.ok(ok(many).vehicles.nodes.every((v: any) => v.meterReadings.nodes.length >= 1), 'every vehicle has readings to load')
  t.ok(ok(many).vehicles.nodes.some((v: any) => v.meterReadings.nodes.length === 3), 'pages of three')
  // viewer, vehicles, reading pages, reading counts, vehicles by id
  t.equal(s.statementsOf(few), 5, '5 statements for 5 vehicles')
  t.equal(s.statementsOf(many), 5, 'and for 50')
})
