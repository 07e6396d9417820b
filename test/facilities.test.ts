import t, { type Test } from 'tap'
import { allPages, ok, refused } from './helpers/graphql.js'
import { buildTestApp } from './helpers/app.js'

// Facilities through the public GraphQL surface. The demo fleet has NORTH (North Depot, 17
// vehicles), SHOP (Central Maintenance Shop, 17) and SOUTH (South Yard, 16); vehicle i is based
// at facility i mod 3. Organization `other` has one facility, HQ, with its six vehicles.

const FACILITY = 'id code name type address latitude longitude createdAt updatedAt version'
const LIST = `query ($first: Int, $after: String, $last: Int, $before: String, $orderBy: FacilityOrder) {
  facilities(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { ${FACILITY} }
  }
}`
const GET = `query ($id: ID!) { facility(id: $id) { ${FACILITY} } }`
const VEHICLES = `query ($id: ID!, $first: Int, $after: String) {
  facility(id: $id) { vehicles(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { number facility { code } } } }
}`
const CREATE = `mutation ($input: CreateFacilityInput!) { createFacility(input: $input) { ${FACILITY} } }`
const UPDATE = `mutation ($id: ID!, $input: UpdateFacilityInput!) { updateFacility(id: $id, input: $input) { ${FACILITY} } }`

interface Facility {
  id: string, code: string, name: string, type: string, address: string | null, latitude: number | null, longitude: number | null
  createdAt: string, updatedAt: string, version: number
}
interface PageInfo { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }
interface Connection<Node> { totalCount: number, pageInfo: PageInfo, nodes: Node[] }
interface ListArgs { first?: number, after?: string | null, last?: number, before?: string | null, orderBy?: { field: string, direction: 'ASC' | 'DESC' } }
type VehiclePage = Connection<{ number: string, facility: { code: string } }>
type Input = Record<string, unknown>

const ORDER_KEYS: Record<string, (f: Facility) => string> = { NAME: (f) => f.name, CODE: (f) => f.code, CREATED_AT: (f) => f.createdAt }

/** Pairs that break (key, id) order in the direction; ties are broken by id in the same direction. */
function disorder (nodes: Facility[], key: (f: Facility) => string, direction: 'ASC' | 'DESC'): string[] {
  const sign = direction === 'ASC' ? 1 : -1
  const compare = (a: Facility, b: Facility): number => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  return nodes.slice(1).flatMap((f, i) => sign * compare(nodes[i] as Facility, f) < 0 ? [] : [`${(nodes[i] as Facility).code} before ${f.code}`])
}

async function registry (t: Test) {
  const { gql, login } = await buildTestApp(t)
  const manager = await login('fleet_manager@fleet.example')
  const list = async (args: ListArgs, token = manager): Promise<Connection<Facility>> => ok(await gql<{ facilities: Connection<Facility> }>(LIST, { ...args }, token)).facilities
  const all = async (args: ListArgs = {}, token = manager): Promise<Facility[]> => (await list({ first: 200, ...args }, token)).nodes
  const byCode = async (code: string, token = manager): Promise<Facility> => {
    const found = (await all({}, token)).find((f) => f.code === code)
    if (found === undefined) throw new Error(`no facility ${code}`)
    return found
  }
  const vehicles = async (id: string, first: number, after: string | null = null, token = manager): Promise<VehiclePage | undefined> =>
    ok(await gql<{ facility: { vehicles: VehiclePage } | null }>(VEHICLES, { id, first, after }, token)).facility?.vehicles
  return {
    gql,
    login,
    manager,
    list,
    all,
    byCode,
    vehicles,
    get: async (id: string, token = manager) => await gql<{ facility: Facility | null }>(GET, { id }, token),
    create: async (input: Input, token = manager) => await gql<{ createFacility: Facility }>(CREATE, { input }, token),
    update: async (id: string, input: Input, token = manager) => await gql<{ updateFacility: Facility }>(UPDATE, { id, input }, token),
    /** Pages forward (or backward with `last`) until the end. */
    pages: async (args: ListArgs, size: number, backward = false): Promise<Array<Connection<Facility>>> =>
      await allPages(async (window) => await list({ ...args, ...window }), size, backward)
  }
}

