import type { Insertable, Kysely } from 'kysely'
import { SYSTEM_SCOPE, tagTransaction } from '../../src/database/audit.js'
import type { Database } from '../../src/database/schema.js'
import type { VehicleType } from '../../src/modules/vehicles/tables.js'
import type { WorkOrderLaborTable, WorkOrderPartsTable, WorkOrdersTable } from '../../src/modules/work-orders/tables.js'
import { chunks, insertChunked } from './chunks.js'

// The workshop of the demo fleet: vendors, service tasks, schedules by vehicle type (oil and
// filter every 15,000 km or 12 months, tyre rotation, the annual inspection, brakes, hydraulics by
// engine hours), a history of completed work orders with parts and labour that the schedules
// count from (some long enough ago to be overdue now, some due soon), and a few open orders: the
// vehicles IN_SHOP are in for one, one order waits for parts, one nobody has picked up yet.
// Deterministic, relative to "now", like the rest of the demo.

const DAY = 86_400_000

interface Task { name: string, description: string }
interface Schedule { task: string, types: VehicleType[], km?: number, hours?: number, days?: number, soonKm?: number, soonHours?: number, soonDays?: number }

const TASKS: Task[] = [
  { name: 'Oil and filter change', description: 'Drain and refill engine oil, replace the oil filter, reset the service indicator.' },
  { name: 'Tire rotation', description: 'Rotate the tires front to back, check tread depth and pressures.' },
  { name: 'Annual safety inspection', description: 'Brakes, lights, steering, suspension, tires, horn, wipers, mirrors, seat belts, emergency equipment.' },
  { name: 'Brake inspection', description: 'Measure pads and rotors, check lines and fluid, adjust slack adjusters.' },
  { name: 'Hydraulic service', description: 'Replace hydraulic filters, sample and top up fluid, inspect hoses.' },
  { name: 'Coolant flush', description: 'Flush and refill the cooling system, pressure-test the radiator cap.' }
]

const DRIVEN: VehicleType[] = ['CAR', 'VAN', 'PICKUP', 'TRUCK', 'BUS']

const SCHEDULES: Schedule[] = [
  { task: 'Oil and filter change', types: DRIVEN, km: 15000, days: 365, soonKm: 1000, soonDays: 30 },
  { task: 'Tire rotation', types: ['CAR', 'VAN', 'PICKUP'], km: 10000, soonKm: 800 },
  { task: 'Annual safety inspection', types: [...DRIVEN, 'TRAILER', 'EQUIPMENT'], days: 365, soonDays: 30 },
  { task: 'Brake inspection', types: ['TRUCK', 'BUS'], km: 30000, days: 180, soonKm: 2000, soonDays: 14 },
  { task: 'Hydraulic service', types: ['EQUIPMENT'], hours: 250, soonHours: 25 }
]

const VENDORS = [
  { name: 'Riverside Truck & Auto', kinds: ['WORKSHOP'], contact_name: 'Dana Whitfield', phone: '+1 614 555 0142', address: '2210 Riverside Dr, Columbus, OH 43221' },
  { name: 'Quick Lube Express', kinds: ['WORKSHOP'], contact_name: 'Marco Ruiz', phone: '+1 614 555 0178', address: '88 Broad St, Columbus, OH 43215' },
  { name: 'Fleet Fuel Center', kinds: ['FUEL_STATION'], phone: '+1 614 555 0190', address: '4100 Alum Creek Dr, Columbus, OH 43207' },
  { name: 'Tri-County Parts Supply', kinds: ['PARTS_SUPPLIER', 'DEALER'], contact_name: 'Priya Natarajan', email: 'orders@tricountyparts.example', website: 'https://tricountyparts.example' },
  { name: 'Metro Towing', kinds: ['TOWING'], phone: '+1 614 555 0111' }
]

