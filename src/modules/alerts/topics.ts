// The event-bus topic of an organization's raised alerts (subscription alertRaised), in this
// environment (CACHE_NAMESPACE). Whoever raises an alert publishes its id there after commit.

export function alertsTopic (namespace: string, organizationId: string): string {
  return `${namespace}/alerts/${organizationId}`
}
