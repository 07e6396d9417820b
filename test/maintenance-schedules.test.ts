import t, { type Test } from 'tap'
import { buildTestApp, codes, type TestAppOptions } from './helpers/app.js'
import { demoDatabase } from './helpers/database.js'
import { ok, refused } from './helpers/graphql.js'

// Preventive maintenance: what is due, computed for the whole fleet at once, at each threshold and
// just below it, by distance, engine hours and days, alone and mixed; the lists and filters; the
// alerts announcing what comes due, raised once per occurrence.

const DAY = 86_400_000
const CREATE_VEHICLE = 'mutation ($input: CreateVehicleInput!) { createVehicle(input: $input) { id number } }'
const CREATE_TASK = 'mutation ($name: String!) { createServiceTask(input: { name: $name }) { id name } }'
const CREATE_SCHEDULE = 'mutation ($input: CreateMaintenanceScheduleInput!) { createMaintenanceSchedule(input: $input) { id version } }'
const DUE_OF = `query ($id: ID!) { vehicle(id: $id) { maintenanceStatus maintenanceDue {
  status dueAt dueAtOdometer dueAtEngineHours daysRemaining distanceRemaining engineHoursRemaining task { name } schedule { id } lastService { performedAt odometer engineHours }
} } }`

let serial = 0
const vin = (): string => {
  // A valid VIN per vehicle: the check digit is worked out by the API's rule only when required; the demo requires it.
  const bodies = ['1FTBR1C80MKA0000', '1FTBR1C80MKA0001', '1FTBR1C80MKA0002', '1FTBR1C80MKA0003', '1FTBR1C80MKA0004']
  return `${bodies[serial % bodies.length] as string}${serial++ % 10}`
}

async function setup (t: Test, options: TestAppOptions = {}) {
  const app = await buildTestApp(t, { ...options, env: { SERVICE_DUE_ALERTS_INTERVAL_SECONDS: '0', ...options.env } })
  const admin = await app.login('admin@fleet.example')
  const manager = await app.login('fleet_manager@fleet.example')
  const gql = async <T = any>(query: string, variables: object = {}, token = manager) => await app.gql<T>(query, variables, token)
  // VINs need no check digit here: the vehicles below are made up.
  const settings = ok(await gql<any>('{ me { organization { version } } }', {}, admin)).me.organization
  ok(await gql('mutation ($v: Int!) { updateOrganizationSettings(input: { expectedVersion: $v, vinCheckDigitRequired: false }) { id } }', { v: settings.version }, admin))
  const vehicle = async (odometer: number, engineHours: number, type = 'TRUCK') =>
    ok(await gql<any>(CREATE_VEHICLE, { input: { number: `MS-${++serial}`, name: `Test rig ${serial}`, vin: vin(), make: 'Test', model: 'Rig', year: 2022, type, fuelType: 'DIESEL', odometer, engineHours } })).createVehicle
  const task = async (name: string) => ok(await gql<any>(CREATE_TASK, { name })).createServiceTask
  const schedule = async (input: object) => ok(await gql<any>(CREATE_SCHEDULE, { input })).createMaintenanceSchedule
  const dueOf = async (vehicleId: string) => ok(await gql<any>(DUE_OF, { id: vehicleId })).vehicle
  return { ...app, admin, manager, gql, vehicle, task, schedule, dueOf }
}

