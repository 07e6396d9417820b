import { sql } from 'kysely'
import { SYSTEM_SCOPE, tagTransaction } from '../../database/audit.js'
import { publish } from '../../events/publish.js'
import { raiseMaintenanceAlerts } from '../alerts/queries.js'
import { alertsTopic } from '../alerts/topics.js'
import type { JobContext } from '../module.js'
import { alertablePairs } from './due.js'

// The job that announces what comes due: MAINTENANCE_DUE_SOON when a vehicle enters a schedule's
// due-soon window, MAINTENANCE_OVERDUE when it reaches the due point, each once per schedule,
// vehicle and occurrence (the due point counted from one service record), however often the job
// runs and on however many replicas. Completing the task resolves them (work orders).


export async function raiseDueAlerts ({ db, events, config, log }: JobContext): Promise<number> {
  const raised = await db.transaction().execute(async (trx) => {
    await tagTransaction(trx, { actorId: null, actorRole: null, operation: 'job service-due-alerts', requestId: null }, SYSTEM_SCOPE)
    const candidates = sql`
      SELECT d.organization_id, d.vehicle_id, d.schedule_id AS maintenance_schedule_id, d.occurrence,
             CASE d.status WHEN 'OVERDUE' THEN 'MAINTENANCE_OVERDUE' ELSE 'MAINTENANCE_DUE_SOON' END AS kind,
             t.name || CASE d.status WHEN 'OVERDUE' THEN ' is overdue for ' ELSE ' is due soon for ' END || v.number AS message,
             jsonb_strip_nulls(jsonb_build_object('task', t.name, 'vehicle', v.number, 'dueAt', d.due_at, 'dueAtOdometerKm', d.due_km,
               'dueAtEngineHours', d.due_hours, 'daysRemaining', d.days_remaining, 'distanceRemainingKm', d.km_remaining,
               'engineHoursRemaining', d.hours_remaining)) AS details
        FROM (${alertablePairs()}) d
        JOIN service_tasks t ON t.organization_id = d.organization_id AND t.id = d.task_id
        JOIN vehicles v ON v.organization_id = d.organization_id AND v.id = d.vehicle_id`
    return await raiseMaintenanceAlerts(trx, candidates)
  })
  for (const alert of raised) {
    await publish(events, alertsTopic(config.CACHE_NAMESPACE, alert.organization_id), { alertRaised: alert.id })
      .catch((err: unknown) => { log.warn({ err, alertId: alert.id }, 'could not publish alertRaised') })
  }
  if (raised.length > 0) log.info({ raised: raised.length }, 'maintenance alerts raised')
  return raised.length
}

