import type { Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import { badInput, conflict, notFound } from '../../errors.js'
import type {
  AddWorkOrderLaborInput, AddWorkOrderPartInput, CompleteWorkOrderInput, CreateWorkOrderInput, StartWorkOrderInput, UpdateWorkOrderInput
} from '../../generated/graphql.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { id, text } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { recordServiceDone } from '../maintenance-schedules/completion.js'
import { recordReadings } from '../meters/readings.js'
import { announceVehicleUpdates } from '../vehicles/events.js'
import { lockVehicle } from '../vehicles/queries.js'
import type { VehicleRow } from '../vehicles/tables.js'
import { checkMayWork, checkOpen, giveBack, move, takeIntoShop } from './lifecycle.js'
import {
  deleteLine, deleteTasks, findLine, insertLabor, insertPart, insertTasks, insertWorkOrder, lockWorkOrder, nextWorkOrderNumber, touchWorkOrder, updateWorkOrder
} from './queries.js'
import type { WorkOrderRow } from './tables.js'
import { laborLine, meters, newTasks, newWorkOrder, partLine, stepTime, type TaskLine, workOrderPatch } from './validation.js'

// The mutations of work orders: each runs in one transaction on the order locked for update, and
// after the commit tells the rest of the service about the vehicles it moved in or out of the shop.

interface Outcome {
  order: WorkOrderRow
  vehicles: VehicleRow[]
}

const changed = (...vehicles: Array<VehicleRow | null>): VehicleRow[] => vehicles.filter((v): v is VehicleRow => v !== null)

/** Who may be assigned: an active user of the organization who works on vehicles. */
async function checkAssignee (ctx: GraphQLContext, assigneeId: string | null | undefined, field: string): Promise<void> {
  if (assigneeId === null || assigneeId === undefined) return
  const user = await ctx.loaders.users.byId.load(id(assigneeId, field))
  if (user === null || !user.is_active) throw badInput('No such active user', field)
  if (!['MECHANIC', 'FLEET_MANAGER', 'ADMIN'].includes(user.role)) throw badInput(`A ${user.role} cannot be assigned work orders: assign a MECHANIC (or a fleet manager or admin)`, field)
}

/** Every task exists, and a task's schedule is a schedule of that task (loaded together: two statements). */
async function checkTasks (ctx: GraphQLContext, tasks: readonly TaskLine[], field: string): Promise<void> {
  const found = await Promise.all(tasks.map(async (task) => await Promise.all([
    ctx.loaders.schedules.tasks.load(task.service_task_id),
    task.maintenance_schedule_id === null ? null : ctx.loaders.schedules.schedules.load(task.maintenance_schedule_id)
  ])))
  for (const [i, task] of tasks.entries()) {
    const [row, schedule] = found[i] ?? [null, null]
    if (row === null) throw badInput('No such service task', `${field}[${i}].taskId`)
    if (task.maintenance_schedule_id === null) continue
    if (schedule === null) throw badInput('No such maintenance schedule', `${field}[${i}].scheduleId`)
    if (schedule.service_task_id !== task.service_task_id) throw badInput('The schedule is for another task', `${field}[${i}].scheduleId`)
  }
}

async function lockOrder (trx: Transaction<Database>, ctx: GraphQLContext, workOrderId: string): Promise<WorkOrderRow> {
  const order = await lockWorkOrder(trx, viewerOf(ctx).organizationId, workOrderId)
  if (order === undefined) throw notFound('WorkOrder', workOrderId)
  checkMayWork(viewerOf(ctx), order)
  return order
}


/**
 * Odometer and engine hours read when the vehicle came in or went out: meter readings of the
 * order (the vehicle's meters move with them). A value lower than the meter's last reading is
 * refused, naming the input field, and the step does not happen.
 */
async function recordOrderMeters (
  trx: Transaction<Database>,
  ctx: GraphQLContext,
  order: WorkOrderRow,
  at: Date,
  given: { km: number | null, hours: number | null },
  side: 'in' | 'out'
): Promise<VehicleRow[]> {
  const common = { vehicleId: order.vehicle_id, recordedAt: at, source: 'WORK_ORDER' as const, workOrderId: order.id, recordedBy: viewerOf(ctx).userId }
  const requests = [
    ...(given.km === null ? [] : [{ ...common, kind: 'ODOMETER' as const, value: given.km, field: side === 'in' ? 'input.odometerIn' : 'input.odometerOut' }]),
    ...(given.hours === null ? [] : [{ ...common, kind: 'ENGINE_HOURS' as const, value: given.hours, field: side === 'in' ? 'input.engineHoursIn' : 'input.engineHoursOut' }])
  ]
  if (requests.length === 0) return []
  return (await recordReadings(trx, order.organization_id, requests)).vehicles
}

async function finish (ctx: GraphQLContext, outcome: Outcome): Promise<WorkOrderRow> {
  await announceVehicleUpdates(ctx, outcome.vehicles)
  ctx.loaders.workOrders.byId.clear(outcome.order.id).prime(outcome.order.id, outcome.order)
  return outcome.order
}

async function create (ctx: GraphQLContext, input: CreateWorkOrderInput): Promise<WorkOrderRow> {
  const viewer = viewerOf(ctx)
  const organization = await ctx.loaders.organizations.byId.load(viewer.organizationId)
  if (organization === null) throw notFound('Organization', viewer.organizationId)
  // The input is checked whole before anything is looked up with it.
  const draft = newWorkOrder(input, { organizationId: viewer.organizationId, number: 0, currency: organization.currency, createdBy: viewer.userId })
  const tasks = newTasks(input)
  checkMayWork(viewer, null, draft.assignee_id)
  await checkAssignee(ctx, draft.assignee_id, 'input.assigneeId')
  await checkTasks(ctx, tasks, 'input.tasks')
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    // Locked first: the vehicle's status changes in this transaction, and retiring it must wait.
    const vehicle = await lockVehicle(trx, viewer.organizationId, draft.vehicle_id, 'update')
    if (vehicle === undefined) throw badInput('No such vehicle', 'input.vehicleId')
    if (vehicle.status === 'RETIRED') throw badInput('The vehicle is retired', 'input.vehicleId')
    const order = await insertWorkOrder(trx, { ...draft, number: await nextWorkOrderNumber(trx, viewer.organizationId) })
    await insertTasks(trx, tasks.map((task) => ({ ...task, organization_id: order.organization_id, work_order_id: order.id })))
    return { order, vehicles: changed(await takeIntoShop(trx, order)) }
  }))
}