void t.test('due at each threshold and just below: distance, engine hours, days, mixed', async (t) => {
  const s = await setup(t)
  const truck = await s.vehicle(10_000, 1_000)
  const now = Date.now()
  const ago = (days: number, minutes = 0): string => new Date(now - days * DAY + minutes * 60_000).toISOString()
  // Each case: a task of its own on the one truck (10,000 km, 1,000 h), with the last service set.
  const cases: Array<{ name: string, schedule: object, last: object, status: string }> = [
    { name: 'km: reached', schedule: { intervalDistance: 5000, dueSoonDistance: 500 }, last: { at: ago(10), odometer: 5000 }, status: 'OVERDUE' },
    { name: 'km: just below due', schedule: { intervalDistance: 5000, dueSoonDistance: 500 }, last: { at: ago(10), odometer: 5000.1 }, status: 'DUE_SOON' },
    { name: 'km: at the due-soon threshold', schedule: { intervalDistance: 5000, dueSoonDistance: 500 }, last: { at: ago(10), odometer: 5500 }, status: 'DUE_SOON' },
    { name: 'km: just below the threshold', schedule: { intervalDistance: 5000, dueSoonDistance: 500 }, last: { at: ago(10), odometer: 5500.1 }, status: 'OK' },
    { name: 'hours: reached', schedule: { intervalEngineHours: 250, dueSoonEngineHours: 25 }, last: { at: ago(10), engineHours: 750 }, status: 'OVERDUE' },
    { name: 'hours: just below due', schedule: { intervalEngineHours: 250, dueSoonEngineHours: 25 }, last: { at: ago(10), engineHours: 750.1 }, status: 'DUE_SOON' },
    { name: 'hours: at the due-soon threshold', schedule: { intervalEngineHours: 250, dueSoonEngineHours: 25 }, last: { at: ago(10), engineHours: 775 }, status: 'DUE_SOON' },
    { name: 'hours: just below the threshold', schedule: { intervalEngineHours: 250, dueSoonEngineHours: 25 }, last: { at: ago(10), engineHours: 775.1 }, status: 'OK' },
    { name: 'days: reached', schedule: { intervalDays: 90, dueSoonDays: 10 }, last: { at: ago(90) }, status: 'OVERDUE' },
    { name: 'days: just below due', schedule: { intervalDays: 90, dueSoonDays: 10 }, last: { at: ago(90, 5) }, status: 'DUE_SOON' },
    { name: 'days: at the due-soon threshold', schedule: { intervalDays: 90, dueSoonDays: 10 }, last: { at: ago(80) }, status: 'DUE_SOON' },
    { name: 'days: just below the threshold', schedule: { intervalDays: 90, dueSoonDays: 10 }, last: { at: ago(80, 5) }, status: 'OK' },
    { name: 'mixed: distance reached first', schedule: { intervalDistance: 5000, intervalEngineHours: 250, intervalDays: 90 }, last: { at: ago(5), odometer: 4000, engineHours: 990 }, status: 'OVERDUE' },
    { name: 'mixed: only hours due soon', schedule: { intervalDistance: 5000, intervalEngineHours: 250, intervalDays: 90, dueSoonEngineHours: 30 }, last: { at: ago(5), odometer: 9000, engineHours: 760 }, status: 'DUE_SOON' },
    { name: 'mixed: nothing near', schedule: { intervalDistance: 5000, intervalEngineHours: 250, intervalDays: 90, dueSoonDistance: 100, dueSoonEngineHours: 10, dueSoonDays: 5 }, last: { at: ago(5), odometer: 9000, engineHours: 900 }, status: 'OK' }
  ]
  for (const c of cases) {
    const task = await s.task(c.name)
    await s.schedule({ taskId: task.id, vehicleId: truck.id, ...c.schedule, lastService: c.last })
  }
  const due = await s.dueOf(truck.id)
  const byTask = new Map(due.maintenanceDue.map((d: any) => [d.task.name, d]))
  for (const c of cases) t.equal((byTask.get(c.name) as any)?.status, c.status, c.name)
  t.equal(due.maintenanceStatus, 'OVERDUE', 'the vehicle shows its worst')
  t.same(due.maintenanceDue.slice(0, 4).map((d: any) => d.status), ['OVERDUE', 'OVERDUE', 'OVERDUE', 'OVERDUE'], 'overdue first')

  const km = byTask.get('km: just below due') as any
  t.match(km, { dueAtOdometer: 10000.1, distanceRemaining: 0.1, dueAt: null, dueAtEngineHours: null, lastService: { odometer: 5000.1 } }, 'what is left, in the schedule\'s own dimension only')
  const days = byTask.get('days: at the due-soon threshold') as any
  t.equal(days.daysRemaining, 9, 'ten days ahead, counted in whole days, minus the seconds the test took')
  const miles = ok(await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { maintenanceDue { task { name } dueAtOdometer(unit: MILES) } } }', { id: truck.id })).vehicle
    .maintenanceDue.find((d: any) => d.task.name === 'km: reached')
  t.equal(miles.dueAtOdometer, 6213.7, 'in miles when asked')
})

