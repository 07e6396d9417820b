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

/**
 * Whether a vehicle the viewer reached is, for a DRIVER, not the one they drive now (a past or
 * future assignment's vehicle): they may know it exists, not where it is now nor who drives it.
 * Such fields (lastPosition, currentDriver, currentAssignment) answer null for it.
 */
export async function notDriversVehicle (ctx: GraphQLContext, vehicleId: string): Promise<boolean> {
  const own = ownRows(ctx)
  return own !== null && await own.vehicleId() !== vehicleId
}