async function update (ctx: GraphQLContext, workOrderId: string, input: UpdateWorkOrderInput): Promise<WorkOrderRow> {
  const viewer = viewerOf(ctx)
  const patch = workOrderPatch(input)
  checkMayWork(viewer, null, patch.columns.assignee_id)
  await checkAssignee(ctx, patch.columns.assignee_id, 'input.assigneeId')
  await checkTasks(ctx, patch.addTasks, 'input.addTasks')
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const current = await lockOrder(trx, ctx, workOrderId)
    if (current.version !== input.expectedVersion) {
      throw conflict(`WorkOrder was changed by someone else (now version ${current.version}, you sent ${input.expectedVersion}); reload it and try again`, 'input.expectedVersion')
    }
    checkOpen(current)
    await insertTasks(trx, patch.addTasks.map((task) => ({ ...task, organization_id: current.organization_id, work_order_id: current.id })))
    const removed = await deleteTasks(trx, current.organization_id, current.id, patch.removeTasks)
    if (removed !== patch.removeTasks.length) throw badInput('input.removeTasks names a task that is not on the order', 'input.removeTasks')
    const order = await updateWorkOrder(trx, current.organization_id, current.id, patch.columns)
    const offRoad = order.takes_vehicle_off_road === current.takes_vehicle_off_road ? null : order.takes_vehicle_off_road ? await takeIntoShop(trx, order) : await giveBack(trx, order)
    return { order, vehicles: changed(offRoad) }
  }))
}

async function addPart (ctx: GraphQLContext, workOrderId: string, input: AddWorkOrderPartInput): Promise<WorkOrderRow> {
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const order = await lockOrder(trx, ctx, workOrderId)
    checkOpen(order)
    const line = partLine(input, order.currency)
    await insertPart(trx, {
      organization_id: order.organization_id, work_order_id: order.id, part_number: line.part_number, description: line.description,
      quantity: line.quantity, unit_cost: line.unit_cost.amount, created_by: viewerOf(ctx).userId
    })
    return { order: await touchWorkOrder(trx, order.organization_id, order.id), vehicles: [] }
  }))
}

async function addLabor (ctx: GraphQLContext, workOrderId: string, input: AddWorkOrderLaborInput): Promise<WorkOrderRow> {
  await checkAssignee(ctx, input.technicianId, 'input.technicianId')
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const order = await lockOrder(trx, ctx, workOrderId)
    checkOpen(order)
    const line = laborLine(input, order.currency)
    await insertLabor(trx, {
      organization_id: order.organization_id, work_order_id: order.id, technician_id: line.technician_id, technician_name: line.technician_name,
      description: line.description, hours: line.hours, rate: line.rate.amount, performed_at: line.performed_at, created_by: viewerOf(ctx).userId
    })
    return { order: await touchWorkOrder(trx, order.organization_id, order.id), vehicles: [] }
  }))
}

