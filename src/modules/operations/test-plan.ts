import { ok } from '../../../test/helpers/graphql.js'
import { type ModuleTestPlan, open, own } from '../../../test/helpers/plans/index.js'

// Operations' entries in the cross-cutting suites (test/helpers/plans/): feature flags,
// maintenance mode, client error reports.

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        featureFlags: own('switches of the caller\'s organization'),
        maintenanceMode: own('the caller\'s organization\'s read-only switch')
      },
      Mutation: {
        setFeatureFlag: own('switches a flag of the caller\'s organization', { args: () => ({ name: 'fleet-summary', enabled: false }) }),
        setMaintenanceMode: own('pauses the caller\'s organization\'s writes', { args: () => ({ enabled: true }), last: true }),
        reportClientError: open('an error report, no tenant data')
      }
    },
    state: { selection: 'featureFlags { name enabled scope } maintenanceMode { enabled }' }
  },
  roles: {
    harmless: { setMaintenanceMode: { enabled: false } }
  },
  audit: {
    setFeatureFlag: { as: 'admin', entity: 'FeatureFlag', action: 'CREATE', call: async (c) => await c.gql('mutation { setFeatureFlag(name: "fleet-summary", enabled: false, reason: "audit test") { enabled } }', {}, c.token.admin) },
    setMaintenanceMode: {
      as: 'admin',
      entity: 'MaintenanceMode',
      action: 'DELETE',
      call: async (c) => {
        ok(await c.gql('mutation { setMaintenanceMode(enabled: true, message: "Audit") { enabled } }', {}, c.token.admin))
        return await c.gql('mutation { setMaintenanceMode(enabled: false) { enabled } }', {}, c.token.admin)
      }
    },
    reportClientError: { exempt: 'telemetry, not a change of data: it goes to Sentry and Application Insights' }
  },
  hostile: {
    values: { flag: async (h) => (await h.get('{ featureFlags { name } }')).featureFlags[0].name },
    fixed: { setFeatureFlag: { name: (s) => s.values.flag } },
    after: {
      setMaintenanceMode: async (h) => {
        // Off at once: the answer is read after the change (a reload in flight is followed by a fresh one).
        const { setMaintenanceMode } = await h.get('mutation { setMaintenanceMode(enabled: false) { enabled } }')
        if (setMaintenanceMode.enabled !== false) throw new Error('maintenance mode answered on after switching it off')
      }
    },
    // Each report stands alone.
    concurrent: ['reportClientError']
  }
}
