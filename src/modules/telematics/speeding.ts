import type { AlertSeverity } from '../alerts/tables.js'
import type { Fix } from './fixes.js'
import type { TelemetryRow } from './tables.js'

// Speeding, fix by fix: one alert per episode above the limit that lasts SPEEDING_MIN_SECONDS.
// An episode does not last through a silence longer than a stop (the caller says whether the
// previous fix's episode continues).

export type SpeedingEpisode = Pick<TelemetryRow, 'speeding_since' | 'speeding_max_kmh' | 'speeding_alerted'>

export interface SpeedingAlert {
  severity: AlertSeverity
  message: string
  details: Record<string, unknown>
}

const NONE: SpeedingEpisode = { speeding_since: null, speeding_max_kmh: null, speeding_alerted: false }

/** The episode after `fix` (driving at `speed` where the limit is `limit`), and the alert it raises now, if any. */
export function speedingAfter (continued: SpeedingEpisode | null, fix: Fix, speed: number, limit: number | null, minSeconds: number): { episode: SpeedingEpisode, alert: SpeedingAlert | null } {
  if (limit === null || speed <= limit) return { episode: NONE, alert: null }
  const since = continued?.speeding_since ?? fix.recordedAt
  const max = Math.max(continued?.speeding_max_kmh ?? 0, speed)
  const alerted = continued?.speeding_alerted ?? false
  if (alerted || (fix.recordedAt.getTime() - since.getTime()) / 1000 < minSeconds) {
    return { episode: { speeding_since: since, speeding_max_kmh: max, speeding_alerted: alerted }, alert: null }
  }
  return {
    episode: { speeding_since: since, speeding_max_kmh: max, speeding_alerted: true },
    alert: {
      severity: max - limit >= 30 ? 'CRITICAL' : 'WARNING',
      message: `Speeding: ${Math.round(max)} km/h where the limit is ${Math.round(limit)} km/h`,
      details: { limitKmh: limit, maxSpeedKmh: Math.round(max * 10) / 10, since: since.toISOString(), latitude: fix.latitude, longitude: fix.longitude }
    }
  }
}
