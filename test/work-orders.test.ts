import t, { type Test } from 'tap'
import { buildTestApp, codes } from './helpers/app.js'
import { ok, refused } from './helpers/graphql.js'

// Work orders: a fleet manager opens one for what is overdue, a mechanic adds parts and labour and
// completes it, the schedule moves on, the vehicle's cost of service is exact to the cent, and the
// alert that announced it is resolved. Around that: the status machine, money, concurrency,
// who may do what, and statement counts.

const DAY = 86_400_000
const ORDER = `id number status kind priority title takesVehicleOffRoad startedAt completedAt statusReason odometerIn odometerOut engineHoursIn engineHoursOut
  vehicle { id status } assignee { id name } vendor { name } facility { code }
  tasks { id task { name } schedule { id } }
  parts { id partNumber description quantity unitCost { amount currency } amount { amount currency } }
  labor { id technician { name } technicianName hours rate { amount } amount { amount } }
  partsTotal { amount currency } laborTotal { amount currency } total { amount currency } version`
const CREATE = `mutation ($input: CreateWorkOrderInput!) { createWorkOrder(input: $input) { ${ORDER} } }`
const PART = `mutation ($id: ID!, $input: AddWorkOrderPartInput!) { addWorkOrderPart(workOrderId: $id, input: $input) { ${ORDER} } }`
const LABOR = `mutation ($id: ID!, $input: AddWorkOrderLaborInput!) { addWorkOrderLabor(workOrderId: $id, input: $input) { ${ORDER} } }`
const START = `mutation ($id: ID!, $input: StartWorkOrderInput) { startWorkOrder(id: $id, input: $input) { ${ORDER} } }`
const HOLD = `mutation ($id: ID!, $reason: String!) { holdWorkOrder(id: $id, reason: $reason) { ${ORDER} } }`
const COMPLETE = `mutation ($id: ID!, $input: CompleteWorkOrderInput) { completeWorkOrder(id: $id, input: $input) { ${ORDER} } }`
const CANCEL = `mutation ($id: ID!, $reason: String!) { cancelWorkOrder(id: $id, reason: $reason) { ${ORDER} } }`
const UPDATE = `mutation ($id: ID!, $input: UpdateWorkOrderInput!) { updateWorkOrder(id: $id, input: $input) { ${ORDER} } }`
const REMOVE = `mutation ($id: ID!) { removeWorkOrderLine(id: $id) { ${ORDER} } }`

async function setup (t: Test) {
  const app = await buildTestApp(t, { env: { SERVICE_DUE_ALERTS_INTERVAL_SECONDS: '0' } })
  const manager = await app.login('fleet_manager@fleet.example')
  const mechanic = await app.login('mechanic@fleet.example')
  const gql = async <T = any>(query: string, variables: object = {}, token = manager) => await app.gql<T>(query, variables, token)
  const active = ok(await gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id number odometer engineHours type } } }')).vehicles.nodes
  const mechanicId = ok(await gql<any>('{ me { id } }', {}, mechanic)).me.id
  const create = async (input: object, token = manager) => ok(await gql<any>(CREATE, { input: { kind: 'CORRECTIVE', title: 'Test order', ...input } }, token)).createWorkOrder
  return { ...app, manager, mechanic, mechanicId, gql, active, create }
}

