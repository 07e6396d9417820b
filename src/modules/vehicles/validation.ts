import type { OrganizationRow } from '../organizations/tables.js'
import type { NewVehicle, VehicleRow, VehicleUpdate } from './tables.js'
import type { CreateVehicleInput, UpdateVehicleInput } from '../../generated/graphql.js'
import { badInput } from '../../errors.js'
import { given, id, integer, number, optionalText, present, text } from '../../graphql/validation.js'
import { toKilometers } from '../../graphql/units.js'
import { normalizeVin, vinProblem } from './vin.js'

// The database enforces the same rules (check constraints); checking here first gives the
// client a message that names the field instead of a constraint.

const MAX_ODOMETER_KM = 10_000_000
const MAX_ENGINE_HOURS = 1_000_000

/** Unique and foreign-key constraints of the vehicles table, by the input field they concern. */
export const vehicleConstraints = {
  vehicles_number_unique: { field: 'input.number', message: 'Another vehicle of this organization already has this number' },
  vehicles_vin_unique: { field: 'input.vin', message: 'Another vehicle of this organization already has this VIN' },
  vehicles_facility_fk: { field: 'input.facilityId', message: 'No such facility' }
}

function vin (value: string, org: OrganizationRow): string {
  const normalized = normalizeVin(value)
  const problem = vinProblem(normalized, org.vin_check_digit_required)
  if (problem !== null) throw badInput(problem, 'input.vin')
  return normalized
}

function year (value: number): number {
  return integer(value, 'input.year', 1900, new Date().getUTCFullYear() + 2)
}

function plate (value: string | null | undefined): string | null {
  const plain = optionalText(value, 'input.licensePlate', 20)
  return plain === null ? null : plain.toUpperCase()
}

function odometer (value: number, unit: UpdateVehicleInput['odometerUnit']): number {
  const km = toKilometers(value, unit)
  number(km, 'input.odometer', 0, MAX_ODOMETER_KM)
  return Math.round(km * 10) / 10
}

function facility (value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : id(value, 'input.facilityId')
}

function serviceStatus (status: VehicleRow['status']): VehicleRow['status'] {
  if (status === 'RETIRED') throw badInput('Use retireVehicle to retire a vehicle', 'input.status')
  return status
}

export function newVehicle (input: CreateVehicleInput, org: OrganizationRow): NewVehicle {
  return {
    organization_id: org.id,
    number: text(input.number, 'input.number', 32),
    name: text(input.name, 'input.name', 200),
    vin: vin(input.vin, org),
    make: text(input.make, 'input.make', 100),
    model: text(input.model, 'input.model', 100),
    year: year(input.year),
    license_plate: plate(input.licensePlate),
    type: input.type,
    status: serviceStatus(input.status ?? 'ACTIVE'),
    fuel_type: input.fuelType,
    odometer_km: odometer(input.odometer ?? 0, input.odometerUnit),
    engine_hours: number(input.engineHours ?? 0, 'input.engineHours', 0, MAX_ENGINE_HOURS),
    facility_id: facility(input.facilityId),
    speed_limit_kmh: speedLimit(input.speedLimit)
  }
}

function speedLimit (value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : number(value, 'input.speedLimit', 1, 400)
}

export function vehiclePatch (input: UpdateVehicleInput, org: OrganizationRow): VehicleUpdate {
  const patch: VehicleUpdate = {}
  if (given(input, 'number')) patch.number = text(present(input.number, 'input.number'), 'input.number', 32)
  if (given(input, 'name')) patch.name = text(present(input.name, 'input.name'), 'input.name', 200)
  if (given(input, 'vin')) patch.vin = vin(present(input.vin, 'input.vin'), org)
  if (given(input, 'make')) patch.make = text(present(input.make, 'input.make'), 'input.make', 100)
  if (given(input, 'model')) patch.model = text(present(input.model, 'input.model'), 'input.model', 100)
  if (given(input, 'year')) patch.year = year(present(input.year, 'input.year'))
  if (given(input, 'licensePlate')) patch.license_plate = plate(input.licensePlate)
  if (given(input, 'type')) patch.type = present(input.type, 'input.type')
  if (given(input, 'status')) {
    patch.status = serviceStatus(present(input.status, 'input.status'))
    patch.retired_at = null
  }
  if (given(input, 'fuelType')) patch.fuel_type = present(input.fuelType, 'input.fuelType')
  if (given(input, 'odometer')) patch.odometer_km = odometer(present(input.odometer, 'input.odometer'), input.odometerUnit)
  if (given(input, 'engineHours')) patch.engine_hours = number(present(input.engineHours, 'input.engineHours'), 'input.engineHours', 0, MAX_ENGINE_HOURS)
  if (given(input, 'facilityId')) patch.facility_id = facility(input.facilityId)
  if (given(input, 'speedLimit')) patch.speed_limit_kmh = speedLimit(input.speedLimit)
  return patch
}