void t.test('reading facilities', async (t) => {
  const r = await registry(t)

  await t.test('facility(id): every field; unknown ids are null, malformed ones BAD_USER_INPUT', async (t) => {
    const north = await r.byCode('NORTH')
    t.match(ok(await r.get(north.id)).facility, {
      code: 'NORTH', name: 'North Depot', type: 'DEPOT', address: '1200 Industrial Pkwy, Columbus, OH 43229', latitude: 40.0868, longitude: -82.9816, version: 1
    })
    t.same(ok(await r.get('00000000-0000-4000-8000-000000000000')), { facility: null })
    refused(t, await r.get('NORTH'), 'BAD_USER_INPUT', 'id')
  })

  await t.test('facilities: default NAME ascending, every orderBy in both directions', async (t) => {
    const list = await r.list({})
    t.same(list.nodes.map((f) => f.code), ['SHOP', 'NORTH', 'SOUTH'])
    t.same([list.totalCount, list.pageInfo.hasNextPage, list.pageInfo.hasPreviousPage], [3, false, false])
    const expected: Record<string, string[]> = { NAME_DESC: ['SOUTH', 'NORTH', 'SHOP'], CODE_ASC: ['NORTH', 'SHOP', 'SOUTH'], CODE_DESC: ['SOUTH', 'SHOP', 'NORTH'] }
    for (const [field, key] of Object.entries(ORDER_KEYS)) {
      for (const direction of ['ASC', 'DESC'] as const) {
        const nodes = await r.all({ orderBy: { field, direction } })
        t.same(disorder(nodes, key, direction), [], `${field} ${direction}: ordered`)
        if (expected[`${field}_${direction}`] !== undefined) t.same(nodes.map((f) => f.code), expected[`${field}_${direction}`], `${field} ${direction}`)
      }
    }
  })

  await t.test('Facility.vehicles pages through one facility by number, matching vehicles(filter: {facilityId})', async (t) => {
    const shop = await r.byCode('SHOP')
    const pages: VehiclePage[] = []
    let after: string | null = null
    do {
      const page: VehiclePage | undefined = await r.vehicles(shop.id, 5, after)
      if (page === undefined) throw new Error('facility not found')
      pages.push(page)
      after = page.pageInfo.endCursor
    } while (pages.at(-1)?.pageInfo.hasNextPage === true && pages.length < 10)
    t.same(pages.map((p) => p.nodes.length), [5, 5, 5, 2])
    t.same(pages.map((p) => p.pageInfo.hasPreviousPage), [false, true, true, true])
    t.ok(pages.every((p) => p.totalCount === 17), 'totalCount on every page')
    t.ok(pages.every((p) => p.nodes.every((v) => v.facility.code === 'SHOP')), 'only vehicles based there')
    const numbers = pages.flatMap((p) => p.nodes.map((v) => v.number))
    const listed = await r.gql<{ vehicles: { totalCount: number, nodes: Array<{ number: string }> } }>(
      'query ($id: ID!) { vehicles(first: 200, filter: { facilityId: $id }) { totalCount nodes { number } } }', { id: shop.id }, r.manager)
    t.same(numbers, ok(listed).vehicles.nodes.map((v) => v.number), 'the same vehicles in the same order')
    t.equal(ok(listed).vehicles.totalCount, 17)
    t.same(numbers.slice(0, 3), ['V-002', 'V-005', 'V-008'])
  })

  await t.test('Facility.vehicles of every facility in one request', async (t) => {
    const response = await r.gql<{ facilities: { nodes: Array<{ code: string, vehicles: { totalCount: number, nodes: Array<{ number: string }> } }> } }>(
      '{ facilities(orderBy: { field: CODE }) { nodes { code vehicles(first: 2) { totalCount nodes { number } } } } }', {}, r.manager)
    t.same(ok(response).facilities.nodes, [
      { code: 'NORTH', vehicles: { totalCount: 17, nodes: [{ number: 'V-001' }, { number: 'V-004' }] } },
      { code: 'SHOP', vehicles: { totalCount: 17, nodes: [{ number: 'V-002' }, { number: 'V-005' }] } },
      { code: 'SOUTH', vehicles: { totalCount: 16, nodes: [{ number: 'V-003' }, { number: 'V-006' }] } }
    ])
  })

  await t.test('page sizes and cursors are validated, for the list and the nested connection', async (t) => {
    refused(t, await r.gql(LIST, { first: 201 }, r.manager), 'BAD_USER_INPUT', 'first', 'first: 201')
    refused(t, await r.gql(LIST, { last: -2 }, r.manager), 'BAD_USER_INPUT', 'last', 'last: -2')
    refused(t, await r.gql(LIST, { first: 1, last: 1 }, r.manager), 'BAD_USER_INPUT', undefined, 'first and last')
    refused(t, await r.gql(LIST, { after: 'nonsense' }, r.manager), 'BAD_USER_INPUT', 'after', 'garbage cursor')
    const byCode = (await r.list({ first: 1, orderBy: { field: 'CODE', direction: 'ASC' } })).pageInfo.endCursor
    refused(t, await r.gql(LIST, { first: 1, after: byCode }, r.manager), 'BAD_USER_INPUT', 'after', 'cursor of another ordering')
    const north = await r.byCode('NORTH')
    refused(t, await r.gql(VEHICLES, { id: north.id, first: 500 }, r.manager), 'BAD_USER_INPUT', 'first', 'nested first: 500')
    refused(t, await r.gql(VEHICLES, { id: north.id, first: 2, after: byCode }, r.manager), 'BAD_USER_INPUT', 'after', 'nested: a facility cursor')
  })
})

