// Tracks for the telematics tests: a vehicle driving a straight line at a constant speed,
// sampled every few seconds, as a tracker would report it.

export interface Point {
  latitude: number
  longitude: number
}

export interface SimulatedFix extends Point {
  recordedAt: string
  speed: number
  heading: number
  ignition: boolean
  accuracy: number
}

const EARTH_RADIUS_M = 6_371_008.8
const RADIANS = Math.PI / 180

/** The point `meters` away from `from` in direction `bearing` (degrees from north). */
export function offset (from: Point, bearing: number, meters: number): Point {
  const angular = meters / EARTH_RADIUS_M
  const lat1 = from.latitude * RADIANS
  const lon1 = from.longitude * RADIANS
  const b = bearing * RADIANS
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(angular) + Math.cos(lat1) * Math.sin(angular) * Math.cos(b))
  const lon2 = lon1 + Math.atan2(Math.sin(b) * Math.sin(angular) * Math.cos(lat1), Math.cos(angular) - Math.sin(lat1) * Math.sin(lat2))
  return { latitude: lat2 / RADIANS, longitude: lon2 / RADIANS }
}

export interface DriveOptions {
  from: Date
  count: number
  stepSeconds: number
  speedKmh: number
  bearing: number
  ignition?: boolean
  accuracy?: number
}

/** `count` fixes starting at `start`, moving at `speedKmh` along `bearing`. */
export function drive (start: Point, options: DriveOptions): SimulatedFix[] {
  const stepMeters = options.speedKmh / 3.6 * options.stepSeconds
  return Array.from({ length: options.count }, (_, i) => ({
    ...offset(start, options.bearing, stepMeters * i),
    recordedAt: new Date(options.from.getTime() + i * options.stepSeconds * 1000).toISOString(),
    speed: options.speedKmh,
    heading: options.bearing,
    ignition: options.ignition ?? true,
    accuracy: options.accuracy ?? 5
  }))
}

export function last<T> (items: readonly T[]): T {
  const item = items[items.length - 1]
  if (item === undefined) throw new Error('empty list')
  return item
}
