import type { Resolvers, WorkOrderFilter as WorkOrderFilterInput } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { money, price } from '../../graphql/money.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { fromKilometers } from '../../graphql/units.js'
import { distinct, id, listOf, optionalText, period } from '../../graphql/validation.js'
import { ownRows } from '../identity/scope.js'
import { changeWorkOrder } from './changes.js'
import { numberOf } from './lifecycle.js'
import { listWorkOrders, type WorkOrderFilter, workOrderSort } from './queries.js'

const numberOrNull = (value: string | null): number | null => value === null ? null : Number(value)

/** The filter as asked, narrowed to what the viewer may see (a DRIVER: their current vehicle's orders). */
async function filterOf (ctx: GraphQLContext, input: WorkOrderFilterInput | null | undefined): Promise<WorkOrderFilter> {
  const own = ownRows(ctx)
  const search = optionalText(input?.search, 'filter.search', 100)
  return {
    ...(input?.status === null || input?.status === undefined ? {} : { status: distinct(input.status) }),
    ...(input?.kind === null || input?.kind === undefined ? {} : { kind: distinct(input.kind) }),
    ...(input?.priority === null || input?.priority === undefined ? {} : { priority: distinct(input.priority) }),
    ...(input?.vehicleIds === null || input?.vehicleIds === undefined ? {} : { vehicleIds: listOf(input.vehicleIds, 'filter.vehicleIds', 200, id) }),
    ...(input?.assigneeId === null || input?.assigneeId === undefined ? {} : { assigneeId: id(input.assigneeId, 'filter.assigneeId') }),
    ...(input?.unassigned === null || input?.unassigned === undefined ? {} : { unassigned: input.unassigned }),
    ...(input?.vendorId === null || input?.vendorId === undefined ? {} : { vendorId: id(input.vendorId, 'filter.vendorId') }),
    ...(input?.facilityId === null || input?.facilityId === undefined ? {} : { facilityId: id(input.facilityId, 'filter.facilityId') }),
    ...period(input?.from, input?.to, 'filter.'),
    ...(search === null ? {} : { search }),
    ...(own === null ? {} : { onlyVehicle: await own.vehicleId() })
  }
}

