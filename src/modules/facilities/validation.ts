import type { FacilityRow, FacilityUpdate, NewFacility } from './tables.js'
import type { CreateFacilityInput, UpdateFacilityInput } from '../../generated/graphql.js'
import { badInput } from '../../errors.js'
import { given, number, optionalText, present, text } from '../../graphql/validation.js'

export const facilityConstraints = {
  facilities_code_unique: { field: 'input.code', message: 'Another facility of this organization already has this code' },
  facilities_coordinates_paired: { field: 'input.longitude', message: 'Give latitude and longitude together, or neither' }
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/

function code (value: string): string {
  const plain = text(value, 'input.code', 32).toUpperCase()
  if (!CODE.test(plain)) throw badInput('input.code may contain letters, digits, - and _ (up to 32)', 'input.code')
  return plain
}

function coordinate (value: number | null | undefined, field: string, limit: number): number | null {
  return value === null || value === undefined ? null : number(value, field, -limit, limit)
}

function paired (latitude: number | null, longitude: number | null): void {
  if ((latitude === null) !== (longitude === null)) {
    throw badInput('Give latitude and longitude together, or neither', latitude === null ? 'input.latitude' : 'input.longitude')
  }
}

export function newFacility (input: CreateFacilityInput, organizationId: string): NewFacility {
  const latitude = coordinate(input.latitude, 'input.latitude', 90)
  const longitude = coordinate(input.longitude, 'input.longitude', 180)
  paired(latitude, longitude)
  return {
    organization_id: organizationId,
    code: code(input.code),
    name: text(input.name, 'input.name', 200),
    type: input.type,
    address: optionalText(input.address, 'input.address', 500),
    latitude,
    longitude
  }
}

export function facilityPatch (input: UpdateFacilityInput, current: FacilityRow | null): FacilityUpdate {
  const patch: FacilityUpdate = {}
  if (given(input, 'code')) patch.code = code(present(input.code, 'input.code'))
  if (given(input, 'name')) patch.name = text(present(input.name, 'input.name'), 'input.name', 200)
  if (given(input, 'type')) patch.type = present(input.type, 'input.type')
  if (given(input, 'address')) patch.address = optionalText(input.address, 'input.address', 500)
  if (given(input, 'latitude')) patch.latitude = coordinate(input.latitude, 'input.latitude', 90)
  if (given(input, 'longitude')) patch.longitude = coordinate(input.longitude, 'input.longitude', 180)
  if (current !== null && (patch.latitude !== undefined || patch.longitude !== undefined)) {
    paired(patch.latitude === undefined ? current.latitude : patch.latitude, patch.longitude === undefined ? current.longitude : patch.longitude)
  }
  return patch
}
