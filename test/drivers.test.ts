import t from 'tap'
import { dataFetcher } from './helpers/graphql.js'
import { buildTestApp, codes, type GraphQLResponse } from './helpers/app.js'
import { SEED_NOW } from './helpers/environment.js'

// Drivers through the public GraphQL surface: reads, filters, orderings, keyset pages, writes
// with normalisation and optimistic concurrency, nested assignments, tenants and roles.

interface Driver {
  id: string
  name: string
  email: string | null
  phone: string | null
  licenseNumber: string
  licenseClass: string | null
  licenseExpiresAt: string | null
  status: string
  createdAt: string
  updatedAt: string
  version: number
  currentVehicle: { number: string } | null
}
interface PageInfo { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }
interface Connection { totalCount: number, pageInfo: PageInfo, edges: Array<{ cursor: string }>, nodes: Driver[] }

const FIELDS = 'id name email phone licenseNumber licenseClass licenseExpiresAt status createdAt updatedAt version currentVehicle { number }'
const DRIVERS = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: DriverFilter, $orderBy: DriverOrder) {
  drivers(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } nodes { ${FIELDS} }
  }
}`
const DRIVER = `query ($id: ID!) { driver(id: $id) { ${FIELDS} } }`
const CREATE = `mutation ($input: CreateDriverInput!) { createDriver(input: $input) { ${FIELDS} } }`
const UPDATE = `mutation ($id: ID!, $input: UpdateDriverInput!) { updateDriver(id: $id, input: $input) { ${FIELDS} } }`

const DAY = 86_400_000
const names = (drivers: Driver[]): string[] => drivers.map((d) => d.name).sort()
/** Code-point order, which is what the C collation of the test databases gives for these ASCII names. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function errorOf (response: GraphQLResponse): { code: string | undefined, field: string | undefined, message: string | undefined } {
  const error = response.errors?.[0]
  return { code: error?.extensions.code, field: error?.extensions.field, message: error?.message }
}

void t.test('drivers', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const manager = await login('fleet_manager@fleet.example')
  const otherManager = await login('fleet_manager@other.example')

  const data = dataFetcher(gql, manager)
  const list = async (variables: Record<string, unknown>, token = manager): Promise<Connection> =>
    (await data<{ drivers: Connection }>(DRIVERS, variables, token)).drivers
  const create = async (input: Record<string, unknown>, token = manager): Promise<Driver> =>
    (await data<{ createDriver: Driver }>(CREATE, { input }, token)).createDriver
  const byName = async (name: string): Promise<Driver> => {
    const found = (await list({ filter: { search: name } })).nodes.find((d) => d.name === name)
    if (found === undefined) throw new Error(`no driver named ${name}`)
    return found
  }

  // The demo drivers before any test changes them, in the default order (NAME ascending).
  const seeded = (await list({ first: 200 })).nodes
  const hiro = await byName('Hiro Fischer')

  await t.test('driver(id) returns one driver; unknown ids give null, malformed ones BAD_USER_INPUT', async (t) => {
    t.equal(seeded.length, 40)
    const { driver } = await data<{ driver: Driver }>(DRIVER, { id: hiro.id })
    t.match(driver, {
      id: hiro.id, name: 'Hiro Fischer', email: 'hiro.fischer@fleet.example', phone: '+1 614 555 0101', licenseNumber: 'OH10007919',
      licenseClass: 'CDL-B', licenseExpiresAt: '2029-05-13T12:00:00.000Z', status: 'ACTIVE', version: 1, currentVehicle: { number: 'V-002' }
    })
    t.same((await gql(DRIVER, { id: '00000000-0000-4000-8000-000000000000' }, manager)).data, { driver: null })
    t.match(errorOf(await gql(DRIVER, { id: 'not-a-uuid' }, manager)), { code: 'BAD_USER_INPUT', field: 'id' })
  })

  await t.test('filters: status, search, licenseExpiresBefore, assigned, with totalCount', async (t) => {
    const active = await list({ first: 200, filter: { status: ['ACTIVE'] } })
    t.equal(active.totalCount, 35)
    t.ok(active.nodes.every((d) => d.status === 'ACTIVE'))
    const away = await list({ filter: { status: ['ON_LEAVE', 'SUSPENDED'] } })
    t.equal(away.totalCount, 4)
    t.same(names(away.nodes), ['Bruno Costa', 'Dmitri Kowalski 2', 'Nikolai Varga', 'Vera Novak 2'])
    t.same(names((await list({ filter: { status: ['INACTIVE'] } })).nodes), ['Hiro Fischer 2'])

    const searches: Array<[string, string[]]> = [
      ['KOWALSKI', ['Dmitri Kowalski', 'Dmitri Kowalski 2']], // name, any case
      ['oh10007919', ['Hiro Fischer']], // licence number
      ['Ximena.Moreau@FLEET', ['Ximena Moreau']], // email
      ['555 0137', ['Tanya Ibrahim 2']], // phone
      ['%', []], // LIKE wildcards are taken literally
      ['zzz-nobody', []]
    ]
    for (const [search, expected] of searches) {
      const found = await list({ filter: { search } })
      t.same(names(found.nodes), expected, `search ${search}`)
      t.equal(found.totalCount, expected.length, `search ${search}: totalCount`)
    }
    t.equal((await list({ filter: { search: 'fleet.example' } })).totalCount, 40, 'every demo email matches')
    t.same(names((await list({ filter: { search: 'kowalski', status: ['ACTIVE'] } })).nodes), ['Dmitri Kowalski'], 'search and status combine')

    const expiring = await list({ filter: { licenseExpiresBefore: SEED_NOW.toISOString() } })
    t.same(names(expiring.nodes), ['Dmitri Kowalski 2', 'Elena Martinez', 'Farid Yilmaz'], 'licences expired at seed time')
    const cutoff = new Date(SEED_NOW.getTime() + 46 * DAY).toISOString()
    const soon = await list({ first: 200, filter: { licenseExpiresBefore: cutoff } })
    const expected = seeded.filter((d) => d.licenseExpiresAt !== null && d.licenseExpiresAt < cutoff)
    t.equal(expected.length, 8)
    t.same(names(soon.nodes), names(expected), 'expiring within 46 days of seeding, as computed from the full list')
    t.equal(soon.totalCount, 8)

    const assigned = await list({ first: 200, filter: { assigned: true } })
    t.equal(assigned.totalCount, 33)
    t.same(names(assigned.nodes), names(seeded.filter((d) => d.currentVehicle !== null)))
    const unassigned = await list({ first: 200, filter: { assigned: false } })
    t.equal(unassigned.totalCount, 7)
    t.ok(unassigned.nodes.every((d) => d.currentVehicle === null))
    t.same(names((await list({ filter: { assigned: false, status: ['ACTIVE'] } })).nodes), ['Andre Hughes 2', 'Tanya Ibrahim 2'])
  })

  await t.test('orderBy: every field, both directions', async (t) => {
    const keys = { NAME: 'name', LICENSE_EXPIRES_AT: 'licenseExpiresAt', CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt' } as const
    for (const [field, key] of Object.entries(keys)) {
      const asc = (await list({ first: 200, orderBy: { field, direction: 'ASC' } })).nodes
      const desc = (await list({ first: 200, orderBy: { field, direction: 'DESC' } })).nodes
      t.equal(asc.length, 40, `${field}: all drivers`)
      // (value, id) is the keyset, so ties (all seeded updatedAt are equal) fall back to id.
      const sorted = [...asc].sort((a, b) => compare(String(a[key]), String(b[key])) || compare(a.id, b.id))
      t.same(asc.map((d) => d.id), sorted.map((d) => d.id), `${field} ASC is sorted`)
      t.same(desc.map((d) => d.id), sorted.map((d) => d.id).reverse(), `${field} DESC is the reverse`)
    }
    const first = async (field: string, direction: string): Promise<string | undefined> =>
      (await list({ first: 1, orderBy: { field, direction } })).nodes[0]?.name
    t.equal(await first('NAME', 'ASC'), 'Aisha Okafor')
    t.equal(await first('NAME', 'DESC'), 'Zoe Chen')
    t.equal(await first('LICENSE_EXPIRES_AT', 'ASC'), 'Elena Martinez')
    t.equal(await first('LICENSE_EXPIRES_AT', 'DESC'), 'Nikolai Varga')
    t.equal(await first('CREATED_AT', 'ASC'), 'Aisha Okafor')
    t.equal(await first('CREATED_AT', 'DESC'), 'Dmitri Kowalski 2')
    t.same((await list({ first: 200 })).nodes.map((d) => d.id), seeded.map((d) => d.id), 'default order is NAME ascending')
    t.equal(seeded[1]?.name, 'Aisha Okafor 2')
  })

  await t.test('pagination: forward, backward, filtered totalCount, bad arguments', async (t) => {
    const forward: Connection[] = []
    let after: string | null = null
    do {
      const page: Connection = await list({ first: 15, after })
      forward.push(page)
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
    } while (after !== null && forward.length < 5)
    t.same(forward.map((p) => p.nodes.length), [15, 15, 10])
    t.same(forward.map((p) => p.pageInfo.hasPreviousPage), [false, true, true])
    t.same(forward.map((p) => p.pageInfo.hasNextPage), [true, true, false])
    t.ok(forward.every((p) => p.totalCount === 40))
    t.same(forward.flatMap((p) => p.nodes.map((d) => d.id)), seeded.map((d) => d.id), 'pages join up to the whole list')
    t.ok(forward.every((p) => p.edges[0]?.cursor === p.pageInfo.startCursor && p.edges.at(-1)?.cursor === p.pageInfo.endCursor))

    const last = await list({ last: 15 })
    t.same(last.nodes.map((d) => d.id), seeded.slice(25).map((d) => d.id))
    t.match(last.pageInfo, { hasPreviousPage: true, hasNextPage: false })
    const middle = await list({ last: 15, before: last.pageInfo.startCursor })
    t.same(middle.nodes.map((d) => d.id), seeded.slice(10, 25).map((d) => d.id))
    t.match(middle.pageInfo, { hasPreviousPage: true, hasNextPage: true })
    const start = await list({ last: 15, before: middle.pageInfo.startCursor })
    t.same(start.nodes.map((d) => d.id), seeded.slice(0, 10).map((d) => d.id))
    t.match(start.pageInfo, { hasPreviousPage: false, hasNextPage: true })

    const active1 = await list({ first: 20, filter: { status: ['ACTIVE'] } })
    const active2 = await list({ first: 20, after: active1.pageInfo.endCursor, filter: { status: ['ACTIVE'] } })
    t.same([active1.totalCount, active1.nodes.length, active2.totalCount, active2.nodes.length], [35, 20, 35, 15])
    t.equal(active2.pageInfo.hasNextPage, false)
    t.same(new Set([...active1.nodes, ...active2.nodes].map((d) => d.id)).size, 35, 'no driver twice')

    const byCreation = await list({ first: 1, orderBy: { field: 'CREATED_AT' } })
    t.match(errorOf(await gql(DRIVERS, { first: 5, after: byCreation.pageInfo.endCursor }, manager)), { code: 'BAD_USER_INPUT', field: 'after' }, 'a cursor of another ordering')
    t.match(errorOf(await gql(DRIVERS, { first: 201 }, manager)), { code: 'BAD_USER_INPUT', field: 'first' })
    t.match(errorOf(await gql(DRIVERS, { first: 5, last: 5 }, manager)), { code: 'BAD_USER_INPUT' })
  })

  await t.test('createDriver normalises its input; bad email, phone and name are BAD_USER_INPUT', async (t) => {
    const driver = await create({
      name: '  Nadia Quill ', email: 'Nadia.Quill@Example.COM', phone: '+1 (614) 555-0199', licenseNumber: ' oh-tst-001 ',
      licenseClass: 'CDL-A', licenseExpiresAt: '2028-01-31T08:00:00+02:00'
    })
    t.match(driver, {
      name: 'Nadia Quill', email: 'nadia.quill@example.com', phone: '+1 (614) 555-0199', licenseNumber: 'OH-TST-001', licenseClass: 'CDL-A',
      licenseExpiresAt: '2028-01-31T06:00:00.000Z', status: 'ACTIVE', version: 1, currentVehicle: null
    })
    t.same((await data<{ driver: Driver }>(DRIVER, { id: driver.id })).driver, driver, 'reads back the same')
    t.same(names((await list({ filter: { search: 'OH-TST' } })).nodes), ['Nadia Quill'])
    const minimal = await create({ name: 'Otto Minimal', licenseNumber: 'min-1', status: 'ON_LEAVE' })
    t.match(minimal, { email: null, phone: null, licenseClass: null, licenseExpiresAt: null, status: 'ON_LEAVE', version: 1 })

    const invalid: Array<[Record<string, unknown>, string]> = [
      [{ email: 'nadia@nowhere' }, 'input.email'],
      [{ email: 'two words@example.com' }, 'input.email'],
      [{ phone: 'call me maybe' }, 'input.phone'],
      [{ phone: '12' }, 'input.phone'],
      [{ name: '   ' }, 'input.name'],
      [{ licenseNumber: 'x'.repeat(33) }, 'input.licenseNumber']
    ]
    for (const [change, field] of invalid) {
      const response = await gql(CREATE, { input: { name: 'Bad Input', licenseNumber: 'BAD-1', ...change } }, manager)
      t.match(errorOf(response), { code: 'BAD_USER_INPUT', field }, JSON.stringify(change))
    }
    t.equal((await list({ filter: { search: 'BAD-1' } })).totalCount, 0, 'none of them was stored')
  })

  await t.test('licence numbers are unique per organization', async (t) => {
    const duplicate = await gql(CREATE, { input: { name: 'Copy Cat', licenseNumber: 'oh10000000' } }, manager)
    t.match(errorOf(duplicate), { code: 'CONFLICT', field: 'input.licenseNumber', message: 'Another driver of this organization already has this licence number' })
    t.equal((await list({ filter: { search: 'Copy Cat' } })).totalCount, 0)
    const elsewhere = await create({ name: 'Copy Cat', licenseNumber: 'OH10000000' }, otherManager)
    t.match(elsewhere, { licenseNumber: 'OH10000000', version: 1 }, 'the same number is fine in another organization')
  })

  await t.test('updateDriver: versions, stale writes, clearing with null', async (t) => {
    const driver = await create({ name: 'Uma Update', email: 'uma@example.com', phone: '+1 614 555 0900', licenseNumber: 'UPD-1' })
    const update = async (input: Record<string, unknown>): Promise<GraphQLResponse<{ updateDriver: Driver }>> =>
      await gql<{ updateDriver: Driver }>(UPDATE, { id: driver.id, input }, manager)

    const renamed = (await update({ expectedVersion: 1, name: 'Uma Updated', licenseNumber: 'upd-2' })).data?.updateDriver
    t.match(renamed, { name: 'Uma Updated', licenseNumber: 'UPD-2', email: 'uma@example.com', phone: '+1 614 555 0900', version: 2 })

    const stale = await update({ expectedVersion: 1, name: 'Lost Write', status: 'SUSPENDED' })
    t.match(errorOf(stale), { code: 'CONFLICT', field: 'input.expectedVersion' })
    t.match((await data<{ driver: Driver }>(DRIVER, { id: driver.id })).driver, { name: 'Uma Updated', status: 'ACTIVE', version: 2 }, 'nothing of the stale write persisted')

    const cleared = (await update({ expectedVersion: 2, email: null })).data?.updateDriver
    t.match(cleared, { email: null, phone: '+1 614 555 0900', name: 'Uma Updated', version: 3 }, 'null clears, omitted keeps')
    t.match(errorOf(await update({ expectedVersion: 3, name: null })), { code: 'BAD_USER_INPUT', field: 'input.name' })
    t.match(errorOf(await update({ expectedVersion: 3, email: 'nope' })), { code: 'BAD_USER_INPUT', field: 'input.email' })
    t.match(errorOf(await update({ expectedVersion: 3, licenseNumber: 'OH10007919' })), { code: 'CONFLICT', field: 'input.licenseNumber' })
    t.match((await data<{ driver: Driver }>(DRIVER, { id: driver.id })).driver, { version: 3, licenseNumber: 'UPD-2' })

    const latest = await list({ first: 1, orderBy: { field: 'UPDATED_AT', direction: 'DESC' } })
    t.equal(latest.nodes[0]?.id, driver.id, 'the most recently updated driver comes first in UPDATED_AT DESC')
    const missing = await gql(UPDATE, { id: '00000000-0000-4000-8000-000000000000', input: { expectedVersion: 1, name: 'Ghost' } }, manager)
    t.same(codes(missing), ['NOT_FOUND'])
  })

  await t.test('Driver.currentAssignment, currentVehicle and the nested assignments connection', async (t) => {
    const NESTED = `query ($id: ID!, $after: String) { driver(id: $id) {
      currentVehicle { number }
      currentAssignment { isCurrent endsAt vehicle { number } driver { name } }
      assignments(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { startsAt isCurrent vehicle { number } } }
    } }`
    interface Nested {
      driver: {
        currentVehicle: { number: string } | null
        currentAssignment: { isCurrent: boolean, endsAt: string | null, vehicle: { number: string }, driver: { name: string } } | null
        assignments: { totalCount: number, pageInfo: PageInfo, nodes: Array<{ startsAt: string, isCurrent: boolean, vehicle: { number: string } }> }
      }
    }
    const page1 = (await data<Nested>(NESTED, { id: hiro.id })).driver
    t.same(page1.currentVehicle, { number: 'V-002' })
    t.same(page1.currentAssignment, { isCurrent: true, endsAt: null, vehicle: { number: 'V-002' }, driver: { name: 'Hiro Fischer' } })
    t.equal(page1.assignments.totalCount, 3)
    t.same(page1.assignments.nodes.map((a) => [a.vehicle.number, a.isCurrent]), [['V-002', true], ['V-001', false]])
    t.match(page1.assignments.pageInfo, { hasNextPage: true, hasPreviousPage: false })
    const page2 = (await data<Nested>(NESTED, { id: hiro.id, after: page1.assignments.pageInfo.endCursor })).driver
    t.same(page2.assignments.nodes.map((a) => a.vehicle.number), ['V-002'])
    t.match(page2.assignments.pageInfo, { hasNextPage: false, hasPreviousPage: true })
    const starts = [...page1.assignments.nodes, ...page2.assignments.nodes].map((a) => a.startsAt)
    t.same(starts, [...starts].sort().reverse(), 'newest first')

    const free = (await data<Nested>(NESTED, { id: (await byName('Andre Hughes 2')).id })).driver
    t.same([free.currentVehicle, free.currentAssignment, free.assignments.totalCount], [null, null, 2], 'a driver with past assignments only')
    const fresh = await create({ name: 'Newcomer Nobody', licenseNumber: 'NEW-1' })
    t.same((await data<Nested>(NESTED, { id: fresh.id })).driver.assignments, { totalCount: 0, pageInfo: { hasNextPage: false, hasPreviousPage: false, endCursor: null }, nodes: [] })
  })

  await t.test('tenants: another organization never sees demo drivers', async (t) => {
    t.same((await gql(DRIVER, { id: hiro.id }, otherManager)).data, { driver: null })
    const theirs = await list({ first: 200 }, otherManager)
    t.same(names(theirs.nodes), ['Bruno Novak', 'Copy Cat', 'Dalia Ibrahim', 'Imani Abbott', 'Pedro Yilmaz', 'Wesley Brennan'], 'their five and the one added above')
    t.equal(theirs.totalCount, 6)
    t.notOk(theirs.nodes.some((d) => seeded.some((s) => s.id === d.id)), 'no demo driver in their list')
    t.equal((await list({ filter: { search: 'okafor' } }, otherManager)).totalCount, 0)
    t.equal((await list({ filter: { search: 'fleet.example' } }, otherManager)).totalCount, 0)
    const update = await gql(UPDATE, { id: hiro.id, input: { expectedVersion: 1, name: 'Hijacked' } }, otherManager)
    t.same(codes(update), ['NOT_FOUND'])
    t.match((await data<{ driver: Driver }>(DRIVER, { id: hiro.id })).driver, { name: 'Hiro Fischer', version: 1 })
    const theirDriver = theirs.nodes[0] as Driver
    t.same((await gql(DRIVER, { id: theirDriver.id }, manager)).data, { driver: null }, 'and the other way round')
  })

  await t.test('roles: only ADMIN and FLEET_MANAGER write drivers; VIEWER and DISPATCHER read them, a DRIVER only itself, a MECHANIC none', async (t) => {
    const total = (await list({})).totalCount
    for (const role of ['viewer', 'driver', 'dispatcher', 'mechanic']) {
      const token = await login(`${role}@fleet.example`)
      t.same(codes(await gql(CREATE, { input: { name: 'Not Allowed', licenseNumber: `NO-${role}` } }, token)), ['FORBIDDEN'], `${role} createDriver`)
      t.same(codes(await gql(UPDATE, { id: hiro.id, input: { expectedVersion: 1, name: 'Not Allowed' } }, token)), ['FORBIDDEN'], `${role} updateDriver`)
    }
    for (const role of ['viewer', 'dispatcher']) t.equal((await list({}, await login(`${role}@fleet.example`))).totalCount, total, `${role} reads drivers`)
    t.equal((await list({}, await login('driver@fleet.example'))).totalCount, 1, 'a driver reads its own record only')
    t.same(codes(await gql(DRIVERS, {}, await login('mechanic@fleet.example'))), ['FORBIDDEN'], 'a mechanic reads no drivers')
    t.equal((await list({ filter: { search: 'Not Allowed' } })).totalCount, 0, 'nothing was written')
    t.match((await data<{ driver: Driver }>(DRIVER, { id: hiro.id })).driver, { name: 'Hiro Fischer', version: 1 })
    for (const role of ['admin', 'fleet_manager']) {
      const token = await login(`${role}@fleet.example`)
      const driver = await create({ name: `Allowed ${role}`, licenseNumber: `YES-${role}` }, token)
      const updated = await data<{ updateDriver: Driver }>(UPDATE, { id: driver.id, input: { expectedVersion: 1, licenseClass: 'C' } }, token)
      t.match(updated.updateDriver, { licenseClass: 'C', version: 2 }, `${role} creates and updates`)
    }
    t.same(codes(await gql(DRIVERS, {})), ['UNAUTHENTICATED'], 'anonymous callers are refused')
  })
})

void t.test('a driver on a current assignment cannot be taken off duty', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const token = await login('fleet_manager@fleet.example')
  const busy = (await gql('{ drivers(first: 1, filter: { assigned: true }) { nodes { id version currentAssignment { id } } } }', {}, token)).data?.drivers.nodes[0]
  const refused = await gql('mutation ($id: ID!, $v: Int!) { updateDriver(id: $id, input: { expectedVersion: $v, status: ON_LEAVE }) { status } }', { id: busy.id, v: busy.version }, token)
  t.same(codes(refused), ['CONFLICT'])
  t.equal(refused.errors?.[0]?.extensions.field, 'input.status')
  const ended = await gql('mutation ($id: ID!) { endAssignment(id: $id) { id } }', { id: busy.currentAssignment.id }, token)
  t.equal(ended.errors, undefined)
  const allowed = await gql('mutation ($id: ID!, $v: Int!) { updateDriver(id: $id, input: { expectedVersion: $v, status: ON_LEAVE }) { status } }', { id: busy.id, v: busy.version }, token)
  t.same(allowed.data, { updateDriver: { status: 'ON_LEAVE' } }, 'after ending the assignment')
})