void t.test('the daily work: overdue, a work order, parts and labour, completion, the schedule moves on, the alert resolved', async (t) => {
  const s = await setup(t)
  // What is overdue across the fleet, and one item of it.
  const overdue = ok(await s.gql<any>('{ maintenanceDue(filter: { status: [OVERDUE] }, first: 100) { nodes { vehicle { id number status odometer engineHours } task { id name } schedule { id } } } }')).maintenanceDue.nodes
    .filter((d: any) => d.vehicle.status === 'ACTIVE')
  const item = overdue[0]
  t.ok(item !== undefined, `the demo fleet has overdue maintenance on active vehicles (${overdue.length})`)
  // The alert that announces it (raised by the job, here through the CLI's run of it).
  const { raiseDueAlerts } = await import('../src/modules/maintenance-schedules/due-alerts.js')
  await raiseDueAlerts({ db: s.app.db, events: s.app.events, config: s.config, log: s.app.log })
  const alertsOf = async () => ok(await s.gql<any>('query ($v: [ID!]) { alerts(filter: { vehicleIds: $v, kind: [MAINTENANCE_OVERDUE] }, first: 20) { nodes { id status maintenanceSchedule { id } } } }', { v: [item.vehicle.id] })).alerts.nodes
    .filter((a: any) => a.maintenanceSchedule.id === item.schedule.id)
  t.equal((await alertsOf())[0]?.status, 'OPEN', 'an open MAINTENANCE_OVERDUE alert announces it')

  const order = await s.create({ vehicleId: item.vehicle.id, kind: 'PREVENTIVE', title: item.task.name, tasks: [{ taskId: item.task.id, scheduleId: item.schedule.id }] })
  t.match(order, { status: 'OPEN', number: /^WO-\d{6}$/, takesVehicleOffRoad: true, vehicle: { status: 'IN_SHOP' }, tasks: [{ task: { name: item.task.name }, schedule: { id: item.schedule.id } }], total: { amount: '0.00', currency: 'USD' } })
  t.equal(ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { status } }', { id: item.vehicle.id })).vehicle.status, 'IN_SHOP', 'the vehicle is in the shop')

  // The mechanic picks it up: unassigned orders are theirs to work.
  const odometerIn = item.vehicle.odometer + 12.3
  const started = ok(await s.gql<any>(START, { id: order.id, input: { odometerIn, engineHoursIn: item.vehicle.engineHours + 0.5 } }, s.mechanic)).startWorkOrder
  t.match(started, { status: 'IN_PROGRESS', odometerIn })
  t.ok(started.startedAt !== null)
  ok(await s.gql(PART, { id: order.id, input: { partNumber: 'OIL-15W40', description: 'Engine oil 15W-40, litre', quantity: 6.5, unitCost: { amount: '8.20' } } }, s.mechanic))
  ok(await s.gql(PART, { id: order.id, input: { description: 'Oil filter', quantity: 1, unitCost: { amount: '14.99', currency: 'usd' } } }, s.mechanic))
  ok(await s.gql(PART, { id: order.id, input: { description: 'Shop rags', quantity: 3, unitCost: { amount: '0.3333' } } }, s.mechanic))
  const withLabor = ok(await s.gql<any>(LABOR, { id: order.id, input: { technicianId: s.mechanicId, hours: 1.25, rate: { amount: '87.50' }, description: 'Oil change' } }, s.mechanic)).addWorkOrderLabor
  t.same(withLabor.parts.map((p: any) => [p.amount.amount, p.unitCost.amount]), [['53.30', '8.20'], ['14.99', '14.99'], ['1.00', '0.3333']], 'each line rounded to the cent: 6.5 x 8.20, 1 x 14.99, 3 x 0.3333')
  t.same(withLabor.labor.map((l: any) => [l.hours, l.rate.amount, l.amount.amount, l.technician.name]).length, 1)
  t.equal(withLabor.labor[0].amount.amount, '109.38', '1.25 h x 87.50 = 109.375, rounded half up')
  t.same([withLabor.partsTotal.amount, withLabor.laborTotal.amount, withLabor.total.amount], ['69.29', '109.38', '178.67'], 'totals of the rounded lines, exact')

  const completed = ok(await s.gql<any>(COMPLETE, { id: order.id, input: { odometerOut: odometerIn + 1.2, notes: 'Oil and filter done.' } }, s.mechanic)).completeWorkOrder
  t.match(completed, { status: 'COMPLETED', vehicle: { status: 'ACTIVE' }, odometerOut: odometerIn + 1.2 })
  const vehicle = ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { status odometer maintenanceDue { task { id } schedule { id } status lastService { odometer workOrder { id number } } } serviceHistory(first: 1) { nodes { task { name } workOrder { id } odometer } } } }', { id: item.vehicle.id })).vehicle
  t.equal(vehicle.status, 'ACTIVE', 'back in service')
  t.equal(vehicle.odometer, odometerIn + 1.2, 'the odometer out is the vehicle\'s')
  const pair = vehicle.maintenanceDue.find((d: any) => d.schedule.id === item.schedule.id)
  t.match(pair, { status: 'OK', lastService: { odometer: odometerIn + 1.2, workOrder: { id: order.id, number: order.number } } }, 'the schedule counts from the completion')
  t.match(vehicle.serviceHistory.nodes[0], { task: { name: item.task.name }, workOrder: { id: order.id } })
  t.equal((await alertsOf())[0]?.status, 'RESOLVED', 'the alert that announced it is resolved')
  refused(t, await s.gql(PART, { id: order.id, input: { description: 'Late part', quantity: 1, unitCost: { amount: '1.00' } } }, s.mechanic), 'CONFLICT', 'id', 'a completed order takes no more lines')
})

