import type { VehicleRow } from './tables.js'
import type { GraphQLContext } from '../../graphql/context.js'

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
    await new Promise<void>((resolve, reject) => {
      ctx.app.events.emit({ topic: vehicleTopic(ctx.config.CACHE_NAMESPACE, vehicle.organization_id), payload: { vehicleChanged: event } }, (err) => { if (err === undefined || err === null) resolve(); else reject(err) })
    })
  } catch (err) {
    // The write is committed; a lost notification must not turn it into an error.
    ctx.log.warn({ err, vehicleId: vehicle.id }, 'could not publish vehicleChanged')
  }
}
