import type { Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import { badInput, notFound } from '../../errors.js'
import { fromKilometers } from '../../graphql/units.js'
import { lockVehicleMeters, setVehicleMeters } from '../vehicles/queries.js'
import type { VehicleRow } from '../vehicles/tables.js'
import { insertReading, insertTelematicsReadings, latestReading, lockReading, markVoided, meterNeighbours, findReading, type Neighbour } from './queries.js'
import type { MeterKind, MeterReadingRow, MeterReadingSource } from './tables.js'
import { meterValue, readingTime } from './validation.js'

// What the meters module offers the rest of the service: recording readings (people, fuel
// transactions, work orders, imports), voiding them, and the tracker's readings at trip ends.
//
// A meter's valid readings never go down in time: a new reading must be at least the one before
// it and at most the one after it (a reading entered late), unless it is a replacement (the meter
// was replaced or reset), which starts the meter again: readings after it are compared with it.
// The tracker's readings (TELEMATICS) take no part in this: they are counted from GPS distance and
// ignition, or reported by a tracker whose own meter may disagree with the dashboard, so they
// neither refuse a reading nor are refused. The latest valid reading of a meter, of any source,
// is what the vehicle shows (vehicles.odometer_km / engine_hours), except that the tracker's
// readings never set it: the ingest pipeline keeps the vehicle's meters itself, as it goes.
//
// Every function here runs in the caller's transaction and locks the vehicles first, so two
// readings of one meter (or a reading and a tracker's batch) never check against the same past.

export interface ReadingRequest {
  vehicleId: string
  kind: MeterKind
  /** Kilometres (ODOMETER) or hours (ENGINE_HOURS); checked and rounded to one decimal here. */
  value: number
  recordedAt: Date
  source: Exclude<MeterReadingSource, 'TELEMATICS'>
  replacement?: boolean
  workOrderId?: string | null
  recordedBy?: string | null
  note?: string | null
  /** The caller's input field the value came from, named by BAD_USER_INPUT (e.g. `input.odometerOut`). */
  field: string
  /** The caller's input field of the time, if it has one (errors about the time name it; else `field`). */
  recordedAtField?: string
  /** The unit the value was given in, for messages (the value itself is in kilometres). */
  unit?: 'KILOMETERS' | 'MILES'
}

export interface RecordedReadings {
  /** The readings, in the order of the requests. */
  readings: MeterReadingRow[]
  /** Vehicles whose odometer or engine hours moved: after the commit, announce them (announceVehicleUpdates in vehicles/events.ts). */
  vehicles: VehicleRow[]
}

const COLUMN: Record<MeterKind, 'odometer_km' | 'engine_hours'> = { ODOMETER: 'odometer_km', ENGINE_HOURS: 'engine_hours' }

function shown (value: string | number, kind: MeterKind, unit: ReadingRequest['unit']): string {
  if (kind === 'ENGINE_HOURS') return `${Number(value).toFixed(1)} h`
  return unit === 'MILES' ? `${fromKilometers(value, 'MILES').toFixed(1)} mi` : `${Number(value).toFixed(1)} km`
}

/** Why a reading breaks its meter's sequence, or null. */
function refusal (value: number, replacement: boolean, neighbours: Neighbour[], request: ReadingRequest): string | null {
  const before = neighbours.find((n) => n.side === 'before')
  const after = neighbours.find((n) => n.side === 'after')
  const what = request.kind === 'ODOMETER' ? 'odometer' : 'engine hours'
  if (!replacement && before !== undefined && value < Number(before.value)) {
    return `The ${what} reading ${shown(value, request.kind, request.unit)} is lower than the reading before it, ` +
      `${shown(before.value, request.kind, request.unit)} at ${before.recorded_at.toISOString()}; mark it as a replacement if the meter was replaced or reset`
  }
  if (after !== undefined && !after.replacement && value > Number(after.value)) {
    return `The ${what} reading ${shown(value, request.kind, request.unit)} is higher than the reading after it, ` +
      `${shown(after.value, request.kind, request.unit)} at ${after.recorded_at.toISOString()}; void that one if it is wrong`
  }
  return null
}

/**
 * Records readings, in order, refusing one that breaks its meter's sequence with BAD_USER_INPUT
 * naming the request's `field` (nothing is recorded then: the caller's transaction rolls back). A
 * reading that becomes its meter's latest moves the vehicle's value, without counting as an edit
 * of the vehicle.
 */
export async function recordReadings (trx: Transaction<Database>, organizationId: string, requests: readonly ReadingRequest[], now = new Date()): Promise<RecordedReadings> {
  const vehicleIds = [...new Set(requests.map((r) => r.vehicleId))].sort()
  const locked = new Map((await lockVehicleMeters(trx, organizationId, vehicleIds)).map((v) => [v.id, v]))
  const missing = vehicleIds.find((id) => !locked.has(id))
  if (missing !== undefined) throw notFound('Vehicle', missing)

  const readings: MeterReadingRow[] = []
  const latest = new Map<string, Map<MeterKind, number>>()
  for (const request of requests) {
    const value = meterValue(request.value, request.kind, request.field)
    const recordedAt = readingTime(request.recordedAt, now, request.recordedAtField ?? request.field)
    const replacement = request.replacement ?? false
    const neighbours = await meterNeighbours(trx, organizationId, request.vehicleId, request.kind, recordedAt)
    const problem = refusal(value, replacement, neighbours, request)
    if (problem !== null) throw badInput(problem, request.field)
    readings.push(await insertReading(trx, {
      organization_id: organizationId,
      vehicle_id: request.vehicleId,
      kind: request.kind,
      value,
      recorded_at: recordedAt,
      source: request.source,
      replacement,
      note: request.note ?? null,
      work_order_id: request.workOrderId ?? null,
      recorded_by: request.recordedBy ?? null
    }))
    const last = neighbours.find((n) => n.side === 'latest')
    if (last === undefined || last.recorded_at <= recordedAt) {
      const meters = latest.get(request.vehicleId) ?? new Map<MeterKind, number>()
      latest.set(request.vehicleId, meters.set(request.kind, value))
    }
  }

  const vehicles: VehicleRow[] = []
  for (const [vehicleId, meters] of latest) {
    const vehicle = locked.get(vehicleId) as VehicleRow
    const odometerKm = meters.get('ODOMETER')
    const engineHours = meters.get('ENGINE_HOURS')
    const moves = (kind: MeterKind, value: number | undefined): boolean => value !== undefined && value !== Number(vehicle[COLUMN[kind]])
    if (!moves('ODOMETER', odometerKm) && !moves('ENGINE_HOURS', engineHours)) continue
    vehicles.push(await setVehicleMeters(trx, organizationId, vehicleId, {
      ...(moves('ODOMETER', odometerKm) ? { odometerKm } : {}),
      ...(moves('ENGINE_HOURS', engineHours) ? { engineHours } : {})
    }))
  }
  return { readings, vehicles }
}

/**
 * Voids a reading: kept, marked void, left out of its meter's sequence. When it was the latest
 * and the vehicle still shows its value, the vehicle goes back to the latest valid reading left
 * (with none left, the vehicle keeps its value). Voiding a void reading changes nothing.
 */
export async function voidReading (trx: Transaction<Database>, organizationId: string, id: string, voidedBy: string | null, reason: string | null): Promise<{ reading: MeterReadingRow, vehicle: VehicleRow | null }> {
  const found = await findReading(trx, organizationId, id)
  if (found === undefined) throw notFound('MeterReading', id)
  // The vehicle first, as recordReadings locks it: a reading recorded meanwhile is seen below.
  const [vehicle] = await lockVehicleMeters(trx, organizationId, [found.vehicle_id])
  const current = await lockReading(trx, organizationId, id)
  if (vehicle === undefined || current === undefined) throw notFound('MeterReading', id)
  if (current.voided_at !== null) return { reading: current, vehicle: null }

  const reading = await markVoided(trx, id, voidedBy, reason)
  const left = await latestReading(trx, organizationId, reading.vehicle_id, reading.kind)
  const wasLatest = left === undefined || left.recorded_at <= reading.recorded_at
  const column = COLUMN[reading.kind]
  if (!wasLatest || left === undefined || Number(vehicle[column]) !== Number(reading.value) || Number(left.value) === Number(reading.value)) {
    return { reading, vehicle: null }
  }
  const back = Number(left.value)
  return { reading, vehicle: await setVehicleMeters(trx, organizationId, vehicle.id, reading.kind === 'ODOMETER' ? { odometerKm: back } : { engineHours: back }) }
}

export interface TelematicsReading {
  vehicleId: string
  kind: MeterKind
  /** Kilometres or hours, as telemetry counts them (rounded here as the column stores them). */
  value: number
  recordedAt: Date
}

/**
 * The tracker's readings at the end of a trip, for the meters' history: stored once each (a trip
 * closed again adds nothing), never refused, never moving the vehicle's meters (the ingest
 * pipeline keeps those). Runs in a telemetry transaction (fleet.telemetry): not audited.
 */
export async function recordTelematicsReadings (trx: Transaction<Database>, organizationId: string, readings: readonly TelematicsReading[]): Promise<void> {
  // A tracker may report a meter no reading can hold (meter_readings_value_range): history without it, not a failed batch.
  const storable = readings.map((r) => ({ ...r, value: Math.round(r.value * 10) / 10 })).filter((r) => r.value >= 0 && r.value < STORED_BELOW)
  await insertTelematicsReadings(trx, organizationId, storable)
}

const STORED_BELOW = 100_000_000
