import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import type { Loaders } from '../index.js'

/**
 * What a DRIVER may see through the root fields of DRIVER_OWN_ROWS (permissions.ts): their own
 * driver record, their own assignments, and the vehicle they are assigned to now. Null for every
 * other role, which sees the whole organization. A DRIVER whose user is linked to no driver record
 * sees nothing.
 */
export interface OwnRows {
  driverId: string | null
  /** The vehicle of the driver's current assignment (read when first needed, once per request). */
  vehicleId: () => Promise<string | null>
}

export function ownRows (ctx: GraphQLContext, loaders: Loaders = ctx.loaders): OwnRows | null {
  const viewer = viewerOf(ctx)
  if (viewer.role !== 'DRIVER') return null
  const { driverId } = viewer
  return {
    driverId,
    vehicleId: async () => driverId === null ? null : (await loaders.assignments.currentByDriver.load(driverId))?.vehicle_id ?? null
  }
}