void t.test('never serviced: counted from the schedule\'s start and the meters then; type schedules cover every vehicle of the type', async (t) => {
  const s = await setup(t)
  const van = await s.vehicle(42_000, 0, 'VAN')
  const task = await s.task('Cabin filter')
  const started = new Date(Date.now() - 100 * DAY).toISOString()
  await s.schedule({ taskId: task.id, vehicleType: 'VAN', intervalDays: 365, dueSoonDays: 30, startsAt: started })
  const vans = ok(await s.gql<any>('{ vehicles(first: 200, filter: { type: [VAN], status: [ACTIVE, IN_SHOP, OUT_OF_SERVICE] }) { nodes { id maintenanceDue { task { name } status dueAt lastService { performedAt } } } } }')).vehicles.nodes
  const covered = vans.filter((v: any) => v.maintenanceDue.some((d: any) => d.task.name === 'Cabin filter'))
  t.equal(covered.length, vans.length, 'every van not retired has the schedule')
  const mine = covered.find((v: any) => v.id === van.id).maintenanceDue.find((d: any) => d.task.name === 'Cabin filter')
  t.equal(mine.lastService, null, 'never done')
  t.equal(mine.status, 'OK')
  t.equal(Date.parse(mine.dueAt), Date.parse((await s.gql<any>('query ($id: ID!) { vehicle(id: $id) { createdAt } }', { id: van.id })).data.vehicle.createdAt) + 365 * DAY,
    'a vehicle that arrived after the schedule started counts from its arrival')
})

void t.test('maintenanceDue: the fleet in one statement, filters, windows, paging, validation', async (t) => {
  const s = await setup(t)
  const first = ok(await s.gql<any>('{ maintenanceDue(first: 200) { totalCount nodes { status vehicle { id number facility { code } type } task { name } } } }')).maintenanceDue
  t.ok(first.totalCount > 5, `the demo fleet has ${first.totalCount} overdue or due-soon items`)
  t.ok(first.nodes.every((d: any) => d.status === 'OVERDUE' || d.status === 'DUE_SOON'), 'OVERDUE and DUE_SOON by default')
  const ranks = first.nodes.map((d: any) => d.status === 'OVERDUE' ? 0 : 1)
  t.same(ranks, ranks.toSorted(), 'overdue before due soon')

  const overdue = ok(await s.gql<any>('{ maintenanceDue(filter: { status: [OVERDUE] }) { totalCount } }')).maintenanceDue.totalCount
  t.equal(overdue, first.nodes.filter((d: any) => d.status === 'OVERDUE').length, 'status filter')
  const all = ok(await s.gql<any>('{ maintenanceDue(filter: { status: [OK, DUE_SOON, OVERDUE] }) { totalCount } }')).maintenanceDue.totalCount
  t.ok(all > first.totalCount, 'OK items when asked')
  const wider = ok(await s.gql<any>('{ maintenanceDue(withinDays: 400, withinDistance: 20000, withinEngineHours: 500) { totalCount } }')).maintenanceDue.totalCount
  t.equal(wider, all, 'a window wider than every interval makes everything due soon or overdue')
  const narrower = ok(await s.gql<any>('{ maintenanceDue(withinDays: 0, withinDistance: 0, withinEngineHours: 0) { totalCount } }')).maintenanceDue.totalCount
  t.equal(narrower, overdue, 'with no window, only what is overdue')

  const shop = first.nodes.find((d: any) => d.vehicle.facility?.code === 'SHOP').vehicle.facility
  const facilityId = ok(await s.gql<any>('{ facilities(first: 10) { nodes { id code } } }')).facilities.nodes.find((f: any) => f.code === shop.code).id
  const atShop = ok(await s.gql<any>('query ($f: ID!) { maintenanceDue(first: 200, filter: { facilityId: $f }) { nodes { vehicle { facility { code } } } } }', { f: facilityId })).maintenanceDue.nodes
  t.ok(atShop.length > 0 && atShop.every((d: any) => d.vehicle.facility.code === 'SHOP'), 'facility filter')
  const trucks = ok(await s.gql<any>('{ maintenanceDue(first: 200, filter: { vehicleType: [TRUCK] }) { nodes { vehicle { type } } } }')).maintenanceDue.nodes
  t.ok(trucks.every((d: any) => d.vehicle.type === 'TRUCK'), 'type filter')

  const pages: any[] = []
  let after: string | null = null
  for (;;) {
    const page: any = ok(await s.gql<any>('query ($after: String) { maintenanceDue(first: 7, after: $after) { nodes { vehicle { id } task { name } } pageInfo { hasNextPage endCursor } } }', { after })).maintenanceDue
    pages.push(...page.nodes)
    if (!page.pageInfo.hasNextPage) break
    after = page.pageInfo.endCursor
  }
  t.same(pages.map((d) => `${d.vehicle.id} ${d.task.name}`), first.nodes.map((d: any) => `${d.vehicle.id} ${d.task.name}`), 'pages of 7 give the same list, in the same order')

  refused(t, await s.gql('{ maintenanceDue(withinDays: -1) { totalCount } }'), 'BAD_USER_INPUT', 'withinDays')
  refused(t, await s.gql('{ maintenanceDue(after: "bm9wZQ") { totalCount } }'), 'BAD_USER_INPUT', 'after', 'a forged cursor')
  refused(t, await s.gql('{ maintenanceDue(filter: { vehicleIds: ["nope"] }) { totalCount } }'), 'BAD_USER_INPUT', 'filter.vehicleIds[0]')
})

