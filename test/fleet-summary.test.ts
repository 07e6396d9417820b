import t, { type Test } from 'tap'
import { vinCheckDigit } from '../src/modules/vehicles/vin.js'
import { dataFetcher } from './helpers/graphql.js'
import { buildTestApp, codes } from './helpers/app.js'

// The dashboard numbers: each one is checked against the same count taken another way (the
// filtered lists' totalCount), and followed through the mutations that move it.

interface Summary {
  totalVehicles: number
  vehiclesByStatus: Array<{ status: string, count: number }>
  activeDrivers: number
  activeAssignments: number
}

const SUMMARY = '{ fleetSummary { totalVehicles vehiclesByStatus { status count } activeDrivers activeAssignments } }'
const STATUSES = ['ACTIVE', 'IN_SHOP', 'OUT_OF_SERVICE', 'RETIRED'] as const
/** The same numbers from the lists: one totalCount per vehicle status, active drivers, assignments in effect now. */
const INDEPENDENT = `query ($now: DateTime!) {
  all: vehicles { totalCount }
  ${STATUSES.map((s) => `${s}: vehicles(filter: { status: [${s}] }) { totalCount }`).join('\n  ')}
  drivers(filter: { status: [ACTIVE] }) { totalCount }
  assignments(filter: { activeAt: $now }) { totalCount }
}`
const CREATE_VEHICLE = 'mutation ($input: CreateVehicleInput!) { createVehicle(input: $input) { id } }'
const RETIRE = 'mutation ($id: ID!) { retireVehicle(id: $id) { status } }'
const CREATE_DRIVER = 'mutation ($input: CreateDriverInput!) { createDriver(input: $input) { id } }'
const ASSIGN = 'mutation ($input: AssignDriverInput!) { assignDriver(input: $input) { id isCurrent } }'
const END = 'mutation ($id: ID!) { endAssignment(id: $id) { id isCurrent } }'
const UPDATE_DRIVER = 'mutation ($id: ID!, $input: UpdateDriverInput!) { updateDriver(id: $id, input: $input) { status } }'

/** Summary numbers in a compact form: [total, [ACTIVE, IN_SHOP, OUT_OF_SERVICE, RETIRED], activeDrivers, activeAssignments]. */
type Numbers = [number, [number, number, number, number], number, number]

function summaryOf ([total, byStatus, drivers, assignments]: Numbers): Summary {
  return {
    totalVehicles: total,
    vehiclesByStatus: STATUSES.map((status, i) => ({ status, count: byStatus[i] as number })),
    activeDrivers: drivers,
    activeAssignments: assignments
  }
}

function vin (serial: number): string {
  const draft = `1FTFS5T0R${String(serial).padStart(8, '0')}`
  return draft.slice(0, 8) + vinCheckDigit(draft) + draft.slice(9)
}

