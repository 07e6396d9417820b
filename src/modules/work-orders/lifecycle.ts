import type { Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import { AppError, conflict, forbidden } from '../../errors.js'
import type { Viewer } from '../../graphql/context.js'
import type { VehicleRow } from '../vehicles/tables.js'
import { moveShopStatus } from '../vehicles/queries.js'
import { otherOffRoadOrders } from './queries.js'
import type { WorkOrderRow, WorkOrderStatus } from './tables.js'

// The status machine of a work order and what each step does beyond the order itself: a vehicle
// taken off the road while an order is open, given back when none is. Steps run on the order
// locked for update (lockWorkOrder), so of two at once the second sees the first's outcome.

export type Step = 'start' | 'hold' | 'complete' | 'cancel'

const MOVES: Record<Step, { from: readonly WorkOrderStatus[], to: WorkOrderStatus, verb: string }> = {
  start: { from: ['OPEN', 'ON_HOLD'], to: 'IN_PROGRESS', verb: 'started' },
  hold: { from: ['IN_PROGRESS'], to: 'ON_HOLD', verb: 'put on hold' },
  complete: { from: ['IN_PROGRESS'], to: 'COMPLETED', verb: 'completed' },
  cancel: { from: ['OPEN', 'IN_PROGRESS', 'ON_HOLD'], to: 'CANCELLED', verb: 'cancelled' }
}

export const numberOf = (order: Pick<WorkOrderRow, 'number'>): string => `WO-${String(order.number).padStart(6, '0')}`

/** The status a step leads to; CONFLICT when the order's status does not allow it. */
export function move (order: WorkOrderRow, step: Step): WorkOrderStatus {
  const { from, to, verb } = MOVES[step]
  if (!from.includes(order.status)) {
    throw new AppError('CONFLICT', `${numberOf(order)} is ${order.status}: it cannot be ${verb} (only when ${from.join(' or ')})`, { field: 'id', status: order.status })
  }
  return to
}

/** Parts, labour and tasks change only while the order is open. */
export function checkOpen (order: WorkOrderRow): void {
  if (order.status === 'COMPLETED' || order.status === 'CANCELLED') throw conflict(`${numberOf(order)} is ${order.status}: its lines can no longer change`, 'id')
}

/**
 * A MECHANIC works the orders assigned to them or to nobody, and assigns only themselves;
 * fleet managers and admins work every order.
 */
export function checkMayWork (viewer: Viewer, order: Pick<WorkOrderRow, 'assignee_id'> | null, assignee?: string | null): void {
  if (viewer.role !== 'MECHANIC') return
  if (order !== null && order.assignee_id !== null && order.assignee_id !== viewer.userId) throw forbidden('This work order is assigned to someone else')
  if (assignee !== undefined && assignee !== null && assignee !== viewer.userId) throw forbidden('A mechanic assigns work orders to themselves only')
}

/** While an order that takes the vehicle off the road is open, the vehicle is IN_SHOP. */
export async function takeIntoShop (trx: Transaction<Database>, order: WorkOrderRow): Promise<VehicleRow | null> {
  if (!order.takes_vehicle_off_road || (order.status !== 'OPEN' && order.status !== 'IN_PROGRESS' && order.status !== 'ON_HOLD')) return null
  return await moveShopStatus(trx, order.organization_id, order.vehicle_id, 'IN_SHOP')
}

/** The vehicle returns to service when no other open order keeps it in the shop. */
export async function giveBack (trx: Transaction<Database>, order: WorkOrderRow): Promise<VehicleRow | null> {
  if (await otherOffRoadOrders(trx, order.organization_id, order.vehicle_id, order.id) > 0) return null
  return await moveShopStatus(trx, order.organization_id, order.vehicle_id, 'ACTIVE')
}
