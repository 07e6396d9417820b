import type { Insertable, Kysely } from 'kysely'
import type { Database, Role } from '../../src/database/schema.js'
import type { VehicleAssignmentsTable } from '../../src/modules/assignments/tables.js'
import type { DriverStatus, DriversTable } from '../../src/modules/drivers/tables.js'
import type { FacilitiesTable } from '../../src/modules/facilities/tables.js'
import type { MeterReadingsTable } from '../../src/modules/meters/tables.js'
import type { VehicleRow, VehicleStatus, VehiclesTable } from '../../src/modules/vehicles/tables.js'
import { SYSTEM_SCOPE, tagTransaction } from '../../src/database/audit.js'
import { hashPassword } from '../../src/modules/identity/passwords.js'
import { vinCheckDigit } from '../../src/modules/vehicles/vin.js'
import { DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, ROLES, VEHICLE_MODELS, type VehicleModel } from './catalog.js'
import { chunks, insertChunked } from './chunks.js'
import { seedTelematics } from './telematics.js'
import { seedWorkshop, type WorkshopSummary } from './workshop.js'

// The demo fleet: organization `demo` (three facilities, a mixed fleet with valid VINs, drivers,
// current, past and upcoming assignments) and a small organization `other` that exists to show
// and test tenant isolation. Deterministic: the same rows every time, relative to "now".

export interface SeedOptions {
  /** Vehicles in `demo` (drivers scale with it); the benchmark uses 1,000. */
  vehicles?: number
  now?: Date
}

interface TenantSummary {
  organizations: number
  users: number
  facilities: number
  vehicles: number
  drivers: number
  assignments: number
  positions: number
  geofences: number
}

export type SeedSummary = TenantSummary & WorkshopSummary

interface Tenant {
  slug: string
  name: string
  emailDomain: string
  facilities: Array<Omit<Insertable<FacilitiesTable>, 'organization_id'>>
  vehicles: number
  drivers: number
}

const DAY = 86_400_000
const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'
const YEAR_CODES = 'ABCDEFGHJKLMNPRSTVWXY123456789' // 2010, 2011, ... (no I, O, Q, U, Z, 0)