/** What a service costs in parts: [part number, description, quantity, unit cost]. */
const PARTS: Record<string, Array<[string, string, number, string]>> = {
  'Oil and filter change': [['OIL-15W40', 'Engine oil 15W-40, litre', 6.5, '8.20'], ['FLT-OIL-221', 'Oil filter', 1, '14.99']],
  'Tire rotation': [['VLV-STEM', 'Valve stem', 2, '3.25']],
  'Annual safety inspection': [['BULB-1157', 'Tail lamp bulb', 2, '4.75'], ['WIPER-22', 'Wiper blade 22"', 2, '12.40']],
  'Brake inspection': [['BRK-PAD-HD', 'Brake pad set, heavy duty', 1, '189.00'], ['BRK-FLUID', 'Brake fluid DOT 4, litre', 1, '11.35']],
  'Hydraulic service': [['HYD-FLT-90', 'Hydraulic filter', 2, '42.80'], ['HYD-AW46', 'Hydraulic oil AW46, litre', 12, '5.15']]
}
const LABOR_HOURS: Record<string, string> = { 'Oil and filter change': '0.80', 'Tire rotation': '0.50', 'Annual safety inspection': '1.50', 'Brake inspection': '2.25', 'Hydraulic service': '1.75' }
const RATE = '95.00'

export interface WorkshopSummary {
  vendors: number
  schedules: number
  workOrders: number
}

interface SeedVehicle { id: string, number: string, type: VehicleType, status: string, odometer_km: string, engine_hours: string, created_at: Date }

/** How long ago vehicle `i` last had a service, in days: mostly within the interval, some overdue, some due soon. */
function daysSinceService (i: number, intervalDays: number): number {
  if (i % 7 === 3) return intervalDays + 20 + (i % 5) * 9
  if (i % 7 === 5) return intervalDays - 12 - (i % 3)
  return Math.round(intervalDays * (0.15 + ((i * 37) % 60) / 100))
}

export async function seedWorkshop (db: Kysely<Database>, now: Date): Promise<WorkshopSummary> {
  return await db.transaction().execute(async (trx) => {
    await tagTransaction(trx, { actorId: null, actorRole: null, operation: 'seed', requestId: null }, SYSTEM_SCOPE)
    const total: WorkshopSummary = { vendors: 0, schedules: 0, workOrders: 0 }
    for (const organization of await trx.selectFrom('organizations').select(['id', 'currency']).orderBy('slug').execute()) {
      const summary = await seedOrganization(trx, organization, now)
      total.vendors += summary.vendors
      total.schedules += summary.schedules
      total.workOrders += summary.workOrders
    }
    return total
  })
}

