import { ids, type ModuleTestPlan } from '../../../test/helpers/plans/index.js'

// The audit trail's entries in the cross-cutting suites (test/helpers/plans/): it adds one query.

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: { auditLog: ids() }
    },
    // auditLog's filter names a row of any entity (entityId) and a user (actorId).
    genericIds: { entityId: 'vehicle', actorId: 'user' }
  }
}
