import { FLEET_MANAGERS, FLEET_READERS, SIGNED_IN } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { workOrderLoaders } from './loaders.js'
import { workOrderResolvers } from './resolvers.js'
import { workOrderConstraints } from './validation.js'

// Work orders: work on a vehicle, its tasks, parts and labour, what it cost, and the vehicle
// taken off the road meanwhile.

/** Who works orders: fleet managers and admins every one, a MECHANIC those assigned to them or to nobody. */
const WORKERS = ['ADMIN', 'FLEET_MANAGER', 'MECHANIC'] as const

export const workOrdersModule = defineModule({
  name: 'work-orders',
  resolvers: workOrderResolvers,
  loaders: { workOrders: workOrderLoaders },
  access: {
    Query: {
      // A DRIVER: the orders of the vehicle they drive now (driverOwnRows).
      workOrders: SIGNED_IN,
      workOrder: SIGNED_IN
    },
    Mutation: {
      createWorkOrder: WORKERS,
      updateWorkOrder: WORKERS,
      addWorkOrderPart: WORKERS,
      addWorkOrderLabor: WORKERS,
      removeWorkOrderLine: WORKERS,
      startWorkOrder: WORKERS,
      holdWorkOrder: WORKERS,
      completeWorkOrder: WORKERS,
      cancelWorkOrder: FLEET_MANAGERS
    },
    Vehicle: {
      workOrders: FLEET_READERS
    }
  },
  driverOwnRows: ['Query.workOrders', 'Query.workOrder'],
  features: {
    'work-order-writes': {
      description: 'Opening and working work orders',
      fields: [
        'Mutation.createWorkOrder', 'Mutation.updateWorkOrder', 'Mutation.addWorkOrderPart', 'Mutation.addWorkOrderLabor',
        'Mutation.removeWorkOrderLine', 'Mutation.startWorkOrder', 'Mutation.holdWorkOrder', 'Mutation.completeWorkOrder', 'Mutation.cancelWorkOrder'
      ]
    }
  },
  constraints: workOrderConstraints
})