void t.test('changing facilities', async (t) => {
  const r = await registry(t)
  const east = { code: ' east-1 ', name: 'East Yard', type: 'YARD', address: '1 Main St, Columbus, OH', latitude: 39.96, longitude: -82.99 }

  await t.test('createFacility: code upper-cased, coordinates kept, version 1', async (t) => {
    const created = ok(await r.create(east)).createFacility
    t.match(created, { code: 'EAST-1', name: 'East Yard', type: 'YARD', address: '1 Main St, Columbus, OH', latitude: 39.96, longitude: -82.99, version: 1 })
    t.same(ok(await r.get(created.id)).facility, created, 'reads back the same')
    t.same(await r.vehicles(created.id, 5), { totalCount: 0, pageInfo: { hasNextPage: false, hasPreviousPage: false, endCursor: null }, nodes: [] })
    const bare = ok(await r.create({ code: 'pad_2', name: 'Pad', type: 'OTHER' })).createFacility
    t.match(bare, { code: 'PAD_2', address: null, latitude: null, longitude: null })
    t.equal((await r.list({ first: 1 })).totalCount, 5)
  })

  await t.test('createFacility validates code and coordinates', async (t) => {
    const base = { code: 'X1', name: 'X', type: 'DEPOT' }
    refused(t, await r.create({ ...base, latitude: 40 }), 'BAD_USER_INPUT', 'input.longitude', 'latitude without longitude')
    refused(t, await r.create({ ...base, longitude: -80 }), 'BAD_USER_INPUT', 'input.latitude', 'longitude without latitude')
    refused(t, await r.create({ ...base, latitude: 90.5, longitude: 0 }), 'BAD_USER_INPUT', 'input.latitude', 'latitude 90.5')
    refused(t, await r.create({ ...base, latitude: -91, longitude: 0 }), 'BAD_USER_INPUT', 'input.latitude', 'latitude -91')
    refused(t, await r.create({ ...base, latitude: 0, longitude: 180.5 }), 'BAD_USER_INPUT', 'input.longitude', 'longitude 180.5')
    for (const code of ['A B', '-X', '', 'C'.repeat(33), 'É1']) refused(t, await r.create({ ...base, code }), 'BAD_USER_INPUT', 'input.code', `code "${code}"`)
    refused(t, await r.create({ ...base, name: '  ' }), 'BAD_USER_INPUT', 'input.name', 'blank name')
    t.match(ok(await r.create({ ...base, latitude: -90, longitude: 180 })).createFacility, { latitude: -90, longitude: 180 }, 'the limits themselves are fine')
    t.equal((await r.list({ first: 1 })).totalCount, 6, 'only the valid one was created')
  })

  await t.test('duplicate codes CONFLICT within an organization only', async (t) => {
    refused(t, await r.create({ code: 'north', name: 'Another North', type: 'DEPOT' }), 'CONFLICT', 'input.code', 'duplicate code, other case')
    const other = await r.login('fleet_manager@other.example')
    t.match(ok(await r.create({ code: 'NORTH', name: 'Their North', type: 'DEPOT' }, other)).createFacility, { code: 'NORTH', version: 1 }, 'fine elsewhere')
  })

  await t.test('pagination and ordering over more facilities', async (t) => {
    for (const n of [3, 4, 5]) ok(await r.create({ code: `F${n}`, name: `Facility ${n}`, type: 'OFFICE' }))
    for (const [field, key] of Object.entries(ORDER_KEYS)) {
      for (const direction of ['ASC', 'DESC'] as const) {
        const orderBy = { field, direction }
        const nodes = await r.all({ orderBy })
        t.equal(nodes.length, 9)
        t.same(disorder(nodes, key, direction), [], `${field} ${direction}: ordered`)
        const forward = await r.pages({ orderBy }, 2)
        t.same(forward.map((p) => p.nodes.length), [2, 2, 2, 2, 1], `${field} ${direction}: pages of 2`)
        t.same(forward.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]), [[false, true], [true, true], [true, true], [true, true], [true, false]])
        t.same(forward.flatMap((p) => p.nodes.map((f) => f.id)), nodes.map((f) => f.id), `${field} ${direction}: forward, no gaps or duplicates`)
        const backward = await r.pages({ orderBy }, 4, true)
        t.same(backward.reverse().flatMap((p) => p.nodes.map((f) => f.id)), nodes.map((f) => f.id), `${field} ${direction}: backward`)
      }
    }
    const newest = await r.all({ orderBy: { field: 'CREATED_AT', direction: 'DESC' } })
    t.same(newest.slice(0, 3).map((f) => f.code).sort(), ['F3', 'F4', 'F5'], 'CREATED_AT DESC: the last created first')
    t.same(newest.slice(-3).map((f) => f.code).sort(), ['NORTH', 'SHOP', 'SOUTH'], 'and the seeded ones last')
  })

  await t.test('updateFacility: expectedVersion, partial updates, coordinates stay paired', async (t) => {
    const f = await r.byCode('EAST-1')
    const renamed = ok(await r.update(f.id, { expectedVersion: f.version, name: 'East Yard 2', code: 'east-2' })).updateFacility
    t.match(renamed, { name: 'East Yard 2', code: 'EAST-2', type: 'YARD', latitude: 39.96, version: f.version + 1 })
    t.ok(renamed.updatedAt > f.updatedAt, 'updatedAt moves')
    refused(t, await r.update(f.id, { expectedVersion: f.version, name: 'Lost update' }), 'CONFLICT', 'input.expectedVersion', 'stale version')
    t.match(ok(await r.get(f.id)).facility, { name: 'East Yard 2', version: renamed.version }, 'the stale update changed nothing')
    refused(t, await r.update(f.id, { expectedVersion: renamed.version, code: 'SHOP' }), 'CONFLICT', 'input.code', 'taken code')
    refused(t, await r.update(f.id, { expectedVersion: renamed.version, latitude: null }), 'BAD_USER_INPUT', 'input.latitude', 'clearing one coordinate')
    refused(t, await r.update(f.id, { expectedVersion: renamed.version, longitude: 200 }), 'BAD_USER_INPUT', 'input.longitude', 'longitude 200')
    refused(t, await r.update(f.id, { expectedVersion: renamed.version, name: null }), 'BAD_USER_INPUT', 'input.name', 'null name')
    const moved = ok(await r.update(f.id, { expectedVersion: renamed.version, latitude: 41.5, longitude: -81.7, address: null })).updateFacility
    t.match(moved, { latitude: 41.5, longitude: -81.7, address: null, version: renamed.version + 1 })
    const cleared = ok(await r.update(f.id, { expectedVersion: moved.version, latitude: null, longitude: null })).updateFacility
    t.match(cleared, { latitude: null, longitude: null, version: moved.version + 1 })
    refused(t, await r.update(f.id, { expectedVersion: cleared.version, latitude: 10 }), 'BAD_USER_INPUT', 'input.longitude', 'one coordinate on a facility without any')
    refused(t, await r.update('00000000-0000-4000-8000-000000000000', { expectedVersion: 1, name: 'X' }), 'NOT_FOUND', undefined, 'unknown id')
    refused(t, await r.update('x', { expectedVersion: 1, name: 'X' }), 'BAD_USER_INPUT', 'id', 'malformed id')
    t.equal(ok(await r.get(f.id)).facility?.version, cleared.version, 'refused updates changed nothing')
  })

  await t.test('Facility.vehicles follows vehicles moving in', async (t) => {
    const f = await r.byCode('EAST-2')
    const vehicle = ok(await r.gql<{ vehicles: { nodes: Array<{ id: string, version: number }> } }>('{ vehicles(first: 1) { nodes { id version } } }', {}, r.manager)).vehicles.nodes[0]
    ok(await r.gql('mutation ($id: ID!, $input: UpdateVehicleInput!) { updateVehicle(id: $id, input: $input) { id } }',
      { id: vehicle?.id, input: { expectedVersion: vehicle?.version, facilityId: f.id } }, r.manager))
    t.match(await r.vehicles(f.id, 5), { totalCount: 1, nodes: [{ number: 'V-001', facility: { code: 'EAST-2' } }] })
    t.equal((await r.vehicles((await r.byCode('NORTH')).id, 1))?.totalCount, 16, 'and leaving their old one')
  })
})