void t.test('the status machine refuses what it does not allow', async (t) => {
  const s = await setup(t)
  const order = await s.create({ vehicleId: s.active[1].id, takesVehicleOffRoad: false })
  const step = async (query: string, variables: object) => await s.gql(query, { id: order.id, ...variables })
  refused(t, await step(COMPLETE, {}), 'CONFLICT', 'id', 'OPEN cannot complete')
  refused(t, await step(HOLD, { reason: 'parts' }), 'CONFLICT', 'id', 'OPEN cannot hold')
  t.equal(ok(await step(START, {})).startWorkOrder.status, 'IN_PROGRESS')
  refused(t, await step(START, {}), 'CONFLICT', 'id', 'IN_PROGRESS cannot start again')
  const held = ok(await step(HOLD, { reason: 'Waiting for a part' })).holdWorkOrder
  t.match(held, { status: 'ON_HOLD', statusReason: 'Waiting for a part' })
  refused(t, await step(COMPLETE, {}), 'CONFLICT', 'id', 'ON_HOLD must resume before completing')
  const resumed = ok(await step(START, {})).startWorkOrder
  t.match(resumed, { status: 'IN_PROGRESS', statusReason: null, startedAt: held.startedAt }, 'resuming keeps when work began')
  refused(t, await step(COMPLETE, { input: { completedAt: new Date(Date.parse(held.startedAt) - DAY).toISOString() } }), 'BAD_USER_INPUT', 'input.completedAt', 'not before it started')
  t.equal(ok(await step(COMPLETE, {})).completeWorkOrder.status, 'COMPLETED')
  refused(t, await step(CANCEL, { reason: 'too late' }), 'CONFLICT', 'id', 'COMPLETED is final')
  refused(t, await step(UPDATE, { input: { expectedVersion: 99, title: 'x' } }), 'CONFLICT', 'input.expectedVersion')

  const other = await s.create({ vehicleId: s.active[2].id })
  t.equal(ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { status } }', { id: s.active[2].id })).vehicle.status, 'IN_SHOP')
  const cancelled = ok(await s.gql<any>(CANCEL, { id: other.id, reason: 'Opened by mistake' })).cancelWorkOrder
  t.match(cancelled, { status: 'CANCELLED', statusReason: 'Opened by mistake', vehicle: { status: 'ACTIVE' } }, 'cancelled: the vehicle is back')
  refused(t, await s.gql(START, { id: other.id }), 'CONFLICT', 'id', 'CANCELLED is final')
  refused(t, await s.gql(CANCEL, { id: other.id, reason: ' ' }), 'BAD_USER_INPUT', 'reason')
})

