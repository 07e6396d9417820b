import { badInput } from '../../errors.js'
import type {
  AddWorkOrderLaborInput, AddWorkOrderPartInput, CreateWorkOrderInput, DistanceUnit, UpdateWorkOrderInput, WorkOrderTaskInput
} from '../../generated/graphql.js'
import { type Money, moneyIn } from '../../graphql/money.js'
import { toKilometers } from '../../graphql/units.js'
import { given, id, number, optionalText, present, text } from '../../graphql/validation.js'
import type { NewWorkOrder } from './tables.js'

export const workOrderConstraints = {
  work_orders_vehicle_fk: { field: 'input.vehicleId', message: 'No such vehicle' },
  work_orders_assignee_fk: { field: 'input.assigneeId', message: 'No such user' },
  work_orders_vendor_fk: { field: 'input.vendorId', message: 'No such vendor' },
  work_orders_facility_fk: { field: 'input.facilityId', message: 'No such facility' },
  work_order_tasks_task_fk: { field: 'input.tasks', message: 'No such service task' },
  work_order_tasks_schedule_fk: { field: 'input.tasks', message: 'No such maintenance schedule' },
  work_order_tasks_unique: { field: 'input.tasks', message: 'The order has this task already' },
  work_order_labor_technician_fk: { field: 'input.technicianId', message: 'No such user' },
  work_orders_odometer_range: { field: 'input.odometerOut', message: 'The odometer out cannot be lower than the odometer in' },
  work_orders_engine_hours_range: { field: 'input.engineHoursOut', message: 'Engine hours out cannot be lower than engine hours in' }
}

const MAX_KM = 99_999_999
const MAX_HOURS = 9_999_999

export interface TaskLine {
  service_task_id: string
  maintenance_schedule_id: string | null
  notes: string | null
}

function taskLines (tasks: readonly WorkOrderTaskInput[] | null | undefined, field: string): TaskLine[] {
  if (tasks === null || tasks === undefined) return []
  if (tasks.length > 50) throw badInput(`${field} may hold at most 50 tasks`, field)
  const seen = new Set<string>()
  return tasks.map((task, i) => {
    const taskId = id(task.taskId, `${field}[${i}].taskId`)
    if (seen.has(taskId)) throw badInput(`${field}[${i}].taskId is on the order twice`, `${field}[${i}].taskId`)
    seen.add(taskId)
    return {
      service_task_id: taskId,
      maintenance_schedule_id: task.scheduleId === null || task.scheduleId === undefined ? null : id(task.scheduleId, `${field}[${i}].scheduleId`),
      notes: optionalText(task.notes, `${field}[${i}].notes`, 1000)
    }
  })
}

const optionalId = (value: string | null | undefined, field: string): string | null => value === null || value === undefined ? null : id(value, field)

export function newWorkOrder (input: CreateWorkOrderInput, context: { organizationId: string, number: number, currency: string, createdBy: string }): NewWorkOrder {
  return {
    organization_id: context.organizationId,
    number: context.number,
    vehicle_id: id(input.vehicleId, 'input.vehicleId'),
    kind: input.kind,
    priority: input.priority ?? 'NORMAL',
    title: text(input.title, 'input.title', 200),
    description: optionalText(input.description, 'input.description', 4000),
    assignee_id: optionalId(input.assigneeId, 'input.assigneeId'),
    vendor_id: optionalId(input.vendorId, 'input.vendorId'),
    facility_id: optionalId(input.facilityId, 'input.facilityId'),
    takes_vehicle_off_road: input.takesVehicleOffRoad ?? true,
    scheduled_for: input.scheduledFor ?? null,
    currency: context.currency,
    created_by: context.createdBy
  }
}

export function newTasks (input: CreateWorkOrderInput): TaskLine[] {
  return taskLines(input.tasks, 'input.tasks')
}

export interface WorkOrderPatch {
  columns: Partial<Pick<NewWorkOrder, 'priority' | 'title' | 'description' | 'assignee_id' | 'vendor_id' | 'facility_id' | 'takes_vehicle_off_road' | 'scheduled_for'>>
  addTasks: TaskLine[]
  removeTasks: string[]
}

