import type { Resolvers } from '../generated/graphql.js'
import type { LoaderScope } from '../graphql/batching.js'
import { alertLoaders } from './alerts/loaders.js'
import { alertResolvers } from './alerts/resolvers.js'
import { auditResolvers } from './audit/resolvers.js'
import { assignmentLoaders } from './assignments/loaders.js'
import { assignmentResolvers } from './assignments/resolvers.js'
import { assignmentConstraints } from './assignments/validation.js'
import { driverLoaders } from './drivers/loaders.js'
import { driverResolvers } from './drivers/resolvers.js'
import { driverConstraints } from './drivers/validation.js'
import { facilityLoaders } from './facilities/loaders.js'
import { facilityResolvers } from './facilities/resolvers.js'
import { facilityConstraints } from './facilities/validation.js'
import { fleetLoaders } from './fleet/loaders.js'
import { fleetResolvers } from './fleet/resolvers.js'
import { geofenceLoaders } from './geofences/loaders.js'
import { geofenceResolvers } from './geofences/resolvers.js'
import { geofenceConstraints } from './geofences/validation.js'
import { userLoaders } from './identity/loaders.js'
import { identityResolvers } from './identity/resolvers.js'
import { userConstraints } from './identity/validation.js'
import { operationsResolvers } from './operations/resolvers.js'
import { organizationLoaders } from './organizations/loaders.js'
import { organizationResolvers } from './organizations/resolvers.js'
import { telematicsLoaders } from './telematics/loaders.js'
import { telematicsResolvers } from './telematics/resolvers.js'
import { vehicleLoaders } from './vehicles/loaders.js'
import { vehicleResolvers } from './vehicles/resolvers.js'
import { vehicleConstraints } from './vehicles/validation.js'

// The domain modules, assembled: their resolvers, per-request loaders, and what their
// database constraints mean to a client.

export const moduleResolvers: Resolvers[] = [
  identityResolvers,
  auditResolvers,
  organizationResolvers,
  vehicleResolvers,
  driverResolvers,
  facilityResolvers,
  assignmentResolvers,
  fleetResolvers,
  telematicsResolvers,
  geofenceResolvers,
  alertResolvers,
  operationsResolvers
]

export interface ConstraintMeaning {
  field: string
  message: string
}

export const constraintMeanings: Record<string, ConstraintMeaning> = {
  ...userConstraints,
  ...vehicleConstraints,
  ...driverConstraints,
  ...facilityConstraints,
  ...assignmentConstraints,
  ...geofenceConstraints
}

/** Loaders of one request. Tenant-scoped ones ask for the organization when they first run. */
export function createLoaders (scope: LoaderScope) {
  return {
    organizations: organizationLoaders(scope),
    users: userLoaders(scope),
    vehicles: vehicleLoaders(scope),
    drivers: driverLoaders(scope),
    facilities: facilityLoaders(scope),
    assignments: assignmentLoaders(scope),
    fleet: fleetLoaders(scope),
    telematics: telematicsLoaders(scope),
    geofences: geofenceLoaders(scope),
    alerts: alertLoaders(scope)
  }
}

export type Loaders = ReturnType<typeof createLoaders>
