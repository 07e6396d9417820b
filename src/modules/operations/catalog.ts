// The named features that can be switched off at runtime, and the root fields each one
// guards. A flag off makes those fields answer FEATURE_DISABLED. Maintenance mode (read-only)
// refuses every mutation except the ones listed here, which must keep working to sign in,
// report problems and switch maintenance off again.

export interface FeatureDefinition {
  description: string
  fields: readonly string[]
}

export const FEATURES = {
  'vehicle-writes': {
    description: 'Creating, updating and retiring vehicles',
    fields: ['Mutation.createVehicle', 'Mutation.updateVehicle', 'Mutation.retireVehicle']
  },
  'driver-writes': {
    description: 'Creating and updating drivers',
    fields: ['Mutation.createDriver', 'Mutation.updateDriver']
  },
  'facility-writes': {
    description: 'Creating and updating facilities',
    fields: ['Mutation.createFacility', 'Mutation.updateFacility']
  },
  assignments: {
    description: 'Assigning drivers to vehicles, ending and cancelling assignments',
    fields: ['Mutation.assignDriver', 'Mutation.endAssignment', 'Mutation.cancelAssignment']
  },
  'fleet-summary': {
    description: 'The dashboard aggregates (fleetSummary)',
    fields: ['Query.fleetSummary']
  },
  'position-ingest': {
    description: 'Receiving positions: recordPositions and the device endpoints (/ingest/*), which answer 503 + Retry-After so trackers keep their backlog',
    fields: ['Mutation.recordPositions']
  },
  'client-error-reports': {
    description: 'Error reports sent by the web app (reportClientError)',
    fields: ['Mutation.reportClientError']
  }
} satisfies Record<string, FeatureDefinition>

export type FeatureName = keyof typeof FEATURES

export const FEATURE_OF_FIELD = new Map<string, FeatureName>(
  (Object.entries(FEATURES) as Array<[FeatureName, FeatureDefinition]>)
    .flatMap(([name, feature]) => feature.fields.map((field) => [field, name] as const))
)

export function isFeatureName (name: string): name is FeatureName {
  return Object.prototype.hasOwnProperty.call(FEATURES, name)
}

/** Event-bus topic announcing that feature flags or maintenance mode changed. */
/** Announces a switch change to every replica of this environment (CACHE_NAMESPACE) on the event bus. */
export function switchesTopic (namespace: string): string {
  return `${namespace}/switches/changed`
}

export const ALLOWED_DURING_MAINTENANCE = new Set([
  'Mutation.login',
  'Mutation.refreshSession',
  'Mutation.logout',
  'Mutation.setMaintenanceMode',
  'Mutation.setFeatureFlag',
  'Mutation.reportClientError'
])