void t.test('a vehicle stays in the shop while any open order keeps it there', async (t) => {
  const s = await setup(t)
  const vehicleId = s.active[3].id
  const status = async () => ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { status } }', { id: vehicleId })).vehicle.status
  const first = await s.create({ vehicleId })
  const second = await s.create({ vehicleId })
  ok(await s.gql(CANCEL, { id: first.id, reason: 'merged into the other order' }))
  t.equal(await status(), 'IN_SHOP', 'another order still keeps it')
  const updated = ok(await s.gql<any>(UPDATE, { id: second.id, input: { expectedVersion: second.version, takesVehicleOffRoad: false } })).updateWorkOrder
  t.equal(updated.vehicle.status, 'ACTIVE', 'no open order keeps it: back in service')
  ok(await s.gql(UPDATE, { id: second.id, input: { expectedVersion: updated.version, takesVehicleOffRoad: true } }))
  t.equal(await status(), 'IN_SHOP', 'and in again')
})

void t.test('money: many lines sum exactly; one currency per order; bad amounts refused', async (t) => {
  const s = await setup(t)
  const order = await s.create({ vehicleId: s.active[4].id, takesVehicleOffRoad: false })
  // 0.1 + 0.2 is not 0.3 in floating point; 100 lines of 0.10 and 100 of 0.20 must total 30.00.
  for (let i = 0; i < 100; i++) {
    ok(await s.gql(PART, { id: order.id, input: { description: `Washer ${i}`, quantity: 1, unitCost: { amount: '0.10' } } }))
    ok(await s.gql(PART, { id: order.id, input: { description: `Bolt ${i}`, quantity: 1, unitCost: { amount: '0.20' } } }))
  }
  ok(await s.gql(PART, { id: order.id, input: { description: 'Grease', quantity: 0.333, unitCost: { amount: '3.3333' } } }))
  const read = ok(await s.gql<any>('query ($id: ID!) { workOrder(id: $id) { parts { amount { amount } } partsTotal { amount } total { amount } } }', { id: order.id })).workOrder
  t.equal(read.parts.length, 201)
  t.equal(read.parts[200].amount.amount, '1.11', '0.333 x 3.3333 = 1.1099889, to the cent')
  t.equal(read.partsTotal.amount, '31.11', 'no rounding drift')
  t.equal(read.total.amount, '31.11')

  refused(t, await s.gql(PART, { id: order.id, input: { description: 'Euro part', quantity: 1, unitCost: { amount: '5.00', currency: 'EUR' } } }), 'BAD_USER_INPUT', 'input.unitCost.currency', 'one currency per order')
  refused(t, await s.gql(PART, { id: order.id, input: { description: 'Nowhere', quantity: 1, unitCost: { amount: '5.00', currency: 'XYZ' } } }), 'BAD_USER_INPUT', 'input.unitCost.currency', 'not a currency')
  for (const amount of ['1e3', '-5.00', '12.34567', '', 'ten', '1,50', '12345678901.00']) {
    refused(t, await s.gql(PART, { id: order.id, input: { description: 'Bad', quantity: 1, unitCost: { amount } } }), 'BAD_USER_INPUT', 'input.unitCost.amount', `amount "${amount}"`)
  }
  refused(t, await s.gql(PART, { id: order.id, input: { description: 'Bad', quantity: 0, unitCost: { amount: '1.00' } } }), 'BAD_USER_INPUT', 'input.quantity', 'no quantity')
  refused(t, await s.gql(PART, { id: order.id, input: { description: 'Bad', quantity: 1.2345, unitCost: { amount: '1.00' } } }), 'BAD_USER_INPUT', 'input.quantity', 'four decimals')
  refused(t, await s.gql(LABOR, { id: order.id, input: { hours: 1, rate: { amount: '10' }, technicianName: 'Someone', technicianId: s.mechanicId } }), 'BAD_USER_INPUT', 'input.technicianName', 'one technician')

  // A line removed by its id; the order's version moves with its lines.
  const before = ok(await s.gql<any>('query ($id: ID!) { workOrder(id: $id) { version parts { id } } }', { id: order.id })).workOrder
  const after = ok(await s.gql<any>(REMOVE, { id: before.parts[0].id })).removeWorkOrderLine
  t.equal(after.parts.length, 200)
  t.equal(after.partsTotal.amount, '31.01')
  t.ok(after.version > before.version, 'the version moved')
  refused(t, await s.gql(REMOVE, { id: before.parts[0].id }), 'NOT_FOUND', undefined, 'a removed line is gone')
})