void t.test('tenants and roles', async (t) => {
  const r = await registry(t)
  const north = await r.byCode('NORTH')

  await t.test('another organization cannot see or change demo facilities', async (t) => {
    const other = await r.login('fleet_manager@other.example')
    t.same((await r.all({}, other)).map((f) => f.code), ['HQ'])
    t.same(ok(await r.get(north.id, other)), { facility: null })
    refused(t, await r.update(north.id, { expectedVersion: 1, name: 'Hijacked' }, other), 'NOT_FOUND', undefined, 'update')
    refused(t, await r.update(north.id, { expectedVersion: 1, latitude: 1, longitude: 1 }, other), 'NOT_FOUND', undefined, 'update with coordinates')
    const hq = await r.byCode('HQ', other)
    t.same((await r.vehicles(hq.id, 10, null, other))?.nodes.map((v) => v.number), ['O-001', 'O-002', 'O-003', 'O-004', 'O-005', 'O-006'])
    t.same(ok(await r.get(hq.id)), { facility: null }, 'and the other way round')
    t.same(ok(await r.get(north.id)).facility, north, 'unchanged')
  })

  await t.test('VIEWER, DISPATCHER and MECHANIC read but cannot change facilities; a DRIVER does neither', async (t) => {
    for (const role of ['viewer', 'driver', 'dispatcher', 'mechanic']) {
      const token = await r.login(`${role}@fleet.example`)
      if (role === 'driver') refused(t, await r.get(north.id, token), 'FORBIDDEN', undefined, 'driver: facility')
      else t.equal(ok(await r.get(north.id, token)).facility?.code, 'NORTH', `${role} reads`)
      refused(t, await r.create({ code: `R-${role}`, name: 'X', type: 'DEPOT' }, token), 'FORBIDDEN', undefined, `${role}: createFacility`)
      refused(t, await r.update(north.id, { expectedVersion: 1, name: 'X' }, token), 'FORBIDDEN', undefined, `${role}: updateFacility`)
    }
    refused(t, await r.gql(CREATE, { input: { code: 'ANON', name: 'X', type: 'DEPOT' } }), 'UNAUTHENTICATED', undefined, 'anonymous')
    t.same(ok(await r.get(north.id)).facility, north, 'nothing changed')
    t.equal((await r.list({ first: 1 })).totalCount, 3)
  })

  await t.test('ADMIN and FLEET_MANAGER create and update', async (t) => {
    for (const role of ['admin', 'fleet_manager']) {
      const token = await r.login(`${role}@fleet.example`)
      const created = ok(await r.create({ code: `BY-${role}`, name: `By ${role}`, type: 'OFFICE' }, token)).createFacility
      t.match(created, { code: `BY-${role.toUpperCase()}`, version: 1 }, `${role} creates`)
      t.match(ok(await r.update(created.id, { expectedVersion: 1, type: 'DEPOT' }, token)).updateFacility, { type: 'DEPOT', version: 2 }, `${role} updates`)
    }
  })
})