void t.test('statement counts of maintenanceDue are the same for 5 and 50 items', async (t) => {
  const s = await setup(t)
  const query = 'query ($n: Int!) { maintenanceDue(first: $n, filter: { status: [OK, DUE_SOON, OVERDUE] }) { nodes { status dueAt vehicle { number } task { name } schedule { id intervalDays } } } }'
  const counts: number[] = []
  for (const n of [5, 50]) {
    await s.gql(query, { n }) // the entity cache warm, as on a busy server
    const response = await s.gql(query, { n })
    t.equal(ok<any>(response).maintenanceDue.nodes.length, n)
    counts.push(s.statementsOf(response))
  }
  t.equal(counts[0], counts[1], `statements: ${counts.join(' and ')}`)
  t.ok((counts[1] as number) <= 4, 'the due list, tasks and schedules (vehicles from the cache, or one more)')
})

void t.test('schedules: validation, update, delete', async (t) => {
  const s = await setup(t)
  const task = await s.task('Belt check')
  const [truck] = [await s.vehicle(1000, 100)]
  const bad = async (input: object, field: string, label: string) => refused(t, await s.gql(CREATE_SCHEDULE, { input: { taskId: task.id, vehicleId: truck.id, ...input } }), 'BAD_USER_INPUT', field, label)
  await bad({}, 'input.intervalDistance', 'no interval')
  await bad({ intervalDistance: 0 }, 'input.intervalDistance', 'a zero interval')
  await bad({ intervalDays: 30, dueSoonDays: 31 }, 'input.dueSoonDays', 'a threshold longer than its interval')
  await bad({ intervalDays: 30, dueSoonDistance: 10 }, 'input.dueSoonDistance', 'a threshold without its interval')
  await bad({ intervalDays: 40000 }, 'input.intervalDays', 'at most a century')
  await bad({ intervalDays: 30, vehicleType: 'TRUCK' }, 'input.vehicleId', 'one vehicle or a type, not both')
  await bad({ intervalDays: 30, lastService: { at: new Date(Date.now() + DAY).toISOString() } }, 'input.lastService.at', 'a last service in the future')
  refused(t, await s.gql(CREATE_SCHEDULE, { input: { taskId: task.id, vehicleType: 'BUS', intervalDays: 30, lastService: { at: new Date().toISOString() } } }), 'BAD_USER_INPUT', 'input.lastService', 'a last service for a type')
  refused(t, await s.gql(CREATE_SCHEDULE, { input: { taskId: '00000000-0000-4000-8000-000000000000', vehicleId: truck.id, intervalDays: 30 } }), 'BAD_USER_INPUT', 'input.taskId', 'an unknown task')

  const made = await s.schedule({ taskId: task.id, vehicleId: truck.id, intervalDistance: 10, distanceUnit: 'MILES', dueSoonDistance: 1 })
  refused(t, await s.gql(CREATE_SCHEDULE, { input: { taskId: task.id, vehicleId: truck.id, intervalDays: 30 } }), 'CONFLICT', 'input.taskId', 'one schedule of a task per vehicle')
  const read = ok(await s.gql<any>('query ($id: ID!) { maintenanceSchedule(id: $id) { intervalDistance intervalDays dueSoonDistance(unit: MILES) task { name } vehicle { id } vehicleType } }', { id: made.id })).maintenanceSchedule
  t.match(read, { intervalDistance: 16.1, intervalDays: null, dueSoonDistance: 1, task: { name: 'Belt check' }, vehicle: { id: truck.id }, vehicleType: null }, 'stored in km')

  const UPDATE = 'mutation ($id: ID!, $input: UpdateMaintenanceScheduleInput!) { updateMaintenanceSchedule(id: $id, input: $input) { intervalDistance intervalDays version } }'
  refused(t, await s.gql(UPDATE, { id: made.id, input: { expectedVersion: made.version, intervalDistance: null } }), 'BAD_USER_INPUT', 'input.intervalDistance', 'the last interval cannot go')
  t.match(ok(await s.gql<any>(UPDATE, { id: made.id, input: { expectedVersion: made.version, intervalDays: 60 } })).updateMaintenanceSchedule, { intervalDays: 60, version: made.version + 1 })
  refused(t, await s.gql(UPDATE, { id: made.id, input: { expectedVersion: made.version, intervalDays: 30 } }), 'CONFLICT', 'input.expectedVersion')

  const listed = async () => ok(await s.gql<any>('query ($v: ID!) { maintenanceSchedules(filter: { vehicleId: $v }, first: 100) { nodes { id vehicleType } } }', { v: truck.id })).maintenanceSchedules.nodes
  t.ok((await listed()).some((x: any) => x.id === made.id), 'listed for its vehicle')
  t.ok((await listed()).some((x: any) => x.vehicleType === 'TRUCK'), 'with its type\'s schedules')
  t.equal(ok(await s.gql<any>('mutation ($id: ID!) { deleteMaintenanceSchedule(id: $id) }', { id: made.id })).deleteMaintenanceSchedule, true)
  t.same(codes(await s.gql<any>('mutation ($id: ID!) { deleteMaintenanceSchedule(id: $id) }', { id: made.id })), ['NOT_FOUND'], 'gone already')
  t.notOk((await listed()).some((x: any) => x.id === made.id), 'not listed once deleted')
  t.equal(ok(await s.gql<any>('query ($id: ID!) { maintenanceSchedule(id: $id) { id } }', { id: made.id })).maintenanceSchedule, null)

  refused(t, await s.gql(CREATE_TASK, { name: 'belt CHECK' }), 'CONFLICT', 'input.name', 'task names are unique, whatever their case')
  refused(t, await s.gql(CREATE_SCHEDULE, { input: { taskId: task.id, vehicleId: truck.id, intervalDays: 30 } }, await s.login('mechanic@fleet.example')), 'FORBIDDEN')
})