void t.test('two completions at once: exactly one wins', async (t) => {
  const s = await setup(t)
  for (let round = 0; round < 3; round++) {
    const order = await s.create({ vehicleId: s.active[5 + round].id })
    ok(await s.gql(START, { id: order.id }))
    const answers = await Promise.all([s.gql(COMPLETE, { id: order.id }), s.gql(COMPLETE, { id: order.id }, s.mechanic)])
    t.same(answers.map((a) => codes(a)).sort(), [[], ['CONFLICT']], `round ${round}: one COMPLETED, one CONFLICT`)
    const records = ok(await s.gql<any>('query ($id: ID!) { workOrder(id: $id) { status vehicle { status } } }', { id: order.id })).workOrder
    t.match(records, { status: 'COMPLETED', vehicle: { status: 'ACTIVE' } })
  }
})

void t.test('meters in and out: readings of the order, a lower one refused and nothing changed', async (t) => {
  const s = await setup(t)
  const vehicle = s.active[8]
  const order = await s.create({ vehicleId: vehicle.id, takesVehicleOffRoad: false })
  refused(t, await s.gql(START, { id: order.id, input: { odometerIn: vehicle.odometer - 100 } }), 'BAD_USER_INPUT', 'input.odometerIn', 'an odometer below the vehicle\'s last reading')
  t.equal(ok(await s.gql<any>('query ($id: ID!) { workOrder(id: $id) { status } }', { id: order.id })).workOrder.status, 'OPEN', 'the step did not happen')
  ok(await s.gql(START, { id: order.id, input: { odometerIn: vehicle.odometer + 5 } }))
  ok(await s.gql(COMPLETE, { id: order.id, input: { odometerOut: (vehicle.odometer + 10) / 1.609344, distanceUnit: 'MILES' } }))
  const readings = ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { odometer meterReadings(kind: ODOMETER, first: 2) { nodes { value source workOrder { id } } } } }', { id: vehicle.id })).vehicle
  t.match(readings.meterReadings.nodes, [{ source: 'WORK_ORDER', workOrder: { id: order.id } }, { source: 'WORK_ORDER', workOrder: { id: order.id } }], 'in and out recorded as readings of the order')
  t.equal(readings.odometer, Math.round((vehicle.odometer + 10) * 10) / 10, 'miles converted; the vehicle shows the odometer out')
})