export function workOrderPatch (input: UpdateWorkOrderInput): WorkOrderPatch {
  const columns: WorkOrderPatch['columns'] = {}
  if (given(input, 'priority')) columns.priority = present(input.priority, 'input.priority')
  if (given(input, 'title')) columns.title = text(present(input.title, 'input.title'), 'input.title', 200)
  if (given(input, 'description')) columns.description = optionalText(input.description, 'input.description', 4000)
  if (given(input, 'assigneeId')) columns.assignee_id = optionalId(input.assigneeId, 'input.assigneeId')
  if (given(input, 'vendorId')) columns.vendor_id = optionalId(input.vendorId, 'input.vendorId')
  if (given(input, 'facilityId')) columns.facility_id = optionalId(input.facilityId, 'input.facilityId')
  if (given(input, 'takesVehicleOffRoad')) columns.takes_vehicle_off_road = present(input.takesVehicleOffRoad, 'input.takesVehicleOffRoad')
  if (given(input, 'scheduledFor')) columns.scheduled_for = input.scheduledFor ?? null
  const removeTasks = (input.removeTasks ?? []).map((taskId, i) => id(taskId, `input.removeTasks[${i}]`))
  return { columns, addTasks: taskLines(input.addTasks, 'input.addTasks'), removeTasks }
}

export interface PartLineInput {
  part_number: string | null
  description: string
  quantity: string
  unit_cost: Money
}

/** Quantities travel as floats in GraphQL: stored with at most 3 decimals, exactly as given. */
function quantity (value: number, field: string, decimals: number, max: number): string {
  number(value, field, 0, max)
  if (value <= 0) throw badInput(`${field} must be more than 0`, field)
  const text = String(value)
  const places = text.includes('.') ? (text.split('.')[1] as string).length : 0
  if (text.includes('e') || places > decimals) throw badInput(`${field} may have at most ${decimals} decimals`, field)
  return text
}

export function partLine (input: AddWorkOrderPartInput, currency: string): PartLineInput {
  return {
    part_number: optionalText(input.partNumber, 'input.partNumber', 64),
    description: text(input.description, 'input.description', 500),
    quantity: quantity(input.quantity, 'input.quantity', 3, 999_999),
    unit_cost: moneyIn(input.unitCost, 'input.unitCost', currency)
  }
}

export interface LaborLineInput {
  technician_id: string | null
  technician_name: string | null
  description: string | null
  hours: string
  rate: Money
  performed_at: Date | null
}

export function laborLine (input: AddWorkOrderLaborInput, currency: string): LaborLineInput {
  const technicianId = optionalId(input.technicianId, 'input.technicianId')
  const technicianName = optionalText(input.technicianName, 'input.technicianName', 200)
  if (technicianId !== null && technicianName !== null) throw badInput('Give technicianId (a user) or technicianName (someone else), not both', 'input.technicianName')
  return {
    technician_id: technicianId,
    technician_name: technicianName,
    description: optionalText(input.description, 'input.description', 500),
    hours: quantity(input.hours, 'input.hours', 2, 10_000),
    rate: moneyIn(input.rate, 'input.rate', currency),
    performed_at: input.performedAt ?? null
  }
}

/** Odometer and engine hours given at start or completion, in km and hours. */
export function meters (input: { odometer?: number | null, engineHours?: number | null, distanceUnit?: DistanceUnit | null }, fields: { odometer: string, engineHours: string }): { km: number | null, hours: number | null } {
  return {
    km: input.odometer === null || input.odometer === undefined ? null : Math.round(toKilometers(number(input.odometer, fields.odometer, 0, MAX_KM), input.distanceUnit) * 10) / 10,
    hours: input.engineHours === null || input.engineHours === undefined ? null : Math.round(number(input.engineHours, fields.engineHours, 0, MAX_HOURS) * 10) / 10
  }
}

/** A time given for a step: not in the future (a clock a few minutes ahead is forgiven), not before `notBefore`. */
export function stepTime (value: Date | null | undefined, field: string, notBefore: Date | null): Date {
  const at = value ?? new Date()
  if (at.getTime() > Date.now() + 5 * 60_000) throw badInput(`${field} cannot be in the future`, field)
  if (notBefore !== null && at < notBefore) throw badInput(`${field} cannot be before ${notBefore.toISOString()}`, field)
  return at
}