void t.test('alerts: raised once per occurrence, by the job on every replica', async (t) => {
  // Replicas running the job every second: two on one PostgreSQL database, one on the embedded one.
  // Each counts its runs from its own log, so the test waits for runs, not for time.
  const database = await demoDatabase(t)
  const runs: number[] = []
  const counted = (): TestAppOptions => {
    const index = runs.push(0) - 1
    return {
      database,
      env: { SERVICE_DUE_ALERTS_INTERVAL_SECONDS: '1', LOG_LEVEL: 'debug' },
      logStream: { write: (line: string) => { if (line.includes('"job":"service-due-alerts"') && line.includes('job ran')) runs[index] = (runs[index] as number) + 1 } }
    }
  }
  const s = await setup(t, counted())
  if (database.kind === 'postgres') await buildTestApp(t, counted())
  const truck = await s.vehicle(20_000, 500)
  const task = await s.task('Grease fifth wheel')
  const made = await s.schedule({ taskId: task.id, vehicleId: truck.id, intervalDistance: 5000, lastService: { at: new Date(Date.now() - 30 * DAY).toISOString(), odometer: 14_000 } })
  const before = [...runs]
  const deadline = Date.now() + 60_000
  while (runs.some((n, i) => n - (before[i] as number) < 3)) {
    if (Date.now() > deadline) throw new Error(`the job did not run three more times on each replica: ${runs.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const raised = ok(await s.gql<any>('query ($v: [ID!]) { alerts(filter: { vehicleIds: $v, kind: [MAINTENANCE_DUE_SOON, MAINTENANCE_OVERDUE] }, first: 10) { nodes { id kind status message details maintenanceSchedule { id } } } }', { v: [truck.id] })).alerts.nodes
    .filter((a: any) => a.maintenanceSchedule.id === made.id)
  t.equal(raised.length, 1, `${runs.length} replica(s), at least ${runs.length * 3} runs: one alert`)
  t.match(raised[0], { kind: 'MAINTENANCE_OVERDUE', status: 'OPEN', message: `Grease fifth wheel is overdue for ${truck.number as string}`, details: { dueAtOdometerKm: '19000.0' }, maintenanceSchedule: { id: made.id } })
  t.ok(ok(await s.gql<any>('{ fleetSummary { overdueMaintenance dueSoonMaintenance } }')).fleetSummary.overdueMaintenance > 0, 'fleetSummary counts what is overdue')
})