async function removeLine (ctx: GraphQLContext, lineId: string): Promise<WorkOrderRow> {
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const line = await findLine(trx, viewerOf(ctx).organizationId, lineId)
    if (line === undefined) throw notFound('WorkOrderLine', lineId)
    const order = await lockOrder(trx, ctx, line.work_order_id)
    checkOpen(order)
    await deleteLine(trx, order.organization_id, line.table, lineId)
    return { order: await touchWorkOrder(trx, order.organization_id, order.id), vehicles: [] }
  }))
}

async function start (ctx: GraphQLContext, workOrderId: string, input: StartWorkOrderInput): Promise<WorkOrderRow> {
  const given = meters({ odometer: input.odometerIn, engineHours: input.engineHoursIn, distanceUnit: input.distanceUnit }, { odometer: 'input.odometerIn', engineHours: 'input.engineHoursIn' })
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const current = await lockOrder(trx, ctx, workOrderId)
    const status = move(current, 'start')
    // Resumed from hold, the order keeps the time work first began.
    const startedAt = current.started_at ?? stepTime(input.startedAt, 'input.startedAt', null)
    const order = await updateWorkOrder(trx, current.organization_id, current.id, {
      status,
      started_at: startedAt,
      status_reason: null,
      ...(given.km === null ? {} : { odometer_in_km: given.km }),
      ...(given.hours === null ? {} : { engine_hours_in: given.hours })
    })
    return { order, vehicles: await recordOrderMeters(trx, ctx, order, startedAt, given, 'in') }
  }))
}

async function hold (ctx: GraphQLContext, workOrderId: string, reason: string): Promise<WorkOrderRow> {
  const why = text(reason, 'reason', 1000)
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const current = await lockOrder(trx, ctx, workOrderId)
    const order = await updateWorkOrder(trx, current.organization_id, current.id, { status: move(current, 'hold'), status_reason: why })
    return { order, vehicles: [] }
  }))
}

async function complete (ctx: GraphQLContext, workOrderId: string, input: CompleteWorkOrderInput): Promise<WorkOrderRow> {
  const viewer = viewerOf(ctx)
  const given = meters({ odometer: input.odometerOut, engineHours: input.engineHoursOut, distanceUnit: input.distanceUnit }, { odometer: 'input.odometerOut', engineHours: 'input.engineHoursOut' })
  const notes = input.notes === null || input.notes === undefined || input.notes.trim() === '' ? null : text(input.notes, 'input.notes', 4000)
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const current = await lockOrder(trx, ctx, workOrderId)
    const status = move(current, 'complete')
    const completedAt = stepTime(input.completedAt, 'input.completedAt', current.started_at)
    const order = await updateWorkOrder(trx, current.organization_id, current.id, {
      status,
      completed_at: completedAt,
      status_reason: null,
      completion_notes: notes,
      ...(given.km === null ? {} : { odometer_out_km: given.km }),
      ...(given.hours === null ? {} : { engine_hours_out: given.hours })
    })
    const metered = await recordOrderMeters(trx, ctx, order, completedAt, given, 'out')
    const vehicle = await lockVehicle(trx, order.organization_id, order.vehicle_id, 'share')
    if (vehicle === undefined) throw notFound('Vehicle', order.vehicle_id)
    const tasks = await trx.selectFrom('work_order_tasks').select('service_task_id').where('organization_id', '=', order.organization_id).where('work_order_id', '=', order.id).execute()
    await recordServiceDone(trx, {
      vehicle,
      taskIds: tasks.map((t) => t.service_task_id),
      performedAt: completedAt,
      km: order.odometer_out_km ?? order.odometer_in_km ?? vehicle.odometer_km,
      hours: order.engine_hours_out ?? order.engine_hours_in ?? vehicle.engine_hours,
      workOrderId: order.id
    }, viewer.userId)
    const back = order.takes_vehicle_off_road ? await giveBack(trx, order) : null
    // The vehicle's latest row: given back after its meters moved, or as the readings left it.
    return { order, vehicles: back !== null ? [back] : metered }
  }))
}

async function cancel (ctx: GraphQLContext, workOrderId: string, reason: string): Promise<WorkOrderRow> {
  const why = text(reason, 'reason', 1000)
  return await finish(ctx, await write(ctx, async (trx): Promise<Outcome> => {
    const current = await lockOrder(trx, ctx, workOrderId)
    const order = await updateWorkOrder(trx, current.organization_id, current.id, { status: move(current, 'cancel'), cancelled_at: new Date(), status_reason: why })
    return { order, vehicles: changed(order.takes_vehicle_off_road ? await giveBack(trx, order) : null) }
  }))
}

export const changeWorkOrder = { create, update, addPart, addLabor, removeLine, start, hold, complete, cancel }
