import type { Kysely } from 'kysely'
import type { MQEmitter } from 'mqemitter'
import type { Database } from '../../database/schema.js'
import type { GeofenceRow } from './tables.js'
import { findActiveGeofences } from './queries.js'

// Every fix is checked against its organization's geofences, so each replica keeps them in
// memory instead of reading them per batch. A change (create, update, delete) is announced on
// the event bus and every replica drops that organization's copy at once; the copy also expires
// after MAX_AGE_MS, which bounds staleness if an announcement is lost while Redis is down.

const MAX_AGE_MS = 60_000

export function geofencesChangedTopic (namespace: string): string {
  return `${namespace}/geofences/changed`
}

export class GeofenceDirectory {
  private readonly entries = new Map<string, { loaded: number, geofences: Promise<GeofenceRow[]> }>()

  constructor (private readonly db: () => Kysely<Database>, private readonly events: MQEmitter, private readonly namespace: string) {
    events.on(geofencesChangedTopic(namespace), (message, done) => {
      this.entries.delete((message as unknown as { organizationId: string }).organizationId)
      done()
    })
  }

  async of (organizationId: string): Promise<GeofenceRow[]> {
    const entry = this.entries.get(organizationId)
    if (entry !== undefined && Date.now() - entry.loaded < MAX_AGE_MS) return await entry.geofences
    const geofences = findActiveGeofences(this.db(), organizationId)
    this.entries.set(organizationId, { loaded: Date.now(), geofences })
    geofences.catch(() => { if (this.entries.get(organizationId)?.geofences === geofences) this.entries.delete(organizationId) })
    return await geofences
  }

  /** After a committed change: drop this replica's copy and tell the others. */
  async changed (organizationId: string): Promise<void> {
    this.entries.delete(organizationId)
    await new Promise<void>((resolve) => {
      this.events.emit({ topic: geofencesChangedTopic(this.namespace), organizationId }, () => { resolve() })
    })
  }
}
