import { type ModuleTestPlan, own } from '../../../test/helpers/plans/index.js'

// The organization's entries in the cross-cutting suites (test/helpers/plans/): its settings.

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Mutation: {
        updateOrganizationSettings: own('changes the caller\'s organization', { args: ({ b }) => ({ input: { expectedVersion: b.state.me.organization.version, vinCheckDigitRequired: false } }) })
      }
    },
    entities: { organization: (s) => [['organization', s.me.organization]] },
    // An organization is reached as the caller's own (identity selects the rest of `me`).
    state: { selection: 'me { organization { id name slug version settings { vinCheckDigitRequired } } }' },
    identifiers: (s) => [s.me.organization.id, s.me.organization.name]
  },
  audit: {
    updateOrganizationSettings: { as: 'admin', entity: 'Organization', action: 'UPDATE', call: async (c) => await c.gql('mutation { updateOrganizationSettings(input: { expectedVersion: 1, vinCheckDigitRequired: false }) { id } }', {}, c.token.admin) }
  },
  hostile: {
    ids: { organization: async (h) => h.organizationId }
  }
}
