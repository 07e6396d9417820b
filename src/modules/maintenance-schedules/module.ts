import { FLEET_MANAGERS, FLEET_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { raiseDueAlerts } from './due-alerts.js'
import { scheduleLoaders } from './loaders.js'
import { scheduleResolvers } from './resolvers.js'
import { scheduleConstraints } from './validation.js'

// Preventive maintenance: service tasks, the schedules that repeat them, what is due across the
// fleet, the service history of each vehicle, and the alerts that announce what comes due.

export const maintenanceSchedulesModule = defineModule({
  name: 'maintenance-schedules',
  resolvers: scheduleResolvers,
  loaders: { schedules: scheduleLoaders },
  access: {
    Query: {
      serviceTasks: FLEET_READERS,
      serviceTask: FLEET_READERS,
      maintenanceSchedules: FLEET_READERS,
      maintenanceSchedule: FLEET_READERS,
      maintenanceDue: FLEET_READERS
    },
    Mutation: {
      createServiceTask: FLEET_MANAGERS,
      updateServiceTask: FLEET_MANAGERS,
      createMaintenanceSchedule: FLEET_MANAGERS,
      updateMaintenanceSchedule: FLEET_MANAGERS,
      deleteMaintenanceSchedule: FLEET_MANAGERS
    },
    Vehicle: {
      // What was done to a vehicle and when: the fleet's readers; a driver sees its status.
      serviceHistory: FLEET_READERS
    }
  },
  constraints: scheduleConstraints,
  jobs: [{
    name: 'service-due-alerts',
    intervalMs: (config) => config.SERVICE_DUE_ALERTS_INTERVAL_SECONDS * 1000,
    run: async (context) => { await raiseDueAlerts(context) }
  }]
})