export const workOrderResolvers: Resolvers = {
  Query: {
    workOrders: async (_, { filter, orderBy, ...page }, ctx) => await listWorkOrders(
      ctx.db,
      viewerOf(ctx).organizationId,
      await filterOf(ctx, filter),
      workOrderSort(orderBy?.field ?? 'CREATED_AT', orderBy?.direction === 'ASC' ? 'asc' : 'desc'),
      page
    ),
    workOrder: async (_, args, ctx) => {
      const order = await ctx.loaders.workOrders.byId.load(id(args.id, 'id'))
      const own = ownRows(ctx)
      return order === null || (own !== null && await own.vehicleId() !== order.vehicle_id) ? null : order
    }
  },
  Mutation: {
    createWorkOrder: async (_, { input }, ctx) => await changeWorkOrder.create(ctx, input),
    updateWorkOrder: async (_, args, ctx) => await changeWorkOrder.update(ctx, id(args.id, 'id'), args.input),
    addWorkOrderPart: async (_, args, ctx) => await changeWorkOrder.addPart(ctx, id(args.workOrderId, 'workOrderId'), args.input),
    addWorkOrderLabor: async (_, args, ctx) => await changeWorkOrder.addLabor(ctx, id(args.workOrderId, 'workOrderId'), args.input),
    removeWorkOrderLine: async (_, args, ctx) => await changeWorkOrder.removeLine(ctx, id(args.id, 'id')),
    startWorkOrder: async (_, args, ctx) => await changeWorkOrder.start(ctx, id(args.id, 'id'), args.input ?? {}),
    holdWorkOrder: async (_, args, ctx) => await changeWorkOrder.hold(ctx, id(args.id, 'id'), args.reason),
    completeWorkOrder: async (_, args, ctx) => await changeWorkOrder.complete(ctx, id(args.id, 'id'), args.input ?? {}),
    cancelWorkOrder: async (_, args, ctx) => await changeWorkOrder.cancel(ctx, id(args.id, 'id'), args.reason)
  },
  WorkOrder: {
    number: (w) => numberOf(w),
    vehicle: async (w, _, ctx) => await required(ctx.loaders.vehicles.byId, w.vehicle_id, 'Vehicle of a work order'),
    assignee: async (w, _, ctx) => w.assignee_id === null ? null : await ctx.loaders.users.byId.load(w.assignee_id),
    vendor: async (w, _, ctx) => w.vendor_id === null ? null : await ctx.loaders.vendors.byId.load(w.vendor_id),
    facility: async (w, _, ctx) => w.facility_id === null ? null : await ctx.loaders.facilities.byId.load(w.facility_id),
    takesVehicleOffRoad: (w) => w.takes_vehicle_off_road,
    scheduledFor: (w) => w.scheduled_for,
    startedAt: (w) => w.started_at,
    completedAt: (w) => w.completed_at,
    cancelledAt: (w) => w.cancelled_at,
    statusReason: (w) => w.status_reason,
    odometerIn: (w, { unit }) => w.odometer_in_km === null ? null : fromKilometers(w.odometer_in_km, unit),
    odometerOut: (w, { unit }) => w.odometer_out_km === null ? null : fromKilometers(w.odometer_out_km, unit),
    engineHoursIn: (w) => numberOrNull(w.engine_hours_in),
    engineHoursOut: (w) => numberOrNull(w.engine_hours_out),
    tasks: async (w, _, ctx) => await ctx.loaders.workOrders.tasksOf.load(w.id),
    parts: async (w, _, ctx) => (await ctx.loaders.workOrders.partsOf.load(w.id)).map((line) => ({ ...line, currency: w.currency })),
    labor: async (w, _, ctx) => (await ctx.loaders.workOrders.laborOf.load(w.id)).map((line) => ({ ...line, currency: w.currency })),
    partsTotal: async (w, _, ctx) => money((await ctx.loaders.workOrders.totalsOf.load(w.id))?.parts ?? '0', w.currency),
    laborTotal: async (w, _, ctx) => money((await ctx.loaders.workOrders.totalsOf.load(w.id))?.labor ?? '0', w.currency),
    total: async (w, _, ctx) => money((await ctx.loaders.workOrders.totalsOf.load(w.id))?.total ?? '0', w.currency),
    completionNotes: (w) => w.completion_notes,
    createdAt: (w) => w.created_at,
    updatedAt: (w) => w.updated_at
  },
  WorkOrderAssignee: {
    name: (u) => u.name
  },
  WorkOrderTask: {
    task: async (t, _, ctx) => await required(ctx.loaders.schedules.tasks, t.service_task_id, 'Task of a work order'),
    schedule: async (t, _, ctx) => t.maintenance_schedule_id === null ? null : await ctx.loaders.schedules.schedules.load(t.maintenance_schedule_id)
  },
  WorkOrderPart: {
    partNumber: (p) => p.part_number,
    quantity: (p) => Number(p.quantity),
    unitCost: (p) => price(p.unit_cost, p.currency),
    amount: (p) => money(p.amount, p.currency)
  },
  WorkOrderLabor: {
    technician: async (l, _, ctx) => l.technician_id === null ? null : await ctx.loaders.users.byId.load(l.technician_id),
    technicianName: (l) => l.technician_name,
    hours: (l) => Number(l.hours),
    rate: (l) => price(l.rate, l.currency),
    amount: (l) => money(l.amount, l.currency),
    performedAt: (l) => l.performed_at
  },
  Vehicle: {
    workOrders: async (v, { filter, ...page }, ctx) => await ctx.loaders.workOrders.pageOfVehicle(v.id, await filterOf(ctx, filter), page)
  },
  ServiceRecord: {
    workOrder: async (r, _, ctx) => r.work_order_id === null ? null : await ctx.loaders.workOrders.byId.load(r.work_order_id)
  },
  MeterReading: {
    workOrder: async (r, _, ctx) => r.work_order_id === null ? null : await ctx.loaders.workOrders.byId.load(r.work_order_id)
  },
  FleetSummary: {
    openWorkOrders: async (_, __, ctx) => await ctx.loaders.workOrders.openCount()
  },
  WorkOrderConnection: connectionResolvers
}
