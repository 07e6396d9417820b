import type { GeofenceRow, GeofenceShape } from './tables.js'
import type { CoordinateInput, CreateGeofenceInput, UpdateGeofenceInput } from '../../generated/graphql.js'
import { badInput } from '../../errors.js'
import { given, id, integer, number, present, text } from '../../graphql/validation.js'
import { type BoundingBox, circleBounds, polygonBounds } from '../telematics/geometry.js'

export const geofenceConstraints = {
  geofences_name_unique: { field: 'input.name', message: 'Another geofence of this organization already has this name' },
  geofences_facility_fk: { field: 'input.facilityId', message: 'No such facility' }
}

const MAX_VERTICES = 1000

interface Shape {
  shape: GeofenceShape
  center_latitude: number | null
  center_longitude: number | null
  radius_m: number | null
  polygon: string | null
}

type ShapeColumns = Omit<Shape, 'polygon'> & BoundingBox & { polygon: string | null }

function coordinate (value: CoordinateInput, field: string): [number, number] {
  return [number(value.latitude, `${field}.latitude`, -90, 90), number(value.longitude, `${field}.longitude`, -180, 180)]
}

/** The columns of a shape, checked as a whole: a circle needs center and radius, a polygon its vertices. */
function shapeColumns (shape: GeofenceShape, center: CoordinateInput | null | undefined, radius: number | null | undefined, polygon: readonly CoordinateInput[] | null | undefined): ShapeColumns {
  if (shape === 'CIRCLE') {
    if (center === null || center === undefined) throw badInput('A CIRCLE needs a center', 'input.center')
    if (radius === null || radius === undefined) throw badInput('A CIRCLE needs a radius', 'input.radius')
    if (polygon !== null && polygon !== undefined) throw badInput('A CIRCLE has no polygon', 'input.polygon')
    const [latitude, longitude] = coordinate(center, 'input.center')
    const radiusM = number(radius, 'input.radius', 1, 100_000)
    return { shape, center_latitude: latitude, center_longitude: longitude, radius_m: radiusM, polygon: null, ...circleBounds({ latitude, longitude }, radiusM) }
  }
  if (polygon === null || polygon === undefined) throw badInput('A POLYGON needs its vertices', 'input.polygon')
  if (center !== null && center !== undefined) throw badInput('A POLYGON has no center', 'input.center')
  if (radius !== null && radius !== undefined) throw badInput('A POLYGON has no radius', 'input.radius')
  if (polygon.length < 3 || polygon.length > MAX_VERTICES) throw badInput(`A POLYGON has 3 to ${MAX_VERTICES} vertices`, 'input.polygon')
  const ring = polygon.map((vertex, i) => coordinate(vertex, `input.polygon[${i}]`))
  // A ring given closed (last vertex = first) is the same ring.
  const first = ring[0] as [number, number]
  const last = ring[ring.length - 1] as [number, number]
  if (ring.length > 3 && first[0] === last[0] && first[1] === last[1]) ring.pop()
  return { shape, center_latitude: null, center_longitude: null, radius_m: null, polygon: JSON.stringify(ring), ...polygonBounds(ring) }
}

function settings (input: Pick<UpdateGeofenceInput, 'dwellTime' | 'margin' | 'speedLimit' | 'alertOnEnter' | 'alertOnExit' | 'facilityId'>) {
  const out: Partial<Pick<GeofenceRow, 'dwell_seconds' | 'margin_m' | 'speed_limit_kmh' | 'alert_on_enter' | 'alert_on_exit' | 'facility_id'>> = {}
  if (given(input, 'dwellTime')) out.dwell_seconds = integer(present(input.dwellTime, 'input.dwellTime'), 'input.dwellTime', 0, 86_400)
  if (given(input, 'margin')) out.margin_m = number(present(input.margin, 'input.margin'), 'input.margin', 0, 10_000)
  if (given(input, 'speedLimit')) out.speed_limit_kmh = input.speedLimit === null || input.speedLimit === undefined ? null : number(input.speedLimit, 'input.speedLimit', 1, 400)
  if (given(input, 'alertOnEnter')) out.alert_on_enter = present(input.alertOnEnter, 'input.alertOnEnter')
  if (given(input, 'alertOnExit')) out.alert_on_exit = present(input.alertOnExit, 'input.alertOnExit')
  if (given(input, 'facilityId')) out.facility_id = input.facilityId === null || input.facilityId === undefined ? null : id(input.facilityId, 'input.facilityId')
  return out
}

export function newGeofence (input: CreateGeofenceInput, organizationId: string) {
  return {
    organization_id: organizationId,
    name: text(input.name, 'input.name', 200),
    ...shapeColumns(input.shape, input.center, input.radius, input.polygon),
    ...settings(input)
  }
}

export function geofencePatch (input: UpdateGeofenceInput, current: GeofenceRow) {
  const patch: Record<string, unknown> = { ...settings(input) }
  if (given(input, 'name')) patch.name = text(present(input.name, 'input.name'), 'input.name', 200)
  const touchesShape = given(input, 'shape') || given(input, 'center') || given(input, 'radius') || given(input, 'polygon')
  if (touchesShape) {
    const shape = input.shape ?? current.shape
    const keepsShape = shape === current.shape
    const center = given(input, 'center') ? input.center : keepsShape && current.center_latitude !== null ? { latitude: current.center_latitude, longitude: current.center_longitude as number } : null
    const radius = given(input, 'radius') ? input.radius : keepsShape ? current.radius_m : null
    const polygon = given(input, 'polygon') ? input.polygon : keepsShape && current.polygon !== null ? current.polygon.map(([latitude, longitude]) => ({ latitude, longitude })) : null
    Object.assign(patch, shapeColumns(shape, center, radius, polygon))
  }
  return patch
}
