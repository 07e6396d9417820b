import type { MQEmitter } from 'mqemitter'
import { publish } from '../../events/publish.js'
import type { TelemetryRow } from './tables.js'
import type { PositionRecord } from './positions.js'

// Live updates: one topic per organization and environment (as vehicleChanged). Positions are
// throttled per vehicle: at most one message per POSITION_PUBLISH_INTERVAL_MS, and always the
// latest (a trailing send carries the newest fix of a burst), so a tracker reporting every second
// costs subscribers one message per interval. The throttle is per replica.

export interface PositionEvent {
  vehicleId: string
  position: PositionRecord
}

export function positionsTopic (namespace: string, organizationId: string): string {
  return `${namespace}/positions/${organizationId}`
}


interface Slot {
  sentAt: number
  pending: { topic: string, event: PositionEvent } | null
  timer: NodeJS.Timeout | null
}

export class PositionPublisher {
  private readonly slots = new Map<string, Slot>()

  constructor (
    private readonly events: MQEmitter,
    private readonly namespace: string,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void
  ) {}

  publish (latest: TelemetryRow): void {
    const topic = positionsTopic(this.namespace, latest.organization_id)
    const event: PositionEvent = { vehicleId: latest.vehicle_id, position: { ...latest, attributes: null } }
    const now = Date.now()
    const slot = this.slots.get(latest.vehicle_id)
    if (slot === undefined || (slot.timer === null && now - slot.sentAt >= this.intervalMs)) {
      this.slots.set(latest.vehicle_id, { sentAt: now, pending: null, timer: null })
      this.send(topic, event)
      return
    }
    slot.pending = { topic, event }
    slot.timer ??= setTimeout(() => {
      slot.timer = null
      const pending = slot.pending
      slot.pending = null
      if (pending === null) return
      slot.sentAt = Date.now()
      this.send(pending.topic, pending.event)
    }, Math.max(0, this.intervalMs - (now - slot.sentAt)))
  }

  /** Sends what is pending now (shutdown) and stops the timers. */
  flush (): void {
    for (const slot of this.slots.values()) {
      if (slot.timer !== null) clearTimeout(slot.timer)
      slot.timer = null
      if (slot.pending !== null) this.send(slot.pending.topic, slot.pending.event)
      slot.pending = null
    }
  }

  private send (topic: string, event: PositionEvent): void {
    publish(this.events, topic, { vehiclePositionUpdated: event }).catch(this.onError)
  }
}