void t.test('who may do what: mechanics work their own or unassigned orders, drivers read their vehicle\'s', async (t) => {
  const s = await setup(t)
  const admin = await s.login('admin@fleet.example')
  const created = ok(await s.gql<any>('mutation { createUser(input: { email: "second.mechanic@fleet.example", name: "Second Mechanic", role: MECHANIC }) { user { id } temporaryPassword } }', {}, admin)).createUser
  const other = created.user.id
  const theirs = await s.create({ vehicleId: s.active[10].id, assigneeId: other, takesVehicleOffRoad: false })
  refused(t, await s.gql(START, { id: theirs.id }, s.mechanic), 'FORBIDDEN', undefined, 'assigned to another mechanic')
  refused(t, await s.gql(PART, { id: theirs.id, input: { description: 'x', quantity: 1, unitCost: { amount: '1' } } }, s.mechanic), 'FORBIDDEN')
  const mine = await s.create({ vehicleId: s.active[11].id, takesVehicleOffRoad: false }, s.mechanic)
  t.equal(mine.status, 'OPEN', 'a mechanic opens orders')
  refused(t, await s.gql(UPDATE, { id: mine.id, input: { expectedVersion: mine.version, assigneeId: other } }, s.mechanic), 'FORBIDDEN', undefined, 'a mechanic assigns only themselves')
  const claimed = ok(await s.gql<any>(UPDATE, { id: mine.id, input: { expectedVersion: mine.version, assigneeId: s.mechanicId } }, s.mechanic)).updateWorkOrder
  t.equal(claimed.assignee.id, s.mechanicId)
  refused(t, await s.gql(CANCEL, { id: mine.id, reason: 'x' }, s.mechanic), 'FORBIDDEN', undefined, 'cancelling is for managers')
  refused(t, await s.gql(UPDATE, { id: mine.id, input: { expectedVersion: claimed.version, assigneeId: ok(await s.gql<any>('{ me { id } }', {}, await s.login('viewer@fleet.example'))).me.id } }), 'BAD_USER_INPUT', 'input.assigneeId', 'a viewer cannot be assigned')

  const driver = await s.login('driver@fleet.example')
  const driven = ok(await s.gql<any>('{ me { driver { currentVehicle { id } } } }', {}, driver)).me.driver.currentVehicle
  const onTheirs = await s.create({ vehicleId: driven.id, takesVehicleOffRoad: false, title: 'Driver can see this' })
  const seen = ok(await s.gql<any>('{ workOrders(first: 50) { totalCount nodes { id vehicle { id } } } }', {}, driver)).workOrders
  t.ok(seen.nodes.length > 0 && seen.nodes.every((w: any) => w.vehicle.id === driven.id), 'a driver lists only the orders of the vehicle they drive')
  t.ok(seen.nodes.some((w: any) => w.id === onTheirs.id))
  t.equal(ok(await s.gql<any>('query ($id: ID!) { workOrder(id: $id) { id } }', { id: theirs.id }, driver)).workOrder, null, 'another vehicle\'s order is not found')
  refused(t, await s.gql(START, { id: onTheirs.id }, driver), 'FORBIDDEN', undefined, 'drivers read only')
})

void t.test('lists: filters, search, ordering, and statement counts the same for 5 and 50 orders', async (t) => {
  const s = await setup(t)
  const all = ok(await s.gql<any>('{ workOrders(first: 200, orderBy: { field: NUMBER, direction: ASC }) { totalCount nodes { number status priority } } }')).workOrders
  t.ok(all.totalCount >= 50, `the demo has ${all.totalCount} work orders`)
  t.same(all.nodes.map((w: any) => w.number), all.nodes.map((w: any) => w.number).toSorted(), 'by number')
  const open = ok(await s.gql<any>('{ workOrders(filter: { status: [OPEN, IN_PROGRESS, ON_HOLD] }, first: 200) { totalCount } fleetSummary { openWorkOrders } }'))
  t.equal(open.workOrders.totalCount, open.fleetSummary.openWorkOrders, 'fleetSummary counts the open orders')
  const number = all.nodes[3].number
  t.same(ok(await s.gql<any>('query ($q: String!) { workOrders(filter: { search: $q }) { nodes { number } } }', { q: number.replace('WO-0000', '') })).workOrders.nodes.map((w: any) => w.number), [number], 'found by its number')
  const byPriority = ok(await s.gql<any>('{ workOrders(first: 200, orderBy: { field: PRIORITY, direction: DESC }) { nodes { priority } } }')).workOrders.nodes.map((w: any) => w.priority)
  const rank = (p: string): number => ['LOW', 'NORMAL', 'HIGH', 'URGENT'].indexOf(p)
  t.same(byPriority.map(rank), byPriority.map(rank).toSorted((a: number, b: number) => b - a), 'by priority, urgent first')
  refused(t, await s.gql('{ workOrders(filter: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { totalCount } }'), 'BAD_USER_INPUT', 'filter.to')

  const query = 'query ($n: Int!) { workOrders(first: $n, orderBy: { field: NUMBER, direction: ASC }) { nodes { number vehicle { number } assignee { name } parts { amount { amount } } labor { amount { amount } } tasks { task { name } } total { amount } } } }'
  const counts: number[] = []
  for (const n of [5, 50]) {
    await s.gql(query, { n })
    const response = await s.gql(query, { n })
    t.equal(ok<any>(response).workOrders.nodes.length, n)
    counts.push(s.statementsOf(response))
  }
  t.equal(counts[0], counts[1], `statements: ${counts.join(' and ')}`)
})
