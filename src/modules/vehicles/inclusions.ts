import { revive } from '../../cache/entity-cache.js'
import type { Inclusion } from '../../graphql/selection.js'
import { ASSIGNMENT } from '../assignments/loaders.js'
import { currentAssignmentJson } from '../assignments/queries.js'
import type { VehicleAssignmentRow } from '../assignments/tables.js'
import { DRIVER } from '../drivers/loaders.js'
import type { DriverRow } from '../drivers/tables.js'
import { FACILITY } from '../facilities/loaders.js'
import { facilityJson } from '../facilities/queries.js'
import type { VehicleRow } from './tables.js'

// The to-one relations a list of vehicles brings in its own statement when the query selects
// them (src/graphql/selection.ts): the dashboard's facility, current assignment and driver cost no
// statement of their own.

export const VEHICLE_INCLUSIONS: ReadonlyArray<Inclusion<VehicleRow>> = [
  {
    fields: ['facility'],
    alias: 'included_facility',
    expression: facilityJson('vehicles.facility_id', 'vehicles.organization_id'),
    prime: (loaders, vehicle, value) => {
      if (value !== null && vehicle.facility_id !== null) loaders.facilities.byId.prime(vehicle.facility_id, revive(FACILITY, value as Record<string, unknown>))
    }
  },
  {
    fields: ['currentAssignment', 'currentDriver'],
    alias: 'included_assignment',
    expression: currentAssignmentJson('vehicles.id', 'vehicles.organization_id'),
    prime: (loaders, vehicle, value) => {
      const current = value as { assignment: Record<string, unknown>, driver: Record<string, unknown> } | null
      if (current === null) {
        loaders.assignments.currentByVehicle.prime(vehicle.id, null)
        return
      }
      const assignment = revive<VehicleAssignmentRow>(ASSIGNMENT, current.assignment)
      loaders.assignments.currentByVehicle.prime(vehicle.id, assignment)
      loaders.drivers.byId.prime(assignment.driver_id, revive<DriverRow>(DRIVER, current.driver))
    }
  }
]
