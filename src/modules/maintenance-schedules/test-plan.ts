import { type HostileTarget, ids, type ModuleTestPlan, own, TAKE_OVER } from '../../../test/helpers/plans/index.js'

// Maintenance schedules' entries in the cross-cutting suites (test/helpers/plans/): service tasks,
// schedules and what is due.

const serviceTask = async (h: HostileTarget): Promise<string> => (await h.get('{ serviceTasks(first: 1) { nodes { id } } }')).serviceTasks.nodes[0].id
const maintenanceSchedule = async (h: HostileTarget): Promise<string> => (await h.get('{ maintenanceSchedules(first: 1) { nodes { id } } }')).maintenanceSchedules.nodes[0].id

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        serviceTasks: own('a list without id arguments', { check: (t, d, { b }) => t.equal(d.serviceTasks.totalCount, b.state.serviceTasks.totalCount, 'service tasks: only B\'s') }),
        serviceTask: ids(),
        maintenanceSchedules: ids({ check: (t, d, { b }) => t.equal(d.maintenanceSchedules.totalCount, b.state.maintenanceSchedules.totalCount, 'schedules: only B\'s') }),
        maintenanceSchedule: ids(),
        maintenanceDue: ids({
          args: () => ({ filter: { status: ['OK', 'DUE_SOON', 'OVERDUE'] } }),
          check: (t, d, { b }) => t.equal(d.maintenanceDue.totalCount, b.state.allDue.totalCount, 'due items: only B\'s')
        })
      },
      Mutation: {
        createServiceTask: own('creates in the caller\'s organization', { args: () => ({ input: { name: 'Isolation task' } }) }),
        updateServiceTask: ids({ args: () => TAKE_OVER }),
        createMaintenanceSchedule: ids({ args: () => ({ input: { intervalDays: 30, vehicleType: 'TRUCK' } }) }),
        updateMaintenanceSchedule: ids({ args: () => ({ input: { intervalDays: 45 } }) }),
        deleteMaintenanceSchedule: ids()
      }
    },
    entities: {
      task: (s) => [['service task', s.serviceTasks.nodes[0]]],
      schedule: (s) => [['schedule', s.maintenanceSchedules.nodes[0]]]
    },
    state: {
      selection: `serviceTasks(first: 50) { totalCount nodes { id name version updatedAt } }
        maintenanceSchedules(first: 100) { totalCount nodes { id intervalDays intervalDistance version updatedAt } }
        allDue: maintenanceDue(first: 200, filter: { status: [OK, DUE_SOON, OVERDUE] }) { totalCount }`,
      lists: ['serviceTasks', 'maintenanceSchedules']
    },
    identifiers: (s) => [...s.serviceTasks.nodes, ...s.maintenanceSchedules.nodes].map((x: any) => x.id)
  },
  roles: {
    harmless: {
      createServiceTask: { input: { name: ' ' } },
      createMaintenanceSchedule: { input: { intervalDays: 0 } }
    },
    select: { 'Vehicle.serviceHistory': 'serviceHistory { totalCount }' }
  },
  audit: {
    createServiceTask: { as: 'manager', entity: 'ServiceTask', action: 'CREATE', call: async (c) => await c.gql('mutation { createServiceTask(input: { name: "Audit task" }) { id } }', {}, c.token.manager) },
    updateServiceTask: {
      as: 'manager',
      entity: 'ServiceTask',
      action: 'UPDATE',
      call: async (c) => {
        const task = (await c.gql<any>('{ serviceTasks(first: 1) { nodes { id version } } }', {}, c.token.manager)).data.serviceTasks.nodes[0]
        return await c.gql('mutation ($id: ID!, $v: Int!) { updateServiceTask(id: $id, input: { expectedVersion: $v, description: "Audited" }) { id } }', { id: task.id, v: task.version }, c.token.manager)
      }
    },
    createMaintenanceSchedule: {
      as: 'manager',
      entity: 'MaintenanceSchedule',
      action: 'CREATE',
      call: async (c) => {
        const task = (await c.gql<any>('mutation { createServiceTask(input: { name: "Audit scheduled task" }) { id } }', {}, c.token.manager)).data.createServiceTask
        return await c.gql('mutation ($t: ID!, $v: ID!) { createMaintenanceSchedule(input: { taskId: $t, vehicleId: $v, intervalDays: 90 }) { id } }', { t: task.id, v: c.vehicle.id }, c.token.manager)
      }
    },
    updateMaintenanceSchedule: {
      as: 'manager',
      entity: 'MaintenanceSchedule',
      action: 'UPDATE',
      call: async (c) => {
        const schedule = (await c.gql<any>('{ maintenanceSchedules(first: 1) { nodes { id version } } }', {}, c.token.manager)).data.maintenanceSchedules.nodes[0]
        return await c.gql('mutation ($id: ID!, $v: Int!) { updateMaintenanceSchedule(id: $id, input: { expectedVersion: $v, dueSoonDays: 0 }) { id } }', { id: schedule.id, v: schedule.version }, c.token.manager)
      }
    },
    deleteMaintenanceSchedule: {
      as: 'manager',
      entity: 'MaintenanceSchedule',
      action: 'UPDATE',
      call: async (c) => {
        const schedule = (await c.gql<any>('{ maintenanceSchedules(first: 1) { nodes { id } } }', {}, c.token.manager)).data.maintenanceSchedules.nodes[0]
        return await c.gql('mutation ($id: ID!) { deleteMaintenanceSchedule(id: $id) }', { id: schedule.id }, c.token.manager)
      }
    }
  },
  hostile: {
    // By argument name (taskId, scheduleId) and by the lookup of the type (serviceTask(id:)).
    ids: { task: serviceTask, serviceTask, schedule: maintenanceSchedule, maintenanceSchedule },
    fixed: {
      createMaintenanceSchedule: { 'input.intervalDays': () => 30, 'input.vehicleType': () => 'OTHER' }
    },
    ownIds: { deleteMaintenanceSchedule: 'schedule' }
  }
}