void t.test('fleetSummary', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const manager = await login('fleet_manager@fleet.example')
  const otherManager = await login('fleet_manager@other.example')

  const data = dataFetcher(gql, manager)
  const summary = async (token = manager): Promise<Summary> => (await data<{ fleetSummary: Summary }>(SUMMARY, {}, token)).fleetSummary
  const independent = async (token = manager): Promise<Summary> => {
    const counts = await data<Record<string, { totalCount: number }>>(INDEPENDENT, { now: new Date().toISOString() }, token)
    const count = (key: string): number => counts[key]?.totalCount ?? Number.NaN
    return summaryOf([count('all'), STATUSES.map(count) as Numbers[1], count('drivers'), count('assignments')])
  }
  /** The summary is `expected`, and agrees with the lists. */
  const check = async (t: Test, expected: Numbers, label: string, token = manager): Promise<void> => {
    const actual = await summary(token)
    t.same(actual, summaryOf(expected), `${label}: the summary`)
    t.same(await independent(token), actual, `${label}: the lists agree`)
  }
  const idOf = async (query: string): Promise<string> => {
    const id = Object.values(await data<Record<string, { nodes: Array<{ id: string }> }>>(query, {}))[0]?.nodes[0]?.id
    if (id === undefined) throw new Error(`nothing found by ${query}`)
    return id
  }
  let serial = 0
  const createVehicle = async (status: string): Promise<string> => {
    serial += 1
    const input = { number: `FS-${serial}`, name: `Summary test ${serial}`, vin: vin(serial), make: 'Ford', model: 'Transit', year: 2024, type: 'VAN', fuelType: 'DIESEL', status }
    return (await data<{ createVehicle: { id: string } }>(CREATE_VEHICLE, { input })).createVehicle.id
  }
  const createDriver = async (status: string): Promise<string> => {
    serial += 1
    return (await data<{ createDriver: { id: string } }>(CREATE_DRIVER, { input: { name: `Summary Driver ${serial}`, licenseNumber: `FS-${serial}`, status } })).createDriver.id
  }

  await t.test('the demo fleet: counts match the lists, every status listed', async (t) => {
    await check(t, [50, [42, 4, 2, 2], 35, 33], 'seeded demo')
    t.same((await summary()).vehiclesByStatus.map((s) => s.status), ['ACTIVE', 'IN_SHOP', 'OUT_OF_SERVICE', 'RETIRED'])
  })

  await t.test('each organization sees its own numbers, zero counts included', async (t) => {
    await check(t, [6, [6, 0, 0, 0], 5, 3], 'other', otherManager)
  })

  await t.test('the summary follows createVehicle, retireVehicle, assignDriver, endAssignment and driver changes', async (t) => {
    const active = await createVehicle('ACTIVE')
    await check(t, [51, [43, 4, 2, 2], 35, 33], 'after createVehicle (ACTIVE)')
    await createVehicle('OUT_OF_SERVICE')
    await check(t, [52, [43, 4, 3, 2], 35, 33], 'after createVehicle (OUT_OF_SERVICE)')

    const freeDriver = await idOf('{ drivers(filter: { status: [ACTIVE], assigned: false }, first: 1) { nodes { id } } }')
    const first = (await data<{ assignDriver: { id: string, isCurrent: boolean } }>(ASSIGN, { input: { vehicleId: active, driverId: freeDriver } })).assignDriver
    t.equal(first.isCurrent, true)
    await check(t, [52, [43, 4, 3, 2], 35, 34], 'after assignDriver')
    t.same((await data<{ retireVehicle: { status: string } }>(RETIRE, { id: active })).retireVehicle, { status: 'RETIRED' })
    await check(t, [52, [42, 4, 3, 3], 35, 33], 'after retireVehicle, which ends its current assignment')

    const v036 = await idOf('{ vehicles(filter: { search: "V-036" }) { nodes { id } } }')
    const second = (await data<{ assignDriver: { id: string } }>(ASSIGN, { input: { vehicleId: v036, driverId: freeDriver } })).assignDriver
    await check(t, [52, [42, 4, 3, 3], 35, 34], 'after a second assignDriver')
    t.same((await data<{ endAssignment: { isCurrent: boolean } }>(END, { id: second.id })).endAssignment.isCurrent, false)
    await check(t, [52, [42, 4, 3, 3], 35, 33], 'after endAssignment')
    await data(ASSIGN, { input: { vehicleId: v036, driverId: freeDriver, startsAt: new Date(Date.now() + 86_400_000).toISOString() } })
    await check(t, [52, [42, 4, 3, 3], 35, 33], 'an upcoming assignment is not active')

    const driver = await createDriver('ACTIVE')
    await createDriver('ON_LEAVE')
    await check(t, [52, [42, 4, 3, 3], 36, 33], 'after createDriver (ACTIVE and ON_LEAVE)')
    await data(UPDATE_DRIVER, { id: driver, input: { expectedVersion: 1, status: 'SUSPENDED' } })
    await check(t, [52, [42, 4, 3, 3], 35, 33], 'after suspending a driver')

    await check(t, [6, [6, 0, 0, 0], 5, 3], 'the other organization is unaffected', otherManager)
  })

  await t.test('every role but DRIVER reads it; anonymous callers cannot', async (t) => {
    const expected = await summary()
    for (const role of ['admin', 'dispatcher', 'mechanic', 'viewer']) {
      t.same(await summary(await login(`${role}@fleet.example`)), expected, role)
    }
    t.same(codes(await gql(SUMMARY, {}, await login('driver@fleet.example'))), ['FORBIDDEN'], 'a driver sees its own vehicle, not the fleet')
    t.same(codes(await gql(SUMMARY)), ['UNAUTHENTICATED'])
  })
})
