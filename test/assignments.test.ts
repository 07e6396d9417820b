import t from 'tap'
import { vinCheckDigit } from '../src/modules/vehicles/vin.js'
import { dataFetcher } from './helpers/graphql.js'
import { buildTestApp, codes, type GraphQLResponse } from './helpers/app.js'
import { SEED_NOW } from './helpers/environment.js'

// Who drives what when, through the public GraphQL surface. A vehicle has one driver and a driver
// one vehicle at a time; the concurrency tests show the database (exclusion constraints), not only
// the code, refuses overlaps. Fresh vehicles and drivers keep each test's periods to itself.

interface Assignment {
  id: string
  startsAt: string
  endsAt: string | null
  notes: string | null
  isCurrent: boolean
  version: number
  vehicle: { id: string, number: string }
  driver: { id: string, name: string }
}
interface PageInfo { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }
interface Connection { totalCount: number, pageInfo: PageInfo, nodes: Assignment[] }
type Pair = Record<'vehicleId' | 'driverId', string>

const FIELDS = 'id startsAt endsAt notes isCurrent version vehicle { id number } driver { id name }'
const ASSIGN = `mutation ($input: AssignDriverInput!) { assignDriver(input: $input) { ${FIELDS} } }`
const END = `mutation ($id: ID!, $endsAt: DateTime) { endAssignment(id: $id, endsAt: $endsAt) { ${FIELDS} } }`
const CANCEL = 'mutation ($id: ID!) { cancelAssignment(id: $id) }'
const LIST = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: AssignmentFilter) {
  assignments(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { ${FIELDS} }
  }
}`
const CREATE_VEHICLE = 'mutation ($input: CreateVehicleInput!) { createVehicle(input: $input) { id } }'
const CREATE_DRIVER = 'mutation ($input: CreateDriverInput!) { createDriver(input: $input) { id } }'
const CURRENT = `query ($vehicleId: ID!, $driverId: ID!) {
  vehicle(id: $vehicleId) { currentDriver { id } currentAssignment { id } }
  driver(id: $driverId) { currentVehicle { id } currentAssignment { id isCurrent } }
}`

const HOUR = 3_600_000
const DAY = 24 * HOUR
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

/** A 17-character VIN with a valid check digit, different for every serial. */
function vin (serial: number): string {
  const draft = `1FTAT5T0R${String(serial).padStart(8, '0')}`
  return draft.slice(0, 8) + vinCheckDigit(draft) + draft.slice(9)
}

function errorOf (response: GraphQLResponse): { code: string | undefined, field: string | undefined, message: string | undefined } {
  const error = response.errors?.[0]
  return { code: error?.extensions.code, field: error?.extensions.field, message: error?.message }
}

void t.test('assignments', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const manager = await login('fleet_manager@fleet.example')
  const dispatcher = await login('dispatcher@fleet.example')
  const otherDispatcher = await login('dispatcher@other.example')

  const data = dataFetcher(gql, dispatcher)
  const list = async (variables: Record<string, unknown>, token = dispatcher): Promise<Connection> =>
    (await data<{ assignments: Connection }>(LIST, variables, token)).assignments
  const assign = async (input: Record<string, unknown>, token = dispatcher): Promise<GraphQLResponse<{ assignDriver: Assignment }>> =>
    await gql<{ assignDriver: Assignment }>(ASSIGN, { input }, token)
  const mustAssign = async (input: Record<string, unknown>, token = dispatcher): Promise<Assignment> =>
    (await data<{ assignDriver: Assignment }>(ASSIGN, { input }, token)).assignDriver
  const end = async (id: string, endsAt?: string, token = dispatcher): Promise<GraphQLResponse<{ endAssignment: Assignment }>> =>
    await gql<{ endAssignment: Assignment }>(END, { id, endsAt }, token)
  const cancel = async (id: string, token = dispatcher): Promise<GraphQLResponse<{ cancelAssignment: boolean }>> =>
    await gql<{ cancelAssignment: boolean }>(CANCEL, { id }, token)

  let serial = 0
  const newVehicle = async (): Promise<string> => {
    serial += 1
    const input = { number: `AT-${serial}`, name: `Assignment test ${serial}`, vin: vin(serial), make: 'Ford', model: 'Transit', year: 2024, type: 'VAN', fuelType: 'DIESEL' }
    return (await data<{ createVehicle: { id: string } }>(CREATE_VEHICLE, { input }, manager)).createVehicle.id
  }
  const newDriver = async (): Promise<string> => {
    serial += 1
    return (await data<{ createDriver: { id: string } }>(CREATE_DRIVER, { input: { name: `Test Driver ${serial}`, licenseNumber: `AT-${serial}` } }, manager)).createDriver.id
  }
  const newPair = async (): Promise<Pair> => ({ vehicleId: await newVehicle(), driverId: await newDriver() })
  const idOf = async (query: string, token = dispatcher): Promise<string> => {
    const response = await data<Record<string, { nodes: Array<{ id: string }> }>>(query, {}, token)
    const id = Object.values(response)[0]?.nodes[0]?.id
    if (id === undefined) throw new Error(`nothing found by ${query}`)
    return id
  }
  /** A point in time `hours` from `base` (default: now). */
  const at = (hours: number, base = Date.now()): string => new Date(base + hours * HOUR).toISOString()

  const v001 = await idOf('{ vehicles(filter: { search: "V-001" }) { nodes { id } } }')
  const hiro = await idOf('{ drivers(filter: { search: "Hiro Fischer" }, first: 1) { nodes { id } } }')

  await t.test('assignments(): newest start first, keyset pages, filters by vehicle, driver and moment', async (t) => {
    const pages: Connection[] = []
    let after: string | null = null
    do {
      const page: Connection = await list({ first: 40, after })
      pages.push(page)
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
    } while (after !== null && pages.length < 5)
    const all = pages.flatMap((p) => p.nodes)
    t.same(pages.map((p) => [p.totalCount, p.nodes.length, p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]),
      [[95, 40, false, true], [95, 40, true, true], [95, 15, true, false]])
    t.equal(new Set(all.map((a) => a.id)).size, 95, 'every assignment exactly once, ties on startsAt included')
    t.same(all.map((a) => a.startsAt), all.map((a) => a.startsAt).sort().reverse(), 'newest start first')
    const tail = await list({ last: 10 })
    t.same(tail.nodes.map((a) => a.id), all.slice(-10).map((a) => a.id))
    t.match(tail.pageInfo, { hasPreviousPage: true, hasNextPage: false })

    const ofVehicle = await list({ filter: { vehicleId: v001 } })
    t.same(ofVehicle.nodes.map((a) => [a.vehicle.number, a.driver.name, a.isCurrent]),
      [['V-001', 'Aisha Okafor', true], ['V-001', 'Hiro Fischer', false], ['V-001', 'Aisha Okafor', false]])
    t.same(ofVehicle.nodes[0]?.endsAt, null)
    const ofDriver = await list({ filter: { driverId: hiro } })
    t.same(ofDriver.nodes.map((a) => a.vehicle.number), ['V-002', 'V-001', 'V-002'])
    t.equal((await list({ filter: { vehicleId: v001, driverId: hiro } })).totalCount, 1)
    const page1 = await list({ first: 2, filter: { driverId: hiro } })
    const page2 = await list({ first: 2, after: page1.pageInfo.endCursor, filter: { driverId: hiro } })
    t.same([...page1.nodes, ...page2.nodes].map((a) => a.id), ofDriver.nodes.map((a) => a.id), 'filtered pages join up')
    t.same([page1.totalCount, page2.totalCount, page2.pageInfo.hasNextPage], [3, 3, false])

    const activeAt = async (moment: Date): Promise<Connection> => await list({ first: 100, filter: { activeAt: moment.toISOString() } })
    const atSeed = await activeAt(SEED_NOW)
    t.equal(atSeed.totalCount, 33, 'the open-ended assignments at seed time')
    t.ok(atSeed.nodes.every((a) => a.startsAt <= SEED_NOW.toISOString() && a.endsAt === null))
    t.equal((await activeAt(new Date(SEED_NOW.getTime() + 2.5 * DAY))).totalCount, 34, 'plus the first cover shift')
    t.equal((await activeAt(new Date(SEED_NOW.getTime() + 9.5 * DAY))).totalCount, 34, 'plus the second one, the first having ended')
    t.equal((await activeAt(new Date(SEED_NOW.getTime() - 150 * DAY))).totalCount, 20, 'the second history window')
    t.equal((await activeAt(new Date(SEED_NOW.getTime() - 220 * DAY))).totalCount, 0, 'between the two history windows')
    const now = await activeAt(new Date())
    t.equal(now.totalCount, 33)
    t.ok(now.nodes.every((a) => a.isCurrent))
    t.match(errorOf(await gql(LIST, { filter: { vehicleId: 'V-001' } }, dispatcher)), { code: 'BAD_USER_INPUT', field: 'filter.vehicleId' })
  })

  await t.test('assignDriver: starts now, open end, and shows as current on both sides', async (t) => {
    const pair = await newPair()
    const before = new Date().toISOString()
    const assignment = await mustAssign({ ...pair, notes: ' Night shift ' })
    const after = new Date().toISOString()
    t.match(assignment, { endsAt: null, notes: 'Night shift', isCurrent: true, version: 1, vehicle: { id: pair.vehicleId }, driver: { id: pair.driverId } })
    t.ok(assignment.startsAt >= before && assignment.startsAt <= after, 'startsAt defaults to now')
    t.same(await data(CURRENT, pair), {
      vehicle: { currentDriver: { id: pair.driverId }, currentAssignment: { id: assignment.id } },
      driver: { currentVehicle: { id: pair.vehicleId }, currentAssignment: { id: assignment.id, isCurrent: true } }
    })
    t.equal((await list({ filter: { activeAt: new Date().toISOString() } })).totalCount, 34)
  })

  await t.test('overlaps are CONFLICTs for the vehicle and for the driver; adjacent periods are fine', async (t) => {
    const base = Date.now() + 100 * DAY
    const [vehicle, otherVehicle, driver, otherDriver] = [await newVehicle(), await newVehicle(), await newDriver(), await newDriver()]
    const first = await mustAssign({ vehicleId: vehicle, driverId: driver, startsAt: at(0, base), endsAt: at(10, base) })
    t.same([first.startsAt, first.endsAt, first.isCurrent], [at(0, base), at(10, base), false], 'an upcoming assignment')

    const sameVehicle = await assign({ vehicleId: vehicle, driverId: otherDriver, startsAt: at(5, base), endsAt: at(15, base) })
    t.same(errorOf(sameVehicle), { code: 'CONFLICT', field: 'input.vehicleId', message: 'The vehicle already has a driver for part of this period' })
    const openEnded = await assign({ vehicleId: vehicle, driverId: otherDriver, startsAt: at(-20, base) })
    t.match(errorOf(openEnded), { code: 'CONFLICT', field: 'input.vehicleId' }, 'an open end overlaps everything later')
    const sameDriver = await assign({ vehicleId: otherVehicle, driverId: driver, startsAt: at(9, base), endsAt: at(20, base) })
    t.same(errorOf(sameDriver), { code: 'CONFLICT', field: 'input.driverId', message: 'The driver is already assigned to a vehicle for part of this period' })
    const inside = await assign({ vehicleId: otherVehicle, driverId: driver, startsAt: at(2, base), endsAt: at(3, base) })
    t.match(errorOf(inside), { code: 'CONFLICT', field: 'input.driverId' })

    await mustAssign({ vehicleId: vehicle, driverId: otherDriver, startsAt: at(10, base), endsAt: at(20, base) })
    await mustAssign({ vehicleId: vehicle, driverId: otherDriver, startsAt: at(-5, base), endsAt: at(0, base) })
    await mustAssign({ vehicleId: otherVehicle, driverId: driver, startsAt: at(10, base), endsAt: at(12, base) })
    const ofVehicle = await list({ filter: { vehicleId: vehicle } })
    t.same(ofVehicle.nodes.map((a) => [a.startsAt, a.endsAt]), [[at(10, base), at(20, base)], [at(0, base), at(10, base)], [at(-5, base), at(0, base)]],
      'three back-to-back periods, newest first')
    t.equal((await list({ filter: { driverId: driver } })).totalCount, 2)
  })

  await t.test('assignDriver refuses bad periods, retired vehicles, unavailable drivers and foreign ids', async (t) => {
    const pair = await newPair()
    const start = at(48)
    const refusals: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['endsAt = startsAt', { startsAt: start, endsAt: start }, 'input.endsAt', /after startsAt/],
      ['endsAt < startsAt', { startsAt: start, endsAt: at(47) }, 'input.endsAt', /after startsAt/],
      ['endsAt in the past, start defaulting to now', { endsAt: at(-1) }, 'input.endsAt', /after startsAt/],
      ['malformed vehicle id', { vehicleId: 'V-001' }, 'input.vehicleId', /UUID/],
      ['unknown vehicle', { vehicleId: UNKNOWN }, 'input.vehicleId', /^No such vehicle$/],
      ['unknown driver', { driverId: UNKNOWN }, 'input.driverId', /^No such driver$/]
    ]
    for (const [label, change, field, message] of refusals) {
      t.match(errorOf(await assign({ ...pair, ...change })), { code: 'BAD_USER_INPUT', field, message }, label)
    }

    const retired = await idOf('{ vehicles(filter: { status: [RETIRED] }) { nodes { id } } }')
    t.match(errorOf(await assign({ vehicleId: retired, driverId: pair.driverId })), { code: 'BAD_USER_INPUT', field: 'input.vehicleId', message: 'The vehicle is retired' })
    for (const [status, message] of [['ON_LEAVE', 'The driver is on leave'], ['SUSPENDED', 'The driver is suspended'], ['INACTIVE', 'The driver is inactive']] as const) {
      const driverId = await idOf(`{ drivers(filter: { status: [${status}] }) { nodes { id } } }`)
      t.match(errorOf(await assign({ vehicleId: pair.vehicleId, driverId })), { code: 'BAD_USER_INPUT', field: 'input.driverId', message }, status)
    }

    const theirVehicle = await idOf('{ vehicles(first: 1) { nodes { id } } }', otherDispatcher)
    const theirDriver = await idOf('{ drivers(first: 1) { nodes { id } } }', otherDispatcher)
    t.match(errorOf(await assign({ vehicleId: theirVehicle, driverId: pair.driverId })), { code: 'BAD_USER_INPUT', field: 'input.vehicleId', message: 'No such vehicle' })
    t.match(errorOf(await assign({ vehicleId: pair.vehicleId, driverId: theirDriver })), { code: 'BAD_USER_INPUT', field: 'input.driverId', message: 'No such driver' })
    t.equal((await list({ filter: { vehicleId: pair.vehicleId } })).totalCount, 0, 'nothing was stored')
    t.equal((await list({ filter: { vehicleId: theirVehicle } }, otherDispatcher)).totalCount, 3, 'their vehicle kept its own history only')
  })

  await t.test('concurrent assignDriver for one vehicle: exactly one wins (5 rounds)', async (t) => {
    for (let round = 0; round < 5; round++) {
      const [vehicleId, driver1, driver2] = [await newVehicle(), await newDriver(), await newDriver()]
      const base = Date.now() + (200 + round) * DAY
      const results = await Promise.all([
        assign({ vehicleId, driverId: driver1, startsAt: at(0, base), endsAt: at(8, base) }),
        assign({ vehicleId, driverId: driver2, startsAt: at(4, base), endsAt: at(12, base) })
      ])
      const winners = results.filter((r) => r.errors === undefined)
      t.equal(winners.length, 1, `round ${round}: one succeeds`)
      t.same(results.filter((r) => r.errors !== undefined).map(errorOf).map((e) => [e.code, e.field]), [['CONFLICT', 'input.vehicleId']], `round ${round}: the other is a CONFLICT`)
      const stored = await list({ filter: { vehicleId } })
      t.same(stored.nodes.map((a) => a.id), [winners[0]?.data?.assignDriver.id], `round ${round}: only the winner is stored`)
    }
  })

  await t.test('concurrent assignDriver for one driver on two vehicles: exactly one wins (5 rounds)', async (t) => {
    for (let round = 0; round < 5; round++) {
      const [vehicle1, vehicle2, driverId] = [await newVehicle(), await newVehicle(), await newDriver()]
      const results = await Promise.all([assign({ vehicleId: vehicle1, driverId }), assign({ vehicleId: vehicle2, driverId })])
      const winners = results.filter((r) => r.errors === undefined)
      t.equal(winners.length, 1, `round ${round}: one succeeds`)
      t.same(results.filter((r) => r.errors !== undefined).map(errorOf).map((e) => [e.code, e.field]), [['CONFLICT', 'input.driverId']], `round ${round}: the other is a CONFLICT`)
      const stored = await list({ filter: { driverId } })
      t.same(stored.nodes.map((a) => a.id), [winners[0]?.data?.assignDriver.id], `round ${round}: only the winner is stored`)
    }
  })

  await t.test('endAssignment: now by default, or at a given time after the start', async (t) => {
    const pair = await newPair()
    const current = await mustAssign(pair)
    const before = new Date().toISOString()
    const ended = (await end(current.id)).data?.endAssignment
    t.match(ended, { id: current.id, isCurrent: false, version: 2 })
    t.ok(ended !== undefined && ended.endsAt !== null && ended.endsAt >= before && ended.endsAt <= new Date().toISOString(), 'endsAt defaults to now')
    t.same(await data(CURRENT, pair), { vehicle: { currentDriver: null, currentAssignment: null }, driver: { currentVehicle: null, currentAssignment: null } })
    t.match(errorOf(await end(current.id)), { code: 'CONFLICT', field: 'id', message: /already ended/ }, 'ending twice')
    const next = await mustAssign(pair)
    t.equal(next.isCurrent, true, 'the vehicle and driver are free again right away')

    const started = await mustAssign({ ...(await newPair()), startsAt: at(-3) })
    t.match(errorOf(await end(started.id, at(-4))), { code: 'BAD_USER_INPUT', field: 'endsAt' }, 'before the start')
    t.match(errorOf(await end(started.id, started.startsAt)), { code: 'BAD_USER_INPUT', field: 'endsAt' }, 'at the start')
    const later = at(2)
    t.match((await end(started.id, later)).data?.endAssignment, { endsAt: later, isCurrent: true, version: 2 }, 'a later end keeps it current until then')
    const earlier = at(-1)
    t.match((await end(started.id, earlier)).data?.endAssignment, { endsAt: earlier, isCurrent: false, version: 3 }, 'and it can be brought forward')

    const base = Date.now() + 30 * DAY
    const shiftPair = await newPair()
    const shift = await mustAssign({ ...shiftPair, startsAt: at(0, base), endsAt: at(5, base) })
    await mustAssign({ vehicleId: shiftPair.vehicleId, driverId: await newDriver(), startsAt: at(5, base), endsAt: at(10, base) })
    t.match(errorOf(await end(shift.id, at(7, base))), { code: 'CONFLICT', field: 'endsAt', message: /vehicle already has a driver/ }, 'a later end running into the next shift')
    t.match((await end(shift.id, at(4, base))).data?.endAssignment, { endsAt: at(4, base), version: 2 }, 'an earlier one is fine')

    const upcoming = await mustAssign({ ...(await newPair()), startsAt: at(24) })
    t.match(errorOf(await end(upcoming.id)), { code: 'BAD_USER_INPUT', field: 'endsAt', message: /cancelAssignment/ }, 'one that has not started')
    t.match(errorOf(await end(UNKNOWN)), { code: 'NOT_FOUND' })
    t.match(errorOf(await end('nope')), { code: 'BAD_USER_INPUT', field: 'id' })
  })

  await t.test('cancelAssignment deletes an upcoming assignment; a started one is a CONFLICT', async (t) => {
    const pair = await newPair()
    const upcoming = await mustAssign({ ...pair, startsAt: at(24), endsAt: at(30) })
    const started = await mustAssign({ ...pair, startsAt: at(-2), endsAt: at(2) })
    t.same((await cancel(upcoming.id)).data, { cancelAssignment: true })
    t.same((await list({ filter: { vehicleId: pair.vehicleId } })).nodes.map((a) => a.id), [started.id], 'it is gone')
    t.same(codes(await cancel(upcoming.id)), ['NOT_FOUND'], 'cancelling twice')
    t.match(errorOf(await cancel(started.id)), { code: 'CONFLICT', field: 'id', message: /endAssignment/ })
    t.equal((await list({ filter: { vehicleId: pair.vehicleId } })).totalCount, 1, 'the started one stays')
    t.same(codes(await cancel(UNKNOWN)), ['NOT_FOUND'])
  })

  await t.test('tenants: another organization cannot see or change demo assignments', async (t) => {
    const demoCurrent = (await list({ first: 1, filter: { vehicleId: v001 } })).nodes[0] as Assignment
    const demoUpcoming = await mustAssign({ ...(await newPair()), startsAt: at(72) })
    const theirs = await list({ first: 100 }, otherDispatcher)
    t.equal(theirs.totalCount, 13)
    t.notOk(theirs.nodes.some((a) => a.id === demoCurrent.id || a.vehicle.number.startsWith('V-')), 'only their own assignments')
    t.equal((await list({ filter: { vehicleId: v001 } }, otherDispatcher)).totalCount, 0)
    t.equal((await list({ filter: { driverId: hiro } }, otherDispatcher)).totalCount, 0)
    t.same(codes(await end(demoCurrent.id, undefined, otherDispatcher)), ['NOT_FOUND'])
    t.same(codes(await cancel(demoUpcoming.id, otherDispatcher)), ['NOT_FOUND'])
    t.match(errorOf(await assign({ vehicleId: v001, driverId: hiro }, otherDispatcher)), { code: 'BAD_USER_INPUT', message: 'No such vehicle' })
    const after = await list({ filter: { vehicleId: v001 } })
    t.match(after.nodes[0], { id: demoCurrent.id, endsAt: null, isCurrent: true }, 'the demo assignment is untouched')
    t.equal((await list({ filter: { vehicleId: demoUpcoming.vehicle.id } })).totalCount, 1)
  })

  await t.test('roles: DISPATCHER, FLEET_MANAGER and ADMIN assign; VIEWER reads, DRIVER reads its own, MECHANIC neither', async (t) => {
    const pair = await newPair()
    const upcoming = await mustAssign({ ...pair, startsAt: at(24) })
    const started = await mustAssign({ vehicleId: await newVehicle(), driverId: await newDriver() })
    for (const role of ['viewer', 'driver', 'mechanic']) {
      const token = await login(`${role}@fleet.example`)
      t.same(codes(await assign({ ...pair, startsAt: at(96) }, token)), ['FORBIDDEN'], `${role} assignDriver`)
      t.same(codes(await end(started.id, undefined, token)), ['FORBIDDEN'], `${role} endAssignment`)
      t.same(codes(await cancel(upcoming.id, token)), ['FORBIDDEN'], `${role} cancelAssignment`)
    }
    t.equal((await list({ filter: { vehicleId: pair.vehicleId } }, await login('viewer@fleet.example'))).totalCount, 1, 'viewer reads assignments')
    t.equal((await list({ filter: { vehicleId: pair.vehicleId } }, await login('driver@fleet.example'))).totalCount, 0, 'a driver reads only its own assignments')
    t.same(codes(await gql(LIST, { filter: { vehicleId: pair.vehicleId } }, await login('mechanic@fleet.example'))), ['FORBIDDEN'], 'a mechanic reads no assignments')
    t.same((await list({ filter: { driverId: started.driver.id } })).nodes.map((a) => [a.id, a.endsAt]), [[started.id, null]], 'nothing changed')
    for (const role of ['dispatcher', 'fleet_manager', 'admin']) {
      const token = await login(`${role}@fleet.example`)
      const fresh = await newPair()
      const later = await mustAssign({ ...fresh, startsAt: at(24) }, token)
      t.same((await cancel(later.id, token)).data, { cancelAssignment: true }, `${role} cancels`)
      const now = await mustAssign(fresh, token)
      t.match((await end(now.id, undefined, token)).data?.endAssignment, { id: now.id, isCurrent: false }, `${role} assigns and ends`)
    }
    t.same(codes(await gql(LIST, {})), ['UNAUTHENTICATED'], 'anonymous callers are refused')
  })
})
