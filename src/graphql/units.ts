import type { DistanceUnit } from '../generated/graphql.js'

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
