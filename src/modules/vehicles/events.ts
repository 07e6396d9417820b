import type { VehicleRow } from './tables.js'
import { publish } from '../../events/publish.js'
import type { GraphQLContext } from '../../graphql/context.js'
import { VEHICLE } from './loaders.js'

// vehicleChanged: one topic per organization, so a subscriber can only ever be handed its own
// organization's events, and per environment (CACHE_NAMESPACE): environments sharing a Redis, or
// a staging database restored from production's (the same organization ids), never cross. The payload names the vehicle; each subscriber loads it with its own
// organization scope when the event arrives.

export type VehicleChangeKind = 'CREATED' | 'UPDATED' | 'RETIRED'

export interface VehicleChangeEvent {
  kind: VehicleChangeKind
  vehicleId: string
}

export function vehicleTopic (namespace: string, organizationId: string): string {
  return `${namespace}/vehicles/${organizationId}`
}

export async function publishVehicleChange (ctx: GraphQLContext, kind: VehicleChangeKind, vehicle: VehicleRow): Promise<void> {
  const event: VehicleChangeEvent = { kind, vehicleId: vehicle.id }
  try {
    await publish(ctx.app.events, vehicleTopic(ctx.config.CACHE_NAMESPACE, vehicle.organization_id), { vehicleChanged: event })
  } catch (err) {
    // The write is committed; a lost notification must not turn it into an error.
    ctx.log.warn({ err, vehicleId: vehicle.id }, 'could not publish vehicleChanged')
  }
}

/**
 * After a commit that changed vehicles from another module (a work order taking one into the
 * shop): every replica reads them afresh, and subscribers hear of the change.
 */
export async function announceVehicleUpdates (ctx: GraphQLContext, vehicles: readonly VehicleRow[]): Promise<void> {
  if (vehicles.length === 0) return
  await ctx.cache.invalidate(VEHICLE.entity, vehicles[0]?.organization_id as string, vehicles.map((v) => v.id))
  for (const vehicle of vehicles) {
    ctx.loaders.vehicles.byId.clear(vehicle.id).prime(vehicle.id, vehicle)
    await publishVehicleChange(ctx, 'UPDATED', vehicle)
  }
}
