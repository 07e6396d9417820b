// Maintenance mode (read-only) refuses every mutation except the ones listed here, which must
// keep working to sign in, report problems and switch maintenance off again. The features that can
// be switched off are declared by the modules (their module.ts) and assembled in src/modules/index.ts.

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
