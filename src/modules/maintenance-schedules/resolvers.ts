import { updateVersioned } from '../../database/optimistic.js'
import { notFound } from '../../errors.js'
import type { Resolvers } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { viewerOf } from '../../graphql/context.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { toKilometers, fromKilometers } from '../../graphql/units.js'
import { distinct, given, id, integer, listOf, number, optionalText, present, text } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import type { MaintenanceStatus } from './due.js'
import { pageOfDue } from './due.js'
import { deleteSchedule, insertSchedule, insertServiceRecords, insertServiceTask, listSchedules, listServiceTasks } from './queries.js'
import { lastServiceOf, newSchedule, schedulePatch } from './validation.js'

const RANK: Record<MaintenanceStatus, number> = { OVERDUE: 0, DUE_SOON: 1, OK: 2 }
const numberOrNull = (value: string | null): number | null => value === null ? null : Number(value)
const MAX_KM = 10_000_000

export const scheduleResolvers: Resolvers = {
  Query: {
    serviceTasks: async (_, { search, ...page }, ctx) =>
      await listServiceTasks(ctx.db, viewerOf(ctx).organizationId, optionalText(search, 'search', 100), page),
    serviceTask: async (_, args, ctx) => await ctx.loaders.schedules.tasks.load(id(args.id, 'id')),
    maintenanceSchedules: async (_, { filter, ...page }, ctx) => {
      const { organizationId } = viewerOf(ctx)
      const vehicleId = filter?.vehicleId === null || filter?.vehicleId === undefined ? undefined : id(filter.vehicleId, 'filter.vehicleId')
      // An unknown (or another organization's) vehicle has no type, and no schedule of its own.
      const vehicle = vehicleId === undefined ? undefined : { id: vehicleId, type: (await ctx.loaders.vehicles.byId.load(vehicleId))?.type ?? null }
      return await listSchedules(ctx.db, organizationId, {
        ...(vehicle === undefined ? {} : { vehicle }),
        ...(filter?.vehicleType === null || filter?.vehicleType === undefined ? {} : { vehicleTypes: distinct(filter.vehicleType) }),
        ...(filter?.taskId === null || filter?.taskId === undefined ? {} : { taskId: id(filter.taskId, 'filter.taskId') })
      }, page)
    },
    maintenanceSchedule: async (_, args, ctx) => {
      const schedule = await ctx.loaders.schedules.schedules.load(id(args.id, 'id'))
      return schedule?.deleted_at === null ? schedule : null
    },
    maintenanceDue: async (_, args, ctx) => {
      const { filter } = args
      return await pageOfDue(ctx.db, {
        organizationId: viewerOf(ctx).organizationId,
        statuses: distinct(filter?.status) ?? ['OVERDUE', 'DUE_SOON'],
        ...(filter?.vehicleIds === null || filter?.vehicleIds === undefined ? {} : { vehicleIds: listOf(filter.vehicleIds, 'filter.vehicleIds', 200, id) }),
        ...(filter?.taskIds === null || filter?.taskIds === undefined ? {} : { taskIds: listOf(filter.taskIds, 'filter.taskIds', 200, id) }),
        ...(filter?.vehicleType === null || filter?.vehicleType === undefined ? {} : { vehicleTypes: distinct(filter.vehicleType) }),
        ...(filter?.facilityId === null || filter?.facilityId === undefined ? {} : { facilityId: id(filter.facilityId, 'filter.facilityId') }),
        ...(args.withinDays === null || args.withinDays === undefined ? {} : { withinDays: integer(args.withinDays, 'withinDays', 0, 36_500) }),
        ...(args.withinDistance === null || args.withinDistance === undefined ? {} : { withinKm: toKilometers(number(args.withinDistance, 'withinDistance', 0, MAX_KM), args.distanceUnit) }),
        ...(args.withinEngineHours === null || args.withinEngineHours === undefined ? {} : { withinHours: number(args.withinEngineHours, 'withinEngineHours', 0, 1_000_000) })
      }, args)
    }
  },
  Mutation: {
    createServiceTask: async (_, { input }, ctx) => {
      const row = { organization_id: viewerOf(ctx).organizationId, name: text(input.name, 'input.name', 200), description: optionalText(input.description, 'input.description', 2000) }
      return await write(ctx, async (trx) => await insertServiceTask(trx, row))
    },
    updateServiceTask: async (_, args, ctx) => {
      const { organizationId } = viewerOf(ctx)
      const patch = {
        ...(given(args.input, 'name') ? { name: text(present(args.input.name, 'input.name'), 'input.name', 200) } : {}),
        ...(given(args.input, 'description') ? { description: optionalText(args.input.description, 'input.description', 2000) } : {})
      }
      const task = await write(ctx, async (trx) => await updateVersioned(trx, 'service_tasks', { organizationId, id: id(args.id, 'id') }, args.input.expectedVersion, patch, 'ServiceTask'))
      ctx.loaders.schedules.tasks.clear(task.id).prime(task.id, task)
      return task
    },
    createMaintenanceSchedule: async (_, { input }, ctx) => {
      const { organizationId } = viewerOf(ctx)
      const vehicleId = input.vehicleId === null || input.vehicleId === undefined ? null : id(input.vehicleId, 'input.vehicleId')
      const row = newSchedule(input, organizationId, { taskId: id(input.taskId, 'input.taskId'), vehicleId })
      const last = lastServiceOf(input)
      return await write(ctx, async (trx) => {
        const schedule = await insertSchedule(trx, row)
        if (last !== null && vehicleId !== null) {
          await insertServiceRecords(trx, [{
            organization_id: organizationId, vehicle_id: vehicleId, service_task_id: schedule.service_task_id, performed_at: last.at, odometer_km: last.km, engine_hours: last.hours, work_order_id: null
          }])
        }
        return schedule
      })
    },
    updateMaintenanceSchedule: async (_, args, ctx) => {
      const { organizationId } = viewerOf(ctx)
      const scheduleId = id(args.id, 'id')
      const current = await ctx.loaders.schedules.schedules.load(scheduleId)
      if (current === null || current.deleted_at !== null) throw notFound('MaintenanceSchedule', scheduleId)
      const patch = schedulePatch(args.input, current)
      const schedule = await write(ctx, async (trx) => await updateVersioned(trx, 'maintenance_schedules', { organizationId, id: scheduleId }, args.input.expectedVersion, patch, 'MaintenanceSchedule'))
      ctx.loaders.schedules.schedules.clear(schedule.id).prime(schedule.id, schedule)
      return schedule
    },
    deleteMaintenanceSchedule: async (_, args, ctx) => {
      const viewer = viewerOf(ctx)
      const scheduleId = id(args.id, 'id')
      const deleted = await write(ctx, async (trx) => await deleteSchedule(trx, viewer.organizationId, scheduleId, viewer.userId))
      if (!deleted) throw notFound('MaintenanceSchedule', scheduleId)
      return true
    }
  },
  ServiceTask: {
    createdAt: (t) => t.created_at,
    updatedAt: (t) => t.updated_at
  },
  MaintenanceSchedule: {
    task: async (s, _, ctx) => await required(ctx.loaders.schedules.tasks, s.service_task_id, 'Task of a schedule'),
    vehicle: async (s, _, ctx) => s.vehicle_id === null ? null : await ctx.loaders.vehicles.byId.load(s.vehicle_id),
    vehicleType: (s) => s.vehicle_type,
    intervalDistance: (s, { unit }) => s.interval_km === null ? null : fromKilometers(s.interval_km, unit),
    intervalEngineHours: (s) => numberOrNull(s.interval_hours),
    intervalDays: (s) => s.interval_days,
    dueSoonDistance: (s, { unit }) => s.due_soon_km === null ? null : fromKilometers(s.due_soon_km, unit),
    dueSoonEngineHours: (s) => numberOrNull(s.due_soon_hours),
    dueSoonDays: (s) => s.due_soon_days,
    startsAt: (s) => s.starts_at,
    createdAt: (s) => s.created_at,
    updatedAt: (s) => s.updated_at
  },
  MaintenanceDue: {
    vehicle: async (d, _, ctx) => await required(ctx.loaders.vehicles.byId, d.vehicle_id, 'Vehicle of a due item'),
    schedule: async (d, _, ctx) => await required(ctx.loaders.schedules.schedules, d.schedule_id, 'Schedule of a due item'),
    task: async (d, _, ctx) => await required(ctx.loaders.schedules.tasks, d.task_id, 'Task of a due item'),
    dueAt: (d) => d.due_at,
    dueAtOdometer: (d, { unit }) => d.due_km === null ? null : fromKilometers(d.due_km, unit),
    dueAtEngineHours: (d) => numberOrNull(d.due_hours),
    daysRemaining: (d) => d.days_remaining,
    distanceRemaining: (d, { unit }) => d.km_remaining === null ? null : fromKilometers(d.km_remaining, unit),
    engineHoursRemaining: (d) => numberOrNull(d.hours_remaining),
    lastService: async (d, _, ctx) => d.record_id === null ? null : await ctx.loaders.schedules.records.load(d.record_id)
  },
  ServiceRecord: {
    vehicle: async (r, _, ctx) => await required(ctx.loaders.vehicles.byId, r.vehicle_id, 'Vehicle of a service record'),
    task: async (r, _, ctx) => await required(ctx.loaders.schedules.tasks, r.service_task_id, 'Task of a service record'),
    performedAt: (r) => r.performed_at,
    odometer: (r, { unit }) => r.odometer_km === null ? null : fromKilometers(r.odometer_km, unit),
    engineHours: (r) => numberOrNull(r.engine_hours)
  },
  Vehicle: {
    maintenanceStatus: async (v, _, ctx) => {
      const due = await ctx.loaders.schedules.dueOfVehicle.load(v.id)
      return due.reduce<MaintenanceStatus>((worst, d) => RANK[d.status] < RANK[worst] ? d.status : worst, 'OK')
    },
    maintenanceDue: async (v, _, ctx) => await ctx.loaders.schedules.dueOfVehicle.load(v.id),
    serviceHistory: async (v, args, ctx) => await ctx.loaders.schedules.historyOfVehicle(v.id, args)
  },
  FleetSummary: {
    overdueMaintenance: async (_, __, ctx) => (await ctx.loaders.schedules.dueCounts()).overdue,
    dueSoonMaintenance: async (_, __, ctx) => (await ctx.loaders.schedules.dueCounts()).dueSoon
  },
  Alert: {
    maintenanceSchedule: async (a, _, ctx) => a.maintenance_schedule_id === null ? null : await ctx.loaders.schedules.schedules.load(a.maintenance_schedule_id)
  },
  ServiceTaskConnection: connectionResolvers,
  MaintenanceScheduleConnection: connectionResolvers,
  MaintenanceDueConnection: connectionResolvers,
  ServiceRecordConnection: connectionResolvers
}
