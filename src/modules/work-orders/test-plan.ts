import { type AuditCtx, type HostileTarget, ids, type ModuleTestPlan } from '../../../test/helpers/plans/index.js'

// Work orders' entries in the cross-cutting suites (test/helpers/plans/): orders, their lines and tasks.

const OPEN = ['OPEN', 'IN_PROGRESS', 'ON_HOLD']
const REASON = () => ({ reason: 'Taken over by other' })
const LINE = { description: 'Isolation part', quantity: 1, unitCost: { amount: '1.00' } }

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        workOrders: ids({ check: (t, d, { b }) => t.equal(d.workOrders.totalCount, b.state.workOrders.totalCount, 'work orders: only B\'s') }),
        workOrder: ids()
      },
      Mutation: {
        createWorkOrder: ids({ args: () => ({ input: { kind: 'CORRECTIVE', title: 'Isolation order' } }) }),
        updateWorkOrder: ids({ args: () => ({ input: { title: 'Taken over by other' } }) }),
        addWorkOrderPart: ids({ args: () => ({ input: LINE }) }),
        addWorkOrderLabor: ids({ args: () => ({ input: { hours: 1, rate: { amount: '1.00' } } }) }),
        removeWorkOrderLine: ids(),
        startWorkOrder: ids(),
        holdWorkOrder: ids({ args: REASON }),
        completeWorkOrder: ids(),
        cancelWorkOrder: ids({ args: REASON })
      }
    },
    entities: {
      workOrder: (s) => [['open work order', s.workOrders.nodes.find((w: any) => OPEN.includes(w.status))], ['completed work order', s.workOrders.nodes.find((w: any) => w.status === 'COMPLETED')]],
      workOrderLine: (s) => [['part line', s.workOrders.nodes.flatMap((w: any) => w.parts).map((p: any) => ({ id: p.id, version: 0 }))[0]]],
      workOrderTask: (s) => [['work order task', s.workOrders.nodes.flatMap((w: any) => w.tasks).map((x: any) => ({ id: x.id, version: 0 }))[0]]]
    },
    genericIds: { assigneeId: 'user', technicianId: 'user', removeTasks: 'workOrderTask' },
    state: {
      selection: 'workOrders(first: 200) { totalCount nodes { id number status title version updatedAt parts { id } labor { id } tasks { id } } }',
      lists: ['workOrders']
    },
    identifiers: (s) => s.workOrders.nodes.flatMap((w: any) => [w.id, ...w.parts.map((p: any) => p.id), ...w.tasks.map((x: any) => x.id)])
  },
  roles: {
    // A MECHANIC may assign orders to themselves only: a made-up assignee would be refused for that.
    harmless: {
      createWorkOrder: { input: { assigneeId: null } },
      updateWorkOrder: { input: { assigneeId: null } }
    },
    select: { 'Vehicle.workOrders': 'workOrders { totalCount }' }
  },
  audit: {
    createWorkOrder: {
      as: 'manager',
      entity: 'WorkOrder',
      action: 'CREATE',
      call: async (c) => await c.gql('mutation ($v: ID!) { createWorkOrder(input: { vehicleId: $v, kind: CORRECTIVE, title: "Audit order", takesVehicleOffRoad: false }) { id } }', { v: c.free.vehicle }, c.token.manager)
    },
    ...Object.fromEntries((['updateWorkOrder', 'addWorkOrderPart', 'addWorkOrderLabor', 'removeWorkOrderLine', 'startWorkOrder', 'holdWorkOrder', 'completeWorkOrder', 'cancelWorkOrder'] as const).map((name) => [name, {
      as: 'manager' as const,
      entity: name === 'addWorkOrderPart' || name === 'removeWorkOrderLine' ? 'WorkOrderPart' : name === 'addWorkOrderLabor' ? 'WorkOrderLabor' : 'WorkOrder',
      action: name === 'addWorkOrderPart' || name === 'addWorkOrderLabor' ? 'CREATE' : name === 'removeWorkOrderLine' ? 'DELETE' : 'UPDATE',
      call: async (c: AuditCtx) => {
        // An order of its own for each step, moved as far as the step needs.
        const order = (await c.gql<any>('mutation ($v: ID!) { createWorkOrder(input: { vehicleId: $v, kind: CORRECTIVE, title: "Audited steps", takesVehicleOffRoad: false }) { id version } }', { v: c.free.vehicle }, c.token.manager)).data.createWorkOrder
        const as = async (query: string, variables: object = {}) => await c.gql<any>(query, { id: order.id, ...variables }, c.token.manager)
        if (['holdWorkOrder', 'completeWorkOrder'].includes(name)) await as('mutation ($id: ID!) { startWorkOrder(id: $id) { id } }')
        switch (name) {
          case 'updateWorkOrder': return await as('mutation ($id: ID!, $v: Int!) { updateWorkOrder(id: $id, input: { expectedVersion: $v, priority: HIGH }) { id } }', { v: order.version })
          case 'addWorkOrderPart': return await as('mutation ($id: ID!) { addWorkOrderPart(workOrderId: $id, input: { description: "Audited part", quantity: 2, unitCost: { amount: "3.50" } }) { id } }')
          case 'addWorkOrderLabor': return await as('mutation ($id: ID!) { addWorkOrderLabor(workOrderId: $id, input: { technicianName: "Visiting tech", hours: 1.5, rate: { amount: "80" } }) { id } }')
          case 'removeWorkOrderLine': {
            const added = (await as('mutation ($id: ID!) { addWorkOrderPart(workOrderId: $id, input: { description: "Removed part", quantity: 1, unitCost: { amount: "1" } }) { parts { id } } }')).data.addWorkOrderPart
            return await c.gql('mutation ($id: ID!) { removeWorkOrderLine(id: $id) { id } }', { id: added.parts[0].id }, c.token.manager)
          }
          case 'startWorkOrder': return await as('mutation ($id: ID!) { startWorkOrder(id: $id) { id } }')
          case 'holdWorkOrder': return await as('mutation ($id: ID!) { holdWorkOrder(id: $id, reason: "Waiting for parts") { id } }')
          case 'completeWorkOrder': return await as('mutation ($id: ID!) { completeWorkOrder(id: $id) { id } }')
          case 'cancelWorkOrder': return await as('mutation ($id: ID!) { cancelWorkOrder(id: $id, reason: "Audited") { id } }')
        }
      }
    }]))
  },
  hostile: {
    ids: {
      workOrder: async (h) => (await h.get('{ workOrders(first: 1, filter: { status: [OPEN] }) { nodes { id } } }')).workOrders.nodes[0].id,
      workOrderLine: async (h) => (await h.get('{ workOrders(first: 50) { nodes { parts { id } } } }')).workOrders.nodes.flatMap((w: any) => w.parts)[0].id,
      // A mechanic of the demo: assignees and technicians are users who work on vehicles.
      assignee: async (h) => (await h.get('{ me { id } }', {}, await h.login('mechanic@fleet.example'))).me.id,
      technician: async (h) => (await h.get('{ me { id } }', {}, await h.login('mechanic@fleet.example'))).me.id
    },
    // The steps that move an order on work on an order of their own, in the state the step
    // needs, made afresh after each call (a completed order cannot be completed again).
    values: {
      holding: async (h) => (lifecycle.holding = await freshOrder(h, true)),
      completing: async (h) => (lifecycle.completing = await freshOrder(h, true)),
      cancelling: async (h) => (lifecycle.cancelling = await freshOrder(h, false))
    },
    fixed: {
      createWorkOrder: { 'input.takesVehicleOffRoad': () => false },
      addWorkOrderPart: { 'input.quantity': () => 1, 'input.unitCost.amount': () => '1.00' },
      addWorkOrderLabor: { 'input.hours': () => 1, 'input.rate.amount': () => '1.00' },
      holdWorkOrder: { id: () => lifecycle.holding },
      completeWorkOrder: { id: () => lifecycle.completing },
      cancelWorkOrder: { id: () => lifecycle.cancelling }
    },
    storedIn: {
      createWorkOrder: { 'input.tasks': 'tasks' },
      updateWorkOrder: { 'input.addTasks': 'tasks' },
      addWorkOrderPart: { input: 'parts' },
      addWorkOrderLabor: { input: 'labor' }
    },
    after: {
      holdWorkOrder: async (h) => { lifecycle.holding = await freshOrder(h, true) },
      completeWorkOrder: async (h) => { lifecycle.completing = await freshOrder(h, true) },
      cancelWorkOrder: async (h) => { lifecycle.cancelling = await freshOrder(h, false) },
      // A task is on an order once: take the ones added off again (calls refused for a malformed id
      // run at once and add none; their clean-ups may race, and a CONFLICT is then harmless).
      updateWorkOrder: async (h) => {
        for (const order of (await h.get('{ workOrders(first: 200, filter: { status: [OPEN] }) { nodes { id version tasks { id } } } }')).workOrders.nodes) {
          if (order.tasks.length === 0) continue
          await h.ask('mutation ($id: ID!, $input: UpdateWorkOrderInput!) { updateWorkOrder(id: $id, input: $input) { id } }',
            { id: order.id, input: { expectedVersion: order.version, removeTasks: order.tasks.map((t: { id: string }) => t.id) } })
        }
      }
    }
  }
}

const lifecycle = { holding: '', completing: '', cancelling: '' }

/** A new order on a vehicle of the demo, kept on the road; started when `started`. */
async function freshOrder (h: HostileTarget, started: boolean): Promise<string> {
  const vehicle = (await h.get('{ vehicles(first: 1, filter: { status: [ACTIVE] }) { nodes { id } } }')).vehicles.nodes[0].id
  const order = (await h.get('mutation ($v: ID!) { createWorkOrder(input: { vehicleId: $v, kind: CORRECTIVE, title: "Hostile input", takesVehicleOffRoad: false }) { id } }', { v: vehicle })).createWorkOrder.id
  if (started) await h.get('mutation ($id: ID!) { startWorkOrder(id: $id) { id } }', { id: order })
  return order
}
