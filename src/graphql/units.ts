import type { DistanceUnit, SpeedUnit } from '../generated/graphql.js'

// Stored metric; converted at the edge. Output is rounded to what the column stores.
const KM_PER_MILE = 1.609344

export function toKilometers (value: number, unit: DistanceUnit | null | undefined): number {
  return unit === 'MILES' ? value * KM_PER_MILE : value
}

export function fromKilometers (km: number | string, unit: DistanceUnit | null | undefined, decimals = 1): number {
  const value = unit === 'MILES' ? Number(km) / KM_PER_MILE : Number(km)
  const scale = 10 ** decimals
  return Math.round(value * scale) / scale
}

const KMH_PER: Record<SpeedUnit, number> = { KILOMETERS_PER_HOUR: 1, MILES_PER_HOUR: KM_PER_MILE, KNOTS: 1.852, METERS_PER_SECOND: 3.6 }

export function fromKmh (kmh: number, unit: SpeedUnit | null | undefined, decimals = 1): number {
  const scale = 10 ** decimals
  return Math.round(kmh / KMH_PER[unit ?? 'KILOMETERS_PER_HOUR'] * scale) / scale
}

export function toKmh (value: number, unit: SpeedUnit): number {
  return value * KMH_PER[unit]
}
