import { type ModuleTestPlan, own } from '../../../test/helpers/plans/index.js'

// The fleet overview's entries in the cross-cutting suites (test/helpers/plans/).

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        fleetSummary: own('counts of the caller\'s organization', { check: (t, d, { b }) => t.equal(d.fleetSummary.totalVehicles, b.state.vehicles.totalCount, 'fleetSummary counts B\'s vehicles') })
      }
    },
    state: { selection: 'fleetSummary { totalVehicles activeDrivers vehiclesByStatus { status count } }' }
  }
}