async function seedOrganization (db: Kysely<Database>, organization: { id: string, currency: string }, now: Date): Promise<WorkshopSummary> {
  const organizationId = organization.id
  const at = (daysAgo: number): Date => new Date(now.getTime() - daysAgo * DAY)
  const vendors = await db.insertInto('vendors').values(VENDORS.map((v) => ({ ...v, kinds: v.kinds as never, organization_id: organizationId }))).returning(['id', 'name']).execute()
  const tasks = new Map((await db.insertInto('service_tasks').values(TASKS.map((t) => ({ ...t, organization_id: organizationId }))).returning(['id', 'name']).execute()).map((t) => [t.name, t.id]))
  const taskId = (name: string): string => tasks.get(name) as string
  const schedules = SCHEDULES.flatMap((s) => s.types.map((type) => ({
    organization_id: organizationId,
    service_task_id: taskId(s.task),
    vehicle_type: type,
    interval_km: s.km ?? null,
    interval_hours: s.hours ?? null,
    interval_days: s.days ?? null,
    due_soon_km: s.soonKm ?? null,
    due_soon_hours: s.soonHours ?? null,
    due_soon_days: s.soonDays ?? null,
    starts_at: at(730)
  })))
  await db.insertInto('maintenance_schedules').values(schedules).execute()

  const users = await db.selectFrom('users').select(['id', 'role']).where('organization_id', '=', organizationId).execute()
  const mechanic = users.find((u) => u.role === 'MECHANIC')?.id ?? null
  const manager = users.find((u) => u.role === 'FLEET_MANAGER')?.id ?? null
  const shop = (await db.selectFrom('facilities').select('id').where('organization_id', '=', organizationId).where('type', '=', 'MAINTENANCE_SHOP').executeTakeFirst())?.id ?? null
  const vehicles = await db.selectFrom('vehicles').select(['id', 'number', 'type', 'status', 'odometer_km', 'engine_hours', 'created_at'])
    .where('organization_id', '=', organizationId).where('status', '<>', 'RETIRED').orderBy('number').execute() as SeedVehicle[]

  const orders: Array<Insertable<WorkOrdersTable>> = []
  const lines: Array<{ number: number, tasks: string[], parts: Array<[string, string, number, string]>, hours: string }> = []
  const records: Array<{ number: number, vehicle: string, task: string, at: Date, km: number | null, hours: number | null }> = []
  let number = 0
  for (const [i, vehicle] of vehicles.entries()) {
    // The last service of each task of its type, which the schedules count from: one task per
    // vehicle shows the pattern (overdue for one vehicle in seven, due soon for another), the
    // others were done well within their interval, as in a fleet that keeps up.
    const due = SCHEDULES.filter((s) => s.types.includes(vehicle.type))
    const primary = due[i % Math.max(1, due.length)]
    const odometer = Number(vehicle.odometer_km)
    const yearlyKm = odometer / Math.max(1, (now.getTime() - vehicle.created_at.getTime()) / DAY / 365)
    for (const [k, schedule] of due.entries()) {
      const shows = schedule === primary
      const days = shows ? daysSinceService(i, schedule.days ?? 365) : Math.round((schedule.days ?? 365) * (0.1 + ((i * 37 + k * 17) % 50) / 100))
      const completed = new Date(at(days).getTime() + 10 * 3_600_000)
      // Overdue by distance too for the overdue ones: they were last serviced further back.
      const kmSince = schedule.km === undefined ? yearlyKm * days / 365 : shows && i % 7 === 3 ? schedule.km + 1500 : shows && i % 7 === 5 ? schedule.km - (schedule.soonKm ?? 0) / 2 : Math.min(schedule.km * 0.55, yearlyKm * days / 365)
      const hoursSince = schedule.hours === undefined ? 0 : shows && i % 7 === 3 ? schedule.hours + 30 : shows && i % 7 === 5 ? schedule.hours - 10 : schedule.hours * 0.4
      const kmThen = Math.max(0, Math.round((odometer - kmSince) * 10) / 10)
      const hoursThen = Math.max(0, Math.round((Number(vehicle.engine_hours) - hoursSince) * 10) / 10)
      number++
      orders.push({
        organization_id: organizationId, number, vehicle_id: vehicle.id, kind: 'PREVENTIVE', status: 'COMPLETED', priority: 'NORMAL',
        title: schedule.task, assignee_id: mechanic, facility_id: (i + k) % 4 === 1 ? null : shop, vendor_id: (i + k) % 4 === 1 ? (vendors[i % 2] as { id: string }).id : null,
        takes_vehicle_off_road: true, started_at: new Date(completed.getTime() - 2 * 3_600_000), completed_at: completed,
        odometer_in_km: kmThen, odometer_out_km: kmThen,
        engine_hours_in: schedule.hours === undefined ? null : hoursThen, engine_hours_out: schedule.hours === undefined ? null : hoursThen,
        currency: organization.currency, completion_notes: 'Done as scheduled.', created_by: manager, created_at: new Date(completed.getTime() - 3 * DAY)
      })
      lines.push({ number, tasks: [schedule.task], parts: PARTS[schedule.task] ?? [], hours: LABOR_HOURS[schedule.task] ?? '1.00' })
      records.push({ number, vehicle: vehicle.id, task: schedule.task, at: completed, km: kmThen, hours: hoursThen })
    }
  }

  // Open work: vehicles IN_SHOP are in for repairs; one order waits for parts, one is unclaimed.
  const open = [
    ...vehicles.filter((v) => v.status === 'IN_SHOP').map((v, i) => ({ vehicle: v, status: 'IN_PROGRESS' as const, title: i % 2 === 0 ? 'Replace alternator' : 'Diagnose check-engine light', kind: 'CORRECTIVE' as const, offRoad: true })),
    ...vehicles.filter((v) => v.status === 'ACTIVE').slice(2, 4).map((v, i) => ({
      vehicle: v,
      status: i === 0 ? 'ON_HOLD' as const : 'OPEN' as const,
      title: i === 0 ? 'Replace windshield (waiting for glass)' : 'Noise from rear axle',
      kind: i === 0 ? 'ACCIDENT' as const : 'CORRECTIVE' as const,
      offRoad: false
    }))
  ]
  for (const [i, o] of open.entries()) {
    number++
    const started = o.status === 'OPEN' ? null : at(1 + i)
    orders.push({
      organization_id: organizationId, number, vehicle_id: o.vehicle.id, kind: o.kind, status: o.status, priority: o.status === 'OPEN' ? 'HIGH' : 'NORMAL',
      title: o.title, assignee_id: o.status === 'OPEN' ? null : mechanic, facility_id: shop, takes_vehicle_off_road: o.offRoad,
      started_at: started, status_reason: o.status === 'ON_HOLD' ? 'Waiting for parts from the supplier' : null,
      odometer_in_km: started === null ? null : Number(o.vehicle.odometer_km), currency: organization.currency, created_by: manager, created_at: at(2 + i)
    })
    lines.push({ number, tasks: [], parts: o.status === 'IN_PROGRESS' ? [['ALT-160A', 'Alternator 160 A, remanufactured', 1, '312.50']] : [], hours: o.status === 'OPEN' ? '0' : '1.50' })
  }

  if (orders.length === 0) return { vendors: vendors.length, schedules: schedules.length, workOrders: 0 }
  const inserted = new Map<number, string>()
  for (const chunk of chunks(orders)) {
    for (const o of await db.insertInto('work_orders').values(chunk).returning(['id', 'number']).execute()) inserted.set(o.number, o.id)
  }
  const orderId = (n: number): string => inserted.get(n) as string
  await db.insertInto('work_order_numbers').values({ organization_id: organizationId, last_number: number }).execute()
  const tasksRows = lines.flatMap((l) => l.tasks.map((task) => ({ organization_id: organizationId, work_order_id: orderId(l.number), service_task_id: taskId(task) })))
  await insertChunked(db, 'work_order_tasks', tasksRows)
  const parts: Array<Insertable<WorkOrderPartsTable>> = lines.flatMap((l) => l.parts.map(([part, description, quantity, cost]) => ({
    organization_id: organizationId, work_order_id: orderId(l.number), part_number: part, description, quantity, unit_cost: cost, created_by: mechanic
  })))
  await insertChunked(db, 'work_order_parts', parts)
  const labor: Array<Insertable<WorkOrderLaborTable>> = lines.filter((l) => Number(l.hours) > 0).map((l) => ({
    organization_id: organizationId, work_order_id: orderId(l.number), technician_id: mechanic, hours: l.hours, rate: RATE, description: 'Shop labour', created_by: mechanic
  }))
  await insertChunked(db, 'work_order_labor', labor)
  await insertChunked(db, 'service_records', records.map((r) => ({
    organization_id: organizationId, vehicle_id: r.vehicle, service_task_id: taskId(r.task), performed_at: r.at, odometer_km: r.km, engine_hours: r.hours, work_order_id: orderId(r.number)
  })))
  return { vendors: vendors.length, schedules: schedules.length, workOrders: orders.length }
}
