import { badInput } from '../../errors.js'
import type { CreateMaintenanceScheduleInput, DistanceUnit, UpdateMaintenanceScheduleInput } from '../../generated/graphql.js'
import { given, integer, number } from '../../graphql/validation.js'
import { toKilometers } from '../../graphql/units.js'
import type { MaintenanceScheduleRow, MaintenanceScheduleUpdate, NewMaintenanceSchedule } from './tables.js'

export const scheduleConstraints = {
  service_tasks_name_unique: { field: 'input.name', message: 'Another service task of this organization already has this name' },
  maintenance_schedules_vehicle_task_unique: { field: 'input.taskId', message: 'This task already has a schedule for this vehicle' },
  maintenance_schedules_type_task_unique: { field: 'input.taskId', message: 'This task already has a schedule for this vehicle type' },
  maintenance_schedules_task_fk: { field: 'input.taskId', message: 'No such service task' },
  maintenance_schedules_vehicle_fk: { field: 'input.vehicleId', message: 'No such vehicle' }
}

const MAX_KM = 10_000_000
const MAX_HOURS = 1_000_000
const MAX_DAYS = 36_500

/** The interval and due-soon columns, in the database's units (km, hours, days). */
interface Intervals {
  interval_km: number | null
  interval_hours: number | null
  interval_days: number | null
  due_soon_km: number | null
  due_soon_hours: number | null
  due_soon_days: number | null
}

function km (value: number | null | undefined, field: string, unit: DistanceUnit | null | undefined, allowZero: boolean): number | null {
  if (value === null || value === undefined) return null
  const kilometres = Math.round(toKilometers(number(value, field, 0, MAX_KM), unit) * 10) / 10
  if (!allowZero && kilometres <= 0) throw badInput(`${field} must be more than 0`, field)
  return kilometres
}

function hours (value: number | null | undefined, field: string, allowZero: boolean): number | null {
  if (value === null || value === undefined) return null
  const rounded = Math.round(number(value, field, 0, MAX_HOURS) * 10) / 10
  if (!allowZero && rounded <= 0) throw badInput(`${field} must be more than 0`, field)
  return rounded
}

function days (value: number | null | undefined, field: string, min: number): number | null {
  return value === null || value === undefined ? null : integer(value, field, min, MAX_DAYS)
}

/** At least one interval; each due-soon threshold needs its interval and fits inside it. */
function checkIntervals (intervals: Intervals): Intervals {
  if (intervals.interval_km === null && intervals.interval_hours === null && intervals.interval_days === null) {
    throw badInput('Give at least one of intervalDistance, intervalEngineHours and intervalDays', 'input.intervalDistance')
  }
  const pairs = [
    ['interval_km', 'due_soon_km', 'dueSoonDistance', 'intervalDistance'],
    ['interval_hours', 'due_soon_hours', 'dueSoonEngineHours', 'intervalEngineHours'],
    ['interval_days', 'due_soon_days', 'dueSoonDays', 'intervalDays']
  ] as const
  for (const [interval, soon, soonField, intervalField] of pairs) {
    const limit = intervals[interval]
    const threshold = intervals[soon]
    if (threshold === null) continue
    if (limit === null) throw badInput(`input.${soonField} needs input.${intervalField}`, `input.${soonField}`)
    if (threshold > limit) throw badInput(`input.${soonField} cannot be more than input.${intervalField}`, `input.${soonField}`)
  }
  return intervals
}

function intervalsOf (input: CreateMaintenanceScheduleInput | UpdateMaintenanceScheduleInput): Intervals {
  return {
    interval_km: km(input.intervalDistance, 'input.intervalDistance', input.distanceUnit, false),
    interval_hours: hours(input.intervalEngineHours, 'input.intervalEngineHours', false),
    interval_days: days(input.intervalDays, 'input.intervalDays', 1),
    due_soon_km: km(input.dueSoonDistance, 'input.dueSoonDistance', input.distanceUnit, true),
    due_soon_hours: hours(input.dueSoonEngineHours, 'input.dueSoonEngineHours', true),
    due_soon_days: days(input.dueSoonDays, 'input.dueSoonDays', 0)
  }
}

export function newSchedule (input: CreateMaintenanceScheduleInput, organizationId: string, ids: { taskId: string, vehicleId: string | null }): NewMaintenanceSchedule {
  if ((ids.vehicleId === null) === (input.vehicleType === null || input.vehicleType === undefined)) {
    throw badInput('Give exactly one of vehicleId (one vehicle) and vehicleType (every vehicle of a type)', 'input.vehicleId')
  }
  if (input.lastService !== null && input.lastService !== undefined && ids.vehicleId === null) {
    throw badInput('input.lastService is for a schedule of one vehicle (vehicleId)', 'input.lastService')
  }
  return {
    organization_id: organizationId,
    service_task_id: ids.taskId,
    vehicle_id: ids.vehicleId,
    vehicle_type: ids.vehicleId === null ? input.vehicleType ?? null : null,
    ...checkIntervals(intervalsOf(input)),
    ...(input.startsAt === null || input.startsAt === undefined ? {} : { starts_at: input.startsAt })
  }
}

/** The update's columns; the intervals are checked as they will stand after it. */
export function schedulePatch (input: UpdateMaintenanceScheduleInput, current: MaintenanceScheduleRow): MaintenanceScheduleUpdate {
  const parsed = intervalsOf(input)
  const keys = {
    interval_km: 'intervalDistance', interval_hours: 'intervalEngineHours', interval_days: 'intervalDays',
    due_soon_km: 'dueSoonDistance', due_soon_hours: 'dueSoonEngineHours', due_soon_days: 'dueSoonDays'
  } as const
  const patch: MaintenanceScheduleUpdate = {}
  const after: Intervals = {
    interval_km: current.interval_km === null ? null : Number(current.interval_km),
    interval_hours: current.interval_hours === null ? null : Number(current.interval_hours),
    interval_days: current.interval_days,
    due_soon_km: current.due_soon_km === null ? null : Number(current.due_soon_km),
    due_soon_hours: current.due_soon_hours === null ? null : Number(current.due_soon_hours),
    due_soon_days: current.due_soon_days
  }
  for (const [column, field] of Object.entries(keys) as Array<[keyof Intervals, keyof UpdateMaintenanceScheduleInput]>) {
    if (!given(input, field)) continue
    after[column] = parsed[column]
    patch[column] = parsed[column]
  }
  checkIntervals(after)
  if (given(input, 'startsAt') && input.startsAt !== null && input.startsAt !== undefined) patch.starts_at = input.startsAt
  return patch
}

/** A last service entered with a schedule: not in the future, meters not negative. */
export function lastServiceOf (input: CreateMaintenanceScheduleInput): { at: Date, km: number | null, hours: number | null } | null {
  const last = input.lastService
  if (last === null || last === undefined) return null
  if (last.at.getTime() > Date.now()) throw badInput('input.lastService.at cannot be in the future', 'input.lastService.at')
  return {
    at: last.at,
    km: km(last.odometer, 'input.lastService.odometer', input.distanceUnit, true),
    hours: hours(last.engineHours, 'input.lastService.engineHours', true)
  }
}