/** mulberry32: a tiny deterministic PRNG, so the demo is identical on every machine. */
function random (seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function pick<T> (rand: () => number, items: ArrayLike<T>): T {
  return items[Math.floor(rand() * items.length)] as T
}

function between (rand: () => number, low: number, high: number): number {
  return low + Math.floor(rand() * (high - low + 1))
}

function makeVin (rand: () => number, model: VehicleModel, year: number, serial: number): string {
  const vds = Array.from({ length: 5 }, () => pick(rand, VIN_CHARS)).join('')
  const yearCode = YEAR_CODES.charAt((year - 2010 + YEAR_CODES.length) % YEAR_CODES.length)
  const plant = pick(rand, 'ABCDEFGHKLMNPRSTUVWXYZ')
  const draft = `${model.wmi}${vds}0${yearCode}${plant}${String(serial).padStart(6, '0')}`
  return draft.slice(0, 8) + vinCheckDigit(draft) + draft.slice(9)
}

function modelFor (index: number): VehicleModel {
  const total = VEHICLE_MODELS.reduce((sum, m) => sum + m.share, 0)
  let slot = (index * 7) % total
  for (const model of VEHICLE_MODELS) {
    if (slot < model.share) return model
    slot -= model.share
  }
  return VEHICLE_MODELS[0] as VehicleModel
}

function vehicleStatus (index: number): VehicleStatus {
  const slot = index % 25
  if (slot === 24) return 'RETIRED'
  if (slot === 23 || slot === 11) return 'IN_SHOP'
  if (slot === 17) return 'OUT_OF_SERVICE'
  return 'ACTIVE'
}

function driverStatus (index: number): DriverStatus {
  const slot = index % 20
  if (slot === 19) return 'ON_LEAVE'
  if (slot === 13) return 'SUSPENDED'
  if (index % 40 === 31) return 'INACTIVE'
  return 'ACTIVE'
}

function tenants (vehicles: number): Tenant[] {
  return [
    {
      slug: 'demo',
      name: 'Demo Fleet',
      emailDomain: 'fleet.example',
      vehicles,
      drivers: Math.round(vehicles * 0.8),
      facilities: [
        { code: 'NORTH', name: 'North Depot', type: 'DEPOT', address: '1200 Industrial Pkwy, Columbus, OH 43229', latitude: 40.0868, longitude: -82.9816 },
        { code: 'SHOP', name: 'Central Maintenance Shop', type: 'MAINTENANCE_SHOP', address: '455 Mound St, Columbus, OH 43215', latitude: 39.9550, longitude: -83.0071 },
        { code: 'SOUTH', name: 'South Yard', type: 'YARD', address: '3800 Alum Creek Dr, Obetz, OH 43207', latitude: 39.8897, longitude: -82.9563 }
      ]
    },
    {
      slug: 'other',
      name: 'Other Fleet',
      emailDomain: 'other.example',
      vehicles: 6,
      drivers: 5,
      facilities: [
        { code: 'HQ', name: 'Harbor Depot', type: 'DEPOT', address: '80 Wharf Rd, Portland, ME 04101', latitude: 43.6563, longitude: -70.2484 }
      ]
    }
  ]
}

async function seedTenant (db: Kysely<Database>, tenant: Tenant, tenantIndex: number, now: Date, passwordHash: string): Promise<TenantSummary> {
  const rand = random(0x5eed + tenantIndex)
  const org = await db.insertInto('organizations')
    .values({ slug: tenant.slug, name: tenant.name })
    .returning('id').executeTakeFirstOrThrow()
  const organizationId = org.id

  const users = await db.insertInto('users')
    .values(ROLES.map((role: Role) => ({
      organization_id: organizationId,
      email: `${role.toLowerCase()}@${tenant.emailDomain}`,
      name: `${FIRST_NAMES[(ROLES.indexOf(role) * 5 + tenantIndex * 11) % FIRST_NAMES.length]} ${LAST_NAMES[(ROLES.indexOf(role) * 3 + 17 + tenantIndex * 7) % LAST_NAMES.length]}`,
      role,
      password_hash: passwordHash
    })))
    .returning(['id', 'role']).execute()

  const facilities = await db.insertInto('facilities')
    .values(tenant.facilities.map((f) => ({ ...f, organization_id: organizationId })))
    .returning('id').execute()

  const vehicleRows: Array<Insertable<VehiclesTable>> = []
  for (let i = 0; i < tenant.vehicles; i++) {
    const model = modelFor(i + tenantIndex * 3)
    const year = between(rand, model.years[0], model.years[1])
    const status = vehicleStatus(i)
    const age = now.getFullYear() - year + 1
    const yearlyKm = model.type === 'TRUCK' ? 45000 : model.type === 'BUS' ? 35000 : model.type === 'TRAILER' ? 0 : 22000
    vehicleRows.push({
      organization_id: organizationId,
      number: `${tenant.slug === 'demo' ? 'V' : 'O'}-${String(i + 1).padStart(tenant.vehicles >= 1000 ? 4 : 3, '0')}`,
      name: `${model.make} ${model.model} #${i + 1}`,
      vin: makeVin(rand, model, year, 100000 + i * 37 + tenantIndex * 500000),
      make: model.make,
      model: model.model,
      year,
      license_plate: model.type === 'EQUIPMENT' || model.type === 'OTHER' ? null : `${pick(rand, ['FLT', 'GOV', 'CMV'])}${between(rand, 1000, 9999)}`,
      type: model.type,
      status,
      fuel_type: model.fuel,
      odometer_km: Math.round(age * yearlyKm * (0.6 + rand() * 0.8)),
      engine_hours: model.type === 'EQUIPMENT' ? between(rand, 800, 6000) : Math.round(age * between(rand, 300, 900)),
      facility_id: (facilities[i % facilities.length] as { id: string }).id,
      // The first vehicle has a speed limit, which its demo track exceeds (db/seeds/telematics.ts).
      speed_limit_kmh: i === 0 ? 50 : null,
      retired_at: status === 'RETIRED' ? new Date(now.getTime() - between(rand, 30, 90) * DAY) : null,
      created_at: new Date(now.getTime() - (tenant.vehicles - i) * DAY / 4 - 400 * DAY)
    })
  }
  const vehicles: Array<Pick<VehicleRow, 'id' | 'status' | 'type' | 'odometer_km' | 'engine_hours'>> = []
  for (const chunk of chunks(vehicleRows)) {
    vehicles.push(...await db.insertInto('vehicles').values(chunk).returning(['id', 'status', 'type', 'odometer_km', 'engine_hours']).execute())
  }
  await insertChunked(db, 'meter_readings', meterReadings(vehicles, organizationId, now))

  const driverUser = users.find((u) => u.role === 'DRIVER')
  const driverRows: Array<Insertable<DriversTable>> = []
  for (let i = 0; i < tenant.drivers; i++) {
    const first = FIRST_NAMES[(i * 7 + tenantIndex) % FIRST_NAMES.length] as string
    const last = LAST_NAMES[(i * 11 + tenantIndex * 3) % LAST_NAMES.length] as string
    const suffix = i >= FIRST_NAMES.length ? String(Math.floor(i / FIRST_NAMES.length) + 1) : ''
    const expiresInDays = i % 17 === 5 ? -between(rand, 1, 60) : i % 9 === 2 ? between(rand, 5, 45) : between(rand, 120, 1400)
    driverRows.push({
      organization_id: organizationId,
      user_id: i === 0 ? driverUser?.id ?? null : null,
      name: `${first} ${last}${suffix === '' ? '' : ` ${suffix}`}`,
      email: `${first}.${last}${suffix}`.toLowerCase() + `@${tenant.emailDomain}`,
      phone: `+1 614 555 ${String(100 + (i % 100)).padStart(4, '0')}`,
      license_number: `${tenant.slug === 'demo' ? 'OH' : 'ME'}${String(10000000 + i * 7919 + tenantIndex * 13).slice(-8)}`,
      license_class: pick(rand, ['CDL-A', 'CDL-A', 'CDL-B', 'C', 'C']),
      license_expires_at: new Date(now.getTime() + expiresInDays * DAY),
      status: driverStatus(i),
      created_at: new Date(now.getTime() - (tenant.drivers - i) * DAY / 3 - 300 * DAY)
    })
  }
  const drivers: Array<{ id: string, status: DriverStatus }> = []
  for (const chunk of chunks(driverRows)) {
    drivers.push(...await db.insertInto('drivers').values(chunk).returning(['id', 'status']).execute())
  }

  const assignments = planAssignments(rand, vehicles, drivers, now, organizationId, users.find((u) => u.role === 'DISPATCHER')?.id ?? null)
  await insertChunked(db, 'vehicle_assignments', assignments)

  return {
    organizations: 1,
    users: users.length,
    facilities: facilities.length,
    vehicles: vehicles.length,
    drivers: drivers.length,
    assignments: assignments.length,
    positions: 0,
    geofences: 0
  }
}

/**
 * The meters as read at the yard the day before (an import of the fleet's last readings): every
 * odometer, and the engine hours of the vehicles whose service goes by them. The demo's tracks
 * (db/seeds/telematics.ts) add the trackers' readings at the ends of their trips.
 */
function meterReadings (vehicles: ReadonlyArray<Pick<VehicleRow, 'id' | 'type' | 'odometer_km' | 'engine_hours'>>, organizationId: string, now: Date): Array<Insertable<MeterReadingsTable>> {
  const base = { organization_id: organizationId, recorded_at: new Date(now.getTime() - DAY), source: 'IMPORT' as const }
  return vehicles.flatMap((v) => [
    { ...base, vehicle_id: v.id, kind: 'ODOMETER' as const, value: v.odometer_km },
    ...(v.type === 'TRUCK' || v.type === 'EQUIPMENT' ? [{ ...base, vehicle_id: v.id, kind: 'ENGINE_HOURS' as const, value: v.engine_hours }] : [])
  ])
}

/**
 * About three in four drivable vehicles have a current driver; many have one or two finished
 * assignments in the past, and a few have an upcoming one. Past windows lie before every
 * current one and each driver appears at most once per window, so nothing overlaps.
 */
function planAssignments (
  rand: () => number,
  vehicles: ReadonlyArray<{ id: string, status: VehicleStatus }>,
  drivers: Array<{ id: string, status: DriverStatus }>,
  now: Date,
  organizationId: string,
  createdBy: string | null
): Array<Insertable<VehicleAssignmentsTable>> {
  const at = (days: number) => new Date(now.getTime() + days * DAY)
  const drivable = vehicles.filter((v) => v.status === 'ACTIVE' || v.status === 'IN_SHOP')
  const available = drivers.filter((d) => d.status === 'ACTIVE')
  const rows: Array<Insertable<VehicleAssignmentsTable>> = []
  const base = { organization_id: organizationId, created_by: createdBy }

  const current = Math.min(Math.floor(drivable.length * 0.75), available.length - 2)
  for (let i = 0; i < current; i++) {
    rows.push({ ...base, vehicle_id: (drivable[i] as { id: string }).id, driver_id: (available[i] as { id: string }).id, starts_at: at(-between(rand, 1, 60)), ends_at: null })
  }
  // Upcoming shifts for drivers and vehicles that are free today.
  for (let i = 0; i < 2 && current + i < drivable.length && current + i < available.length; i++) {
    rows.push({ ...base, vehicle_id: (drivable[current + i] as { id: string }).id, driver_id: (available[current + i] as { id: string }).id, starts_at: at(2 + i), ends_at: at(9 + i), notes: 'Cover for scheduled leave' })
  }
  const history = Math.min(vehicles.length, drivers.length)
  for (let i = 0; i < history; i++) {
    const vehicle = (vehicles[i] as { id: string }).id
    rows.push({ ...base, vehicle_id: vehicle, driver_id: (drivers[i] as { id: string }).id, starts_at: at(-300 + (i % 5)), ends_at: at(-240 + (i % 5)) })
    if (i % 2 === 0) {
      rows.push({ ...base, vehicle_id: vehicle, driver_id: (drivers[(i + 1) % history] as { id: string }).id, starts_at: at(-200), ends_at: at(-between(rand, 90, 120)) })
    }
  }
  return rows
}

/** Loads the demo organizations into an empty database; refuses when `demo` already exists. */
export async function seedDemo (db: Kysely<Database>, options: SeedOptions = {}): Promise<SeedSummary> {
  const now = options.now ?? new Date()
  const passwordHash = await hashPassword(DEMO_PASSWORD)
  const total = await db.transaction().execute(async (trx) => {
    await tagTransaction(trx, { actorId: null, actorRole: null, operation: 'seed', requestId: null }, SYSTEM_SCOPE)
    const total: TenantSummary = { organizations: 0, users: 0, facilities: 0, vehicles: 0, drivers: 0, assignments: 0, positions: 0, geofences: 0 }
    for (const [index, tenant] of tenants(options.vehicles ?? 50).entries()) {
      const summary = await seedTenant(trx, tenant, index, now, passwordHash)
      for (const key of Object.keys(total) as Array<keyof TenantSummary>) total[key] += summary[key]
    }
    return total
  })
  // Through the ingest pipeline, which runs its own transactions.
  const telematics = await seedTelematics(db, now, { demo: 12, other: 2 })
  return { ...total, ...telematics, ...await seedWorkshop(db, now) }
}

export async function demoSeeded (db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('organizations').select('id').where('slug', '=', 'demo').executeTakeFirst()
  return row !== undefined
}

/** Removes the demo organizations and everything they own. */
export async function removeDemo (db: Kysely<Database>): Promise<void> {
  const slugs = tenants(0).map((t) => t.slug)
  await db.transaction().execute(async (trx) => {
    await tagTransaction(trx, { actorId: null, actorRole: null, operation: 'seed --reset', requestId: null }, SYSTEM_SCOPE)
    // positions has no foreign key (see migration 0008): its rows go first, by organization.
    await trx.deleteFrom('positions').where('organization_id', 'in', trx.selectFrom('organizations').select('id').where('slug', 'in', slugs)).execute()
    await trx.deleteFrom('organizations').where('slug', 'in', slugs).execute()
  })
}
