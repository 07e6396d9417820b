// Distances on the Earth for positions, trips and geofences. Haversine on a sphere of the mean
// radius is within 0.5 % of the ellipsoid, far inside GPS error; geofence boundaries are measured
// on a local flat projection around the point, exact enough for fences up to tens of kilometres.
// Fences may straddle the antimeridian: a polygon's longitudes are taken as a continuous ring (no
// edge spans more than 180 degrees), and boxes may reach past +-180.

export interface LatLon {
  latitude: number
  longitude: number
}

const EARTH_RADIUS_M = 6_371_008.8
const RADIANS = Math.PI / 180

export function distanceMeters (a: LatLon, b: LatLon): number {
  const dLat = (b.latitude - a.latitude) * RADIANS
  const dLon = (b.longitude - a.longitude) * RADIANS
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * RADIANS) * Math.cos(b.latitude * RADIANS) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Metres per degree of latitude and of longitude around a latitude (equirectangular). */
function metresPerDegree (latitude: number): { lat: number, lon: number } {
  const lat = EARTH_RADIUS_M * RADIANS
  return { lat, lon: lat * Math.cos(latitude * RADIANS) }
}

/** Distance from the point to a circle's edge: negative inside, positive outside. */
export function signedDistanceToCircle (point: LatLon, center: LatLon, radiusM: number): number {
  return distanceMeters(point, center) - radiusM
}

/**
 * Distance from the point to a polygon's boundary: negative inside, positive outside. The ring is
 * [latitude, longitude] vertices; the closing edge is implied.
 */
export function signedDistanceToPolygon (point: LatLon, ring: ReadonlyArray<readonly [number, number]>): number {
  const scale = metresPerDegree(point.latitude)
  const unwrapped = continuous(ring)
  // The copy of the ring (shifted by whole turns) nearest to the point.
  const center = unwrapped.reduce((sum, [, lon]) => sum + lon, 0) / unwrapped.length
  const shift = wrapLongitude(center - point.longitude) - (center - point.longitude)
  // Vertices in metres relative to the point, which sits at the origin.
  const xy = unwrapped.map(([lat, lon]) => [(lon - point.longitude + shift) * scale.lon, (lat - point.latitude) * scale.lat] as const)
  let inside = false
  let nearest = Infinity
  for (let i = 0, j = xy.length - 1; i < xy.length; j = i++) {
    const [xi, yi] = xy[i] as readonly [number, number]
    const [xj, yj] = xy[j] as readonly [number, number]
    // Ray cast along +x from the origin.
    if ((yi > 0) !== (yj > 0) && 0 < xj + (0 - yj) * (xi - xj) / (yi - yj)) inside = !inside
    nearest = Math.min(nearest, distanceToSegment(xi, yi, xj, yj))
  }
  return inside ? -nearest : nearest
}

function distanceToSegment (ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax
  const dy = by - ay
  const lengthSquared = dx * dx + dy * dy
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / lengthSquared))
  return Math.hypot(ax + t * dx, ay + t * dy)
}

function wrapLongitude (degrees: number): number {
  return ((degrees + 540) % 360) - 180
}

/** The ring with each longitude moved by whole turns next to the one before it. */
function continuous (ring: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const [lat, lon] of ring) {
    const before = out[out.length - 1]
    out.push([lat, before === undefined ? lon : before[1] + wrapLongitude(lon - before[1])])
  }
  return out
}

/** Column names as geofences stores them. */
export interface BoundingBox {
  min_latitude: number
  max_latitude: number
  min_longitude: number
  max_longitude: number
}

/** The box around a circle. */
export function circleBounds (center: LatLon, radiusM: number): BoundingBox {
  const scale = metresPerDegree(center.latitude)
  const dLat = radiusM / scale.lat
  const dLon = Math.min(180, radiusM / Math.max(scale.lon, 1e-6))
  return {
    min_latitude: Math.max(-90, center.latitude - dLat),
    max_latitude: Math.min(90, center.latitude + dLat),
    min_longitude: center.longitude - dLon,
    max_longitude: center.longitude + dLon
  }
}

/** The box of a ring; its longitudes may reach past +-180 when the ring straddles the antimeridian. */
export function polygonBounds (ring: ReadonlyArray<readonly [number, number]>): BoundingBox {
  const unwrapped = continuous(ring)
  const lats = unwrapped.map(([lat]) => lat)
  const lons = unwrapped.map(([, lon]) => lon)
  return { min_latitude: Math.min(...lats), max_latitude: Math.max(...lats), min_longitude: Math.min(...lons), max_longitude: Math.max(...lons) }
}

/** Whether the point lies in the box widened by `marginM` on every side. */
export function nearBox (point: LatLon, box: BoundingBox, marginM: number): boolean {
  const scale = metresPerDegree(point.latitude)
  const dLat = marginM / scale.lat
  const dLon = marginM / Math.max(scale.lon, 1e-6)
  // The point's longitude taken nearest the box (which may reach past +-180).
  const middle = (box.min_longitude + box.max_longitude) / 2
  const longitude = middle + wrapLongitude(point.longitude - middle)
  return point.latitude >= box.min_latitude - dLat && point.latitude <= box.max_latitude + dLat &&
    longitude >= box.min_longitude - dLon && longitude <= box.max_longitude + dLon
}
