import t, { type Test } from 'tap'
import { allPages, ok, refused } from './helpers/graphql.js'
import { buildTestApp, codes } from './helpers/app.js'

// The vehicle registry through the public GraphQL surface, against the demo fleet: `demo` has
// V-001..V-050 (2 RETIRED, 4 IN_SHOP, 2 OUT_OF_SERVICE, 33 with a current driver, spread over
// NORTH 17 / SHOP 17 / SOUTH 16), `other` has O-001..O-006.

const VEHICLE = `id number name vin make model year licensePlate type status fuelType odometer engineHours
  facility { id code } currentDriver { id } retiredAt createdAt updatedAt version`
const LIST = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: VehicleFilter, $orderBy: VehicleOrder) {
  vehicles(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${VEHICLE} } }
  }
}`
const GET = `query ($id: ID!) { vehicle(id: $id) { ${VEHICLE} } }`
const CREATE = `mutation ($input: CreateVehicleInput!) { createVehicle(input: $input) { ${VEHICLE} } }`
const UPDATE = `mutation ($id: ID!, $input: UpdateVehicleInput!) { updateVehicle(id: $id, input: $input) { ${VEHICLE} } }`
const RETIRE = `mutation ($id: ID!) { retireVehicle(id: $id) { ${VEHICLE} } }`
const ORG = '{ me { organization { version settings { vinCheckDigitRequired } } } }'
const SETTINGS = `mutation ($input: UpdateOrganizationSettingsInput!) {
  updateOrganizationSettings(input: $input) { version settings { vinCheckDigitRequired } }
}`

interface Vehicle {
  id: string, number: string, name: string, vin: string, make: string, model: string, year: number, licensePlate: string | null
  type: string, status: string, fuelType: string, odometer: number, engineHours: number, facility: { id: string, code: string } | null
  currentDriver: { id: string } | null, retiredAt: string | null, createdAt: string, updatedAt: string, version: number
}
interface PageInfo { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }
interface Connection { totalCount: number, pageInfo: PageInfo, edges: Array<{ cursor: string, node: Vehicle }> }
interface ListArgs { first?: number, after?: string | null, last?: number, before?: string | null, filter?: Record<string, unknown>, orderBy?: { field: string, direction: 'ASC' | 'DESC' } }
type Input = Record<string, unknown>

const ORDER_KEYS: Record<string, (v: Vehicle) => string | number> = {
  NUMBER: (v) => v.number,
  NAME: (v) => v.name,
  YEAR: (v) => v.year,
  ODOMETER: (v) => v.odometer,
  CREATED_AT: (v) => v.createdAt,
  UPDATED_AT: (v) => v.updatedAt
}

/** An independent implementation of the North American VIN check digit (49 CFR 565), as an oracle. */
function withCheckDigit (draft: string): string {
  const letters = 'A1B2C3D4E5F6G7H8J1K2L3M4N5P7R9S2T3U4V5W6X7Y8Z9'
  const value = (c: string): number => /\d/.test(c) ? Number(c) : letters.includes(c) ? Number(letters[letters.indexOf(c) + 1]) : 0
  const weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
  const remainder = [...draft].reduce((sum, c, i) => sum + value(c) * (weights[i] ?? 0), 0) % 11
  return draft.slice(0, 8) + (remainder === 10 ? 'X' : String(remainder)) + draft.slice(9)
}
const vin = (n: number): string => withCheckDigit(`1FTTEST0_${String(n).padStart(8, '0')}`)
const badCheckDigit = (n: number): string => { const good = vin(n); return good.slice(0, 8) + (good[8] === '1' ? '2' : '1') + good.slice(9) }
const newInput = (n: number, extra: Input = {}): Input =>
  ({ number: `T-${n}`, name: `Test vehicle ${n}`, vin: vin(n), make: 'Ford', model: 'Transit', year: 2024, type: 'VAN', fuelType: 'DIESEL', ...extra })

/** Pairs that break (key, id) order in the direction; the API breaks ties by id in the same direction. */
function disorder (nodes: Vehicle[], key: (v: Vehicle) => string | number, direction: 'ASC' | 'DESC'): string[] {
  const sign = direction === 'ASC' ? 1 : -1
  const compare = (a: Vehicle, b: Vehicle): number => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  return nodes.slice(1).flatMap((v, i) => sign * compare(nodes[i] as Vehicle, v) < 0 ? [] : [`${(nodes[i] as Vehicle).number} before ${v.number}`])
}

async function registry (t: Test) {
  const { gql, login } = await buildTestApp(t)
  const manager = await login('fleet_manager@fleet.example')
  const list = async (args: ListArgs, token = manager): Promise<Connection> => ok(await gql<{ vehicles: Connection }>(LIST, { ...args }, token)).vehicles
  const numbers = async (args: ListArgs, token = manager): Promise<string[]> => (await list({ first: 200, ...args }, token)).edges.map((e) => e.node.number)
  const byNumber = async (number: string): Promise<Vehicle> => {
    const found = (await list({ filter: { search: number } })).edges.map((e) => e.node).find((v) => v.number === number)
    if (found === undefined) throw new Error(`no vehicle ${number}`)
    return found
  }
  const facilityIds = async (token = manager): Promise<Record<string, string>> => Object.fromEntries(
    ok(await gql<{ facilities: { nodes: Array<{ id: string, code: string }> } }>('{ facilities { nodes { id code } } }', {}, token)).facilities.nodes.map((f) => [f.code, f.id]))
  return {
    gql,
    login,
    manager,
    list,
    numbers,
    byNumber,
    facilityIds,
    get: async (id: string, token = manager) => await gql<{ vehicle: Vehicle | null }>(GET, { id }, token),
    create: async (input: Input, token = manager) => await gql<{ createVehicle: Vehicle }>(CREATE, { input }, token),
    update: async (id: string, input: Input, token = manager) => await gql<{ updateVehicle: Vehicle }>(UPDATE, { id, input }, token),
    retire: async (id: string, token = manager) => await gql<{ retireVehicle: Vehicle }>(RETIRE, { id }, token),
    /** Pages forward (or backward with `last`) until the end; returns every page. */
    pages: async (args: ListArgs, size: number, backward = false): Promise<Connection[]> =>
      await allPages(async (window) => await list({ ...args, ...window }), size, backward)
  }
}

void t.test('reading the registry', async (t) => {
  const r = await registry(t)
  const all = (await r.list({ first: 200 })).edges.map((e) => e.node)

  await t.test('vehicle(id) returns one vehicle; unknown ids are null, malformed ones BAD_USER_INPUT', async (t) => {
    const first = all[0] as Vehicle
    t.match(ok(await r.get(first.id)).vehicle, { number: 'V-001', name: 'Ford Transit 250 #1', vin: '1FTK8DNY8PG100000', licensePlate: 'FLT6046', type: 'VAN', status: 'ACTIVE', fuelType: 'GASOLINE', year: 2023, facility: { code: 'NORTH' }, version: 1 })
    t.same(ok(await r.get('00000000-0000-4000-8000-000000000000')).vehicle, null)
    refused(t, await r.get('not-a-uuid'), 'BAD_USER_INPUT', 'id')
  })

  await t.test('filters: status, type, facility, assigned, and totalCount follows them', async (t) => {
    t.same(await r.numbers({ filter: { status: ['RETIRED'] } }), ['V-025', 'V-050'])
    t.same(await r.numbers({ filter: { status: ['IN_SHOP', 'OUT_OF_SERVICE'] } }), ['V-012', 'V-018', 'V-024', 'V-037', 'V-043', 'V-049'])
    t.same(await r.numbers({ filter: { type: ['BUS'] } }), ['V-036', 'V-043'])
    t.same(await r.numbers({ filter: { type: ['CAR', 'BUS'] } }), ['V-007', 'V-014', 'V-021', 'V-028', 'V-035', 'V-036', 'V-043', 'V-050'])
    const { NORTH: north } = await r.facilityIds()
    const atNorth = await r.list({ first: 200, filter: { facilityId: north } })
    t.equal(atNorth.totalCount, 17)
    t.same(atNorth.edges.map((e) => e.node.number), all.filter((v) => v.facility?.code === 'NORTH').map((v) => v.number))
    t.same(await r.numbers({ filter: { facilityId: north, type: ['BUS'] } }), ['V-043'], 'filters combine')
    const assigned = await r.list({ first: 200, filter: { assigned: true } })
    const unassigned = await r.list({ first: 200, filter: { assigned: false } })
    t.same([assigned.totalCount, unassigned.totalCount], [33, 17])
    t.ok(assigned.edges.every((e) => e.node.currentDriver !== null), 'assigned: every one has a current driver')
    t.ok(unassigned.edges.every((e) => e.node.currentDriver === null), 'unassigned: none has one')
    const small = await r.list({ first: 2, filter: { status: ['ACTIVE'] } })
    t.same([small.edges.length, small.totalCount, small.pageInfo.hasNextPage], [2, 42, true], 'totalCount counts the filtered set, not the page')
  })

  await t.test('search: number, name, VIN and plate, case-insensitive; % and _ are literal', async (t) => {
    t.same(await r.numbers({ filter: { search: 'v-04' } }), ['V-040', 'V-041', 'V-042', 'V-043', 'V-044', 'V-045', 'V-046', 'V-047', 'V-048', 'V-049'])
    t.same(await r.numbers({ filter: { search: 'sPrInTeR' } }), ['V-003', 'V-010', 'V-017', 'V-046'])
    t.same(await r.numbers({ filter: { search: '1ftk8dny' } }), ['V-001'], 'VIN, lower case')
    t.same(await r.numbers({ filter: { search: 'gov99' } }), ['V-009'], 'licence plate, lower case')
    t.same(await r.numbers({ filter: { search: '  ' } }), all.map((v) => v.number), 'blank search is no search')
    refused(t, await r.gql(LIST, { filter: { search: 'x'.repeat(101) } }, r.manager), 'BAD_USER_INPUT', 'filter.search', 'over-long search')
    refused(t, await r.gql(LIST, { filter: { facilityId: 'north' } }, r.manager), 'BAD_USER_INPUT', 'filter.facilityId', 'malformed facilityId')
    for (const term of ['%', '_', 'V_0', 'V-%1']) {
      t.equal((await r.list({ first: 1, filter: { search: term } })).totalCount, 0, `"${term}" matches nothing`)
    }
  })

  await t.test('orderBy: every field in both directions', async (t) => {
    const firsts: Record<string, string> = {
      NUMBER_ASC: 'V-001', NUMBER_DESC: 'V-050', NAME_ASC: 'V-036', NAME_DESC: 'V-022', YEAR_ASC: 'V-036',
      ODOMETER_DESC: 'V-041', CREATED_AT_ASC: 'V-001', CREATED_AT_DESC: 'V-050'
    }
    for (const [field, key] of Object.entries(ORDER_KEYS)) {
      for (const direction of ['ASC', 'DESC'] as const) {
        const orderBy = { field, direction }
        const nodes = (await r.list({ first: 200, orderBy })).edges.map((e) => e.node)
        t.equal(nodes.length, 50, `${field} ${direction}: all`)
        t.same(disorder(nodes, key, direction), [], `${field} ${direction}: ordered`)
        if (firsts[`${field}_${direction}`] !== undefined) t.equal(nodes[0]?.number, firsts[`${field}_${direction}`], `${field} ${direction}: first`)
        const forward = (await r.pages({ orderBy }, 15)).flatMap((p) => p.edges.map((e) => e.node.id))
        t.same(forward, nodes.map((v) => v.id), `${field} ${direction}: paging forward by 15 gives the same sequence`)
        const backward = (await r.pages({ orderBy }, 15, true)).reverse().flatMap((p) => p.edges.map((e) => e.node.id))
        t.same(backward, nodes.map((v) => v.id), `${field} ${direction}: and so does paging backward`)
      }
    }
    t.same((await r.list({ first: 2, orderBy: { field: 'ODOMETER', direction: 'ASC' } })).edges.map((e) => e.node.odometer), [0, 0], 'trailers first')
  })

  await t.test('keyset pagination forward over all 50: no gaps, no duplicates', async (t) => {
    const pages = await r.pages({}, 7)
    t.equal(pages.length, 8)
    t.same(pages.map((p) => p.edges.length), [7, 7, 7, 7, 7, 7, 7, 1])
    t.same(pages.map((p) => p.pageInfo.hasPreviousPage), [false, true, true, true, true, true, true, true])
    t.same(pages.map((p) => p.pageInfo.hasNextPage), [true, true, true, true, true, true, true, false])
    t.ok(pages.every((p) => p.totalCount === 50))
    const ids = pages.flatMap((p) => p.edges.map((e) => e.node.id))
    t.same(ids, all.map((v) => v.id))
    t.equal(new Set(ids).size, 50)
    const page = pages[1] as Connection
    t.equal(page.pageInfo.startCursor, page.edges[0]?.cursor)
    t.equal(page.pageInfo.endCursor, page.edges.at(-1)?.cursor)
  })

  await t.test('backward pagination with last/before', async (t) => {
    const tail = await r.list({ last: 5 })
    t.same(tail.edges.map((e) => e.node.number), ['V-046', 'V-047', 'V-048', 'V-049', 'V-050'], 'last 5, in list order')
    t.same([tail.pageInfo.hasPreviousPage, tail.pageInfo.hasNextPage], [true, false])
    const before = await r.list({ last: 3, before: tail.pageInfo.startCursor })
    t.same(before.edges.map((e) => e.node.number), ['V-043', 'V-044', 'V-045'])
    t.same([before.pageInfo.hasPreviousPage, before.pageInfo.hasNextPage], [true, true])
    const pages = await r.pages({}, 12, true)
    t.same(pages.map((p) => p.edges.length), [12, 12, 12, 12, 2])
    t.same(pages.reverse().flatMap((p) => p.edges.map((e) => e.node.id)), all.map((v) => v.id))
    const head = await r.list({ last: 10, before: (await r.list({ first: 3 })).pageInfo.endCursor })
    t.same(head.edges.map((e) => e.node.number), ['V-001', 'V-002'])
    t.equal(head.pageInfo.hasPreviousPage, false)
  })

  await t.test('page sizes and cursors are validated', async (t) => {
    refused(t, await r.gql(LIST, { first: 201 }, r.manager), 'BAD_USER_INPUT', 'first', 'first: 201')
    refused(t, await r.gql(LIST, { first: -1 }, r.manager), 'BAD_USER_INPUT', 'first', 'first: -1')
    refused(t, await r.gql(LIST, { last: 500 }, r.manager), 'BAD_USER_INPUT', 'last', 'last: 500')
    refused(t, await r.gql(LIST, { first: 5, last: 5 }, r.manager), 'BAD_USER_INPUT', undefined, 'first and last')
    t.equal((await r.list({ first: 200 })).edges.length, 50, 'first: 200 is allowed')
    t.same((await r.list({})).edges.length, 20, 'default page size')
    const empty = await r.list({ first: 0 })
    t.same([empty.edges.length, empty.totalCount], [0, 50])
    refused(t, await r.gql(LIST, { after: 'garbage!' }, r.manager), 'BAD_USER_INPUT', 'after', 'garbage cursor')
    const forged = Buffer.from(JSON.stringify(['NUMBER_ASC', 'V-001', 'not-a-uuid'])).toString('base64url')
    refused(t, await r.gql(LIST, { after: forged }, r.manager), 'BAD_USER_INPUT', 'after', 'forged cursor')
    const byName = (await r.list({ first: 2, orderBy: { field: 'NAME', direction: 'ASC' } })).pageInfo.endCursor
    refused(t, await r.gql(LIST, { first: 2, after: byName }, r.manager), 'BAD_USER_INPUT', 'after', 'cursor of another ordering')
    refused(t, await r.gql(LIST, { first: 2, after: byName, orderBy: { field: 'NAME', direction: 'DESC' } }, r.manager), 'BAD_USER_INPUT', 'after', 'cursor of the other direction')
    const wrongType = Buffer.from(JSON.stringify(['YEAR_ASC', 'abc', all[0]?.id])).toString('base64url')
    refused(t, await r.gql(LIST, { after: wrongType, orderBy: { field: 'YEAR', direction: 'ASC' } }, r.manager), 'BAD_USER_INPUT', undefined, 'cursor value of the wrong type')
  })

  await t.test('odometer in kilometres (default) and miles', async (t) => {
    const query = 'query ($id: ID!) { vehicle(id: $id) { km: odometer(unit: KILOMETERS) mi: odometer(unit: MILES) plain: odometer } }'
    const v1 = ok(await r.gql<{ vehicle: { km: number, mi: number, plain: number } }>(query, { id: all[0]?.id }, r.manager)).vehicle
    // 78,680 km as registered, plus the 28.8 km of its demo round trip (db/seeds/telematics.ts).
    t.same(v1, { km: 78708.8, mi: 48907.4, plain: 78708.8 })
    const miles = await r.gql<{ vehicles: { nodes: Array<{ km: number, mi: number }> } }>('{ vehicles(first: 200) { nodes { km: odometer mi: odometer(unit: MILES) } } }', {}, r.manager)
    t.ok(ok(miles).vehicles.nodes.every(({ km, mi }) => Math.abs(mi * 1.609344 - km) <= 0.1), 'miles = km / 1.609344 for all 50')
  })
})

void t.test('changing the registry', async (t) => {
  const r = await registry(t)
  const { NORTH: north, SHOP: shop } = await r.facilityIds()
  const otherManager = await r.login('fleet_manager@other.example')
  const { HQ: otherFacility } = await r.facilityIds(otherManager)

  await t.test('createVehicle: version 1, normalized VIN and plate, defaults', async (t) => {
    const created = ok(await r.create(newInput(1, { vin: vin(1).toLowerCase().replace(/(.{4})/, '$1-').replace(/(.{10})/, '$1 '), licensePlate: ' abc 123 ', odometer: 1234.5, engineHours: 12, facilityId: north }))).createVehicle
    t.match(created, { number: 'T-1', vin: vin(1), licensePlate: 'ABC 123', status: 'ACTIVE', odometer: 1234.5, engineHours: 12, facility: { code: 'NORTH' }, currentDriver: null, retiredAt: null, version: 1 })
    t.equal(created.createdAt, created.updatedAt)
    t.same(ok(await r.get(created.id)).vehicle, created, 'reads back the same')
    t.equal((await r.list({ first: 1 })).totalCount, 51)
    refused(t, await r.create(newInput(2, { status: 'RETIRED' })), 'BAD_USER_INPUT', 'input.status', 'RETIRED at creation')
    refused(t, await r.create(newInput(2, { odometer: -1 })), 'BAD_USER_INPUT', 'input.odometer', 'negative odometer')
    refused(t, await r.create(newInput(2, { engineHours: -1 })), 'BAD_USER_INPUT', 'input.engineHours', 'negative engine hours')
    refused(t, await r.create(newInput(2, { number: ' ' })), 'BAD_USER_INPUT', 'input.number', 'blank number')
  })

  await t.test('createVehicle with odometerUnit MILES stores kilometres', async (t) => {
    const created = ok(await r.create(newInput(3, { odometer: 1000, odometerUnit: 'MILES' }))).createVehicle
    t.equal(created.odometer, 1609.3)
    const query = 'query ($id: ID!) { vehicle(id: $id) { odometer(unit: MILES) } }'
    t.same(ok(await r.gql(query, { id: created.id }, r.manager)), { vehicle: { odometer: 1000 } })
  })

  await t.test('VINs: length, alphabet and check digit are checked', async (t) => {
    t.equal(withCheckDigit('1M8GDM9A_KP042788'), '1M8GDM9AXKP042788', 'the oracle agrees with a published VIN')
    t.ok(ok(await r.create(newInput(4, { vin: '1M8GDM9AXKP042788' }))).createVehicle.id, 'the published VIN is accepted')
    const cases: Array<[string, string, RegExp]> = [
      [vin(5).slice(0, 16), 'too short', /17 characters/],
      [`${vin(5)}1`, 'too long', /17 characters/],
      [withCheckDigit('1FTTEST0_I0000005'), 'letter I', /I, O and Q/],
      [withCheckDigit('1FTTEST0_O0000005'), 'letter O', /I, O and Q/],
      [withCheckDigit('1FTTEST0_Q0000005'), 'letter Q', /I, O and Q/],
      [badCheckDigit(5), 'bad check digit', /check digit/]
    ]
    for (const [value, label, message] of cases) {
      const response = await r.create(newInput(5, { vin: value }))
      refused(t, response, 'BAD_USER_INPUT', 'input.vin', label)
      t.match(response.errors?.[0]?.message, message, `${label}: message`)
    }
    t.equal((await r.list({ first: 1, filter: { search: 'T-5' } })).totalCount, 0, 'nothing was created')
  })

  await t.test('organization setting vinCheckDigitRequired relaxes the check digit, for that organization only', async (t) => {
    const admin = await r.login('admin@fleet.example')
    const before = ok(await r.gql<{ me: { organization: { version: number, settings: { vinCheckDigitRequired: boolean } } } }>(ORG, {}, admin)).me.organization
    t.equal(before.settings.vinCheckDigitRequired, true)
    refused(t, await r.gql(SETTINGS, { input: { expectedVersion: before.version, vinCheckDigitRequired: false } }, r.manager), 'FORBIDDEN', undefined, 'fleet manager')
    const relaxed = ok(await r.gql<{ updateOrganizationSettings: { version: number } }>(SETTINGS, { input: { expectedVersion: before.version, vinCheckDigitRequired: false } }, admin))
    t.same(relaxed, { updateOrganizationSettings: { version: before.version + 1, settings: { vinCheckDigitRequired: false } } })
    t.same(ok(await r.gql(ORG, {}, r.manager)), { me: { organization: { version: before.version + 1, settings: { vinCheckDigitRequired: false } } } })
    t.equal(ok(await r.create(newInput(6, { vin: badCheckDigit(6) }))).createVehicle.vin, badCheckDigit(6), 'bad check digit accepted')
    refused(t, await r.create(newInput(7, { vin: vin(7).slice(1) })), 'BAD_USER_INPUT', 'input.vin', 'length still checked')
    refused(t, await r.create(newInput(7, { vin: badCheckDigit(7), number: 'O-100' }), otherManager), 'BAD_USER_INPUT', 'input.vin', 'other org still checks')
    ok(await r.gql(SETTINGS, { input: { expectedVersion: before.version + 1, vinCheckDigitRequired: true } }, admin))
    refused(t, await r.create(newInput(7, { vin: badCheckDigit(7) })), 'BAD_USER_INPUT', 'input.vin', 'checked again once re-enabled')
  })

  await t.test('duplicates: number and VIN are unique per organization', async (t) => {
    const v2 = await r.byNumber('V-002')
    refused(t, await r.create(newInput(8, { number: 'V-001' })), 'CONFLICT', 'input.number', 'duplicate number')
    refused(t, await r.create(newInput(8, { vin: v2.vin })), 'CONFLICT', 'input.vin', 'duplicate VIN')
    refused(t, await r.create(newInput(8, { vin: `${v2.vin.slice(0, 3)}-${v2.vin.slice(3).toLowerCase()}` })), 'CONFLICT', 'input.vin', 'duplicate VIN, typed differently')
    refused(t, await r.update(v2.id, { expectedVersion: v2.version, number: 'V-003' }), 'CONFLICT', 'input.number', 'update to a taken number')
    const elsewhere = ok(await r.create(newInput(8, { number: 'V-001', vin: v2.vin }), otherManager)).createVehicle
    t.match(elsewhere, { number: 'V-001', vin: v2.vin, version: 1 }, 'the same number and VIN are fine in another organization')
  })

  await t.test('updateVehicle: optimistic concurrency, partial updates, null clears', async (t) => {
    const v = await r.byNumber('T-1')
    const updated = ok(await r.update(v.id, { expectedVersion: v.version, name: 'Renamed', odometer: 2000 })).updateVehicle
    t.match(updated, { name: 'Renamed', odometer: 2000, make: 'Ford', licensePlate: 'ABC 123', facility: { code: 'NORTH' }, version: v.version + 1 })
    t.ok(updated.updatedAt > v.updatedAt, 'updatedAt moves')
    t.equal(updated.createdAt, v.createdAt)
    refused(t, await r.update(v.id, { expectedVersion: v.version, name: 'Lost update' }), 'CONFLICT', 'input.expectedVersion', 'stale version')
    t.match(ok(await r.get(v.id)).vehicle, { name: 'Renamed', version: v.version + 1 }, 'the stale update changed nothing')
    const cleared = ok(await r.update(v.id, { expectedVersion: updated.version, licensePlate: null, facilityId: null })).updateVehicle
    t.match(cleared, { licensePlate: null, facility: null, name: 'Renamed', version: updated.version + 1 })
    t.equal((await r.list({ first: 1, orderBy: { field: 'UPDATED_AT', direction: 'DESC' } })).edges[0]?.node.id, v.id, 'UPDATED_AT DESC: most recently changed first')
    const miles = ok(await r.update(v.id, { expectedVersion: cleared.version, odometer: 100, odometerUnit: 'MILES' })).updateVehicle
    t.match(miles, { odometer: 160.9, version: cleared.version + 1 }, 'odometer given in miles, stored in km')
    const racers = await Promise.all(['First', 'Second'].map(async (name) => await r.update(v.id, { expectedVersion: miles.version, name })))
    t.same(racers.map((response) => codes(response)).sort(), [[], ['CONFLICT']], 'two updates of one version: exactly one wins')
    const winner = ok(await r.get(v.id)).vehicle as Vehicle
    t.equal(winner.version, miles.version + 1)
    refused(t, await r.update(v.id, { expectedVersion: winner.version, status: 'RETIRED' }), 'BAD_USER_INPUT', 'input.status', 'RETIRED via update')
    refused(t, await r.update(v.id, { expectedVersion: winner.version, name: null }), 'BAD_USER_INPUT', 'input.name', 'null for a required field')
    refused(t, await r.update(v.id, { expectedVersion: winner.version, vin: badCheckDigit(1) }), 'BAD_USER_INPUT', 'input.vin', 'VIN checked on update')
    refused(t, await r.update(v.id, { expectedVersion: winner.version, year: 1899 }), 'BAD_USER_INPUT', 'input.year', 'year out of range')
    refused(t, await r.update(v.id, { expectedVersion: winner.version, facilityId: otherFacility }), 'BAD_USER_INPUT', 'input.facilityId', 'facility of another organization')
    refused(t, await r.update('nope', { expectedVersion: 1, name: 'X' }), 'BAD_USER_INPUT', 'id', 'malformed id')
    refused(t, await r.update('00000000-0000-4000-8000-000000000000', { expectedVersion: 1, name: 'X' }), 'NOT_FOUND', undefined, 'unknown id')
    t.equal(ok(await r.get(v.id)).vehicle?.version, winner.version, 'refused updates changed nothing')
  })

  await t.test('createVehicle: facility of another organization or malformed is BAD_USER_INPUT', async (t) => {
    refused(t, await r.create(newInput(9, { facilityId: otherFacility })), 'BAD_USER_INPUT', 'input.facilityId', 'other organization')
    refused(t, await r.create(newInput(9, { facilityId: 'nope' })), 'BAD_USER_INPUT', 'input.facilityId', 'malformed')
    t.match(ok(await r.create(newInput(9, { facilityId: shop }))).createVehicle, { facility: { code: 'SHOP' } })
  })

  await t.test('search takes % and _ literally in created vehicles too', async (t) => {
    ok(await r.create(newInput(10, { name: 'Shuttle 100% Electric_Bus' })))
    t.same(await r.numbers({ filter: { search: '0% e' } }), ['T-10'])
    t.same(await r.numbers({ filter: { search: 'C_B' } }), ['T-10'])
  })

  await t.test('retireVehicle ends the current assignment; retiring twice changes nothing', async (t) => {
    const v = await r.byNumber('V-001')
    t.not(v.currentDriver, null, 'V-001 has a driver')
    const retired = ok(await r.retire(v.id)).retireVehicle
    t.match(retired, { status: 'RETIRED', currentDriver: null, version: v.version + 1 })
    t.ok(Math.abs(Date.parse(retired.retiredAt ?? '') - Date.now()) < 60_000, 'retiredAt is now')
    const history = await r.gql<{ vehicle: { currentDriver: null, currentAssignment: null, assignments: { nodes: Array<{ endsAt: string | null, driver: { id: string } }> } } }>(
      'query ($id: ID!) { vehicle(id: $id) { currentDriver { id } currentAssignment { id } assignments(first: 1) { nodes { endsAt driver { id } } } } }', { id: v.id }, r.manager)
    const after = ok(history).vehicle
    t.same([after.currentDriver, after.currentAssignment], [null, null])
    t.equal(after.assignments.nodes[0]?.driver.id, v.currentDriver?.id, 'the newest assignment is the one that was current')
    t.ok(Math.abs(Date.parse(after.assignments.nodes[0]?.endsAt ?? '') - Date.now()) < 60_000, 'and it ended now')
    t.notOk((await r.numbers({ filter: { assigned: true } })).includes('V-001'))
    const again = ok(await r.retire(v.id)).retireVehicle
    t.same(again, retired, 'unchanged')
    t.match(ok(await r.update(v.id, { expectedVersion: again.version, status: 'ACTIVE' })).updateVehicle, { status: 'ACTIVE', retiredAt: null }, 'another status returns it to service')
  })

  await t.test('retireVehicle refuses while an assignment is upcoming', async (t) => {
    const v = await r.byNumber('V-038')
    const drivers = ok(await r.gql<{ drivers: { nodes: Array<{ id: string }> } }>('{ drivers(first: 1, filter: { assigned: false, status: [ACTIVE] }) { nodes { id } } }', {}, r.manager)).drivers
    const startsAt = new Date(Date.now() + 2 * 86_400_000).toISOString()
    const endsAt = new Date(Date.now() + 3 * 86_400_000).toISOString()
    const assignment = ok(await r.gql<{ assignDriver: { id: string } }>('mutation ($input: AssignDriverInput!) { assignDriver(input: $input) { id } }',
      { input: { vehicleId: v.id, driverId: drivers.nodes[0]?.id, startsAt, endsAt } }, r.manager)).assignDriver
    refused(t, await r.retire(v.id), 'CONFLICT', undefined, 'upcoming assignment')
    t.match(ok(await r.get(v.id)).vehicle, { status: 'ACTIVE', retiredAt: null, version: v.version })
    ok(await r.gql('mutation ($id: ID!) { cancelAssignment(id: $id) }', { id: assignment.id }, r.manager))
    t.match(ok(await r.retire(v.id)).retireVehicle, { status: 'RETIRED' }, 'once cancelled, it retires')
  })
})

void t.test('tenants and roles', async (t) => {
  const r = await registry(t)
  const v = await r.byNumber('V-010')

  await t.test('another organization cannot see or change demo vehicles', async (t) => {
    const other = await r.login('fleet_manager@other.example')
    t.same(ok(await r.get(v.id, other)), { vehicle: null })
    refused(t, await r.update(v.id, { expectedVersion: v.version, name: 'Hijacked' }, other), 'NOT_FOUND', undefined, 'update')
    refused(t, await r.retire(v.id, other), 'NOT_FOUND', undefined, 'retire')
    t.same(await r.numbers({}, other), ['O-001', 'O-002', 'O-003', 'O-004', 'O-005', 'O-006'])
    t.equal((await r.list({ first: 1, filter: { search: 'V-0' } }, other)).totalCount, 0)
    const { NORTH: north } = await r.facilityIds()
    t.equal((await r.list({ first: 1, filter: { facilityId: north } }, other)).totalCount, 0, 'filtering by a demo facility finds nothing')
    t.same(ok(await r.get(v.id)).vehicle, v, 'the demo vehicle is unchanged')
  })

  await t.test('VIEWER, DISPATCHER and MECHANIC read but cannot change vehicles; a DRIVER reads only its own', async (t) => {
    for (const role of ['viewer', 'driver', 'dispatcher', 'mechanic']) {
      const token = await r.login(`${role}@fleet.example`)
      if (role === 'driver') t.same(ok(await r.get(v.id, token)).vehicle, null, 'driver: another vehicle is not found')
      else if (role === 'mechanic') refused(t, await r.get(v.id, token), 'FORBIDDEN', undefined, 'mechanic: reads the vehicle but not who drives it')
      else t.equal(ok(await r.get(v.id, token)).vehicle?.number, 'V-010', `${role} reads`)
      refused(t, await r.create(newInput(20), token), 'FORBIDDEN', undefined, `${role}: createVehicle`)
      refused(t, await r.update(v.id, { expectedVersion: v.version, name: 'X' }, token), 'FORBIDDEN', undefined, `${role}: updateVehicle`)
      refused(t, await r.retire(v.id, token), 'FORBIDDEN', undefined, `${role}: retireVehicle`)
    }
    t.same(ok(await r.get(v.id)).vehicle, v, 'nothing changed')
    t.equal((await r.list({ first: 1 })).totalCount, 50)
    refused(t, await r.gql(CREATE, { input: newInput(20) }), 'UNAUTHENTICATED', undefined, 'anonymous')
  })

  await t.test('ADMIN and FLEET_MANAGER create, update and retire', async (t) => {
    for (const [n, role] of [[21, 'admin'], [22, 'fleet_manager']] as const) {
      const token = await r.login(`${role}@fleet.example`)
      const created = ok(await r.create(newInput(n), token)).createVehicle
      const updated = ok(await r.update(created.id, { expectedVersion: 1, year: 2020 }, token)).updateVehicle
      t.match(updated, { year: 2020, version: 2 }, `${role} updates`)
      t.match(ok(await r.retire(created.id, token)).retireVehicle, { status: 'RETIRED', version: 3 }, `${role} retires`)
    }
  })
})
