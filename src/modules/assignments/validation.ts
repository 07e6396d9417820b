import type { AssignDriverInput } from '../../generated/graphql.js'
import { badInput } from '../../errors.js'
import { id, optionalText } from '../../graphql/validation.js'

export const assignmentConstraints = {
  vehicle_assignments_vehicle_no_overlap: { field: 'input.vehicleId', message: 'The vehicle already has a driver for part of this period' },
  vehicle_assignments_driver_no_overlap: { field: 'input.driverId', message: 'The driver is already assigned to a vehicle for part of this period' },
  vehicle_assignments_vehicle_fk: { field: 'input.vehicleId', message: 'No such vehicle' },
  vehicle_assignments_driver_fk: { field: 'input.driverId', message: 'No such driver' },
  vehicle_assignments_period_valid: { field: 'input.endsAt', message: 'endsAt must be after startsAt' }
}

export interface AssignmentRequest {
  vehicleId: string
  driverId: string
  startsAt: Date
  endsAt: Date | null
  notes: string | null
}

export function assignmentRequest (input: AssignDriverInput, now: Date): AssignmentRequest {
  const startsAt = input.startsAt ?? now
  const endsAt = input.endsAt ?? null
  if (endsAt !== null && endsAt.getTime() <= startsAt.getTime()) throw badInput('endsAt must be after startsAt', 'input.endsAt')
  return {
    vehicleId: id(input.vehicleId, 'input.vehicleId'),
    driverId: id(input.driverId, 'input.driverId'),
    startsAt,
    endsAt,
    notes: optionalText(input.notes, 'input.notes', 2000)
  }
}
