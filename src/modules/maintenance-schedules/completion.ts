import type { Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import { resolveScheduleAlerts } from '../alerts/queries.js'
import type { VehicleRow } from '../vehicles/tables.js'
import { insertServiceRecords, liveSchedulesOfTasks } from './queries.js'

/**
 * Service tasks done on a vehicle (a work order completed): a service record each, from which
 * the schedules of those tasks count again, and the alerts that announced them are resolved.
 */
export async function recordServiceDone (
  trx: Transaction<Database>,
  done: { vehicle: Pick<VehicleRow, 'id' | 'organization_id' | 'type'>, taskIds: readonly string[], performedAt: Date, km: number | string | null, hours: number | string | null, workOrderId: string },
  userId: string
): Promise<void> {
  if (done.taskIds.length === 0) return
  const { vehicle } = done
  await insertServiceRecords(trx, done.taskIds.map((taskId) => ({
    organization_id: vehicle.organization_id,
    vehicle_id: vehicle.id,
    service_task_id: taskId,
    performed_at: done.performedAt,
    odometer_km: done.km,
    engine_hours: done.hours,
    work_order_id: done.workOrderId
  })))
  const schedules = await liveSchedulesOfTasks(trx, vehicle, done.taskIds)
  await resolveScheduleAlerts(trx, vehicle.organization_id, { scheduleIds: schedules, vehicleId: vehicle.id }, userId)
}
