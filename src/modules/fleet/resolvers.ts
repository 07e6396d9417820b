import type { VehicleStatus } from '../vehicles/tables.js'
import type { Resolvers } from '../../generated/graphql.js'
import { viewerOf } from '../../graphql/context.js'
import { countOpenAlerts } from '../alerts/queries.js'
import { countActiveAssignments } from '../assignments/queries.js'
import { countDriversByStatus } from '../drivers/queries.js'

const STATUSES: VehicleStatus[] = ['ACTIVE', 'IN_SHOP', 'OUT_OF_SERVICE', 'RETIRED']

// Each FleetSummary field runs its own aggregate, and only when selected; the two vehicle
// fields share one GROUP BY through the request-scoped memo below.
export const fleetResolvers: Resolvers = {
  Query: {
    fleetSummary: () => ({})
  },
  FleetSummary: {
    totalVehicles: async (_, __, ctx) => (await ctx.loaders.fleet.vehicleStatusCounts()).reduce((sum, r) => sum + r.count, 0),
    vehiclesByStatus: async (_, __, ctx) => {
      const counts = new Map((await ctx.loaders.fleet.vehicleStatusCounts()).map((r) => [r.status, r.count]))
      return STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 }))
    },
    activeDrivers: async (_, __, ctx) => await countDriversByStatus(ctx.db, viewerOf(ctx).organizationId, 'ACTIVE'),
    activeAssignments: async (_, __, ctx) => await countActiveAssignments(ctx.db, viewerOf(ctx).organizationId),
    openAlerts: async (_, __, ctx) => await countOpenAlerts(ctx.db, viewerOf(ctx).organizationId)
  }
}
