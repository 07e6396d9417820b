import { ids, type ModuleTestPlan, own, TAKE_OVER } from '../../../test/helpers/plans/index.js'

// Facilities' entries in the cross-cutting suites (test/helpers/plans/).

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        facility: ids(),
        facilities: own('a list without id arguments', { check: (t, d, { b }) => t.equal(d.facilities.totalCount, b.state.facilities.totalCount, 'facilities: only B\'s') })
      },
      Mutation: {
        createFacility: own('creates in the caller\'s organization', { args: () => ({ input: { code: 'ISO-1' } }) }),
        updateFacility: ids({ args: () => TAKE_OVER })
      }
    },
    entities: { facility: (s) => [['facility', s.facilities.nodes[0]]] },
    state: { selection: 'facilities(first: 200) { totalCount nodes { id code name version updatedAt } }', lists: ['facilities'] },
    identifiers: (s) => s.facilities.nodes.flatMap((f: any) => [f.id, f.name])
  },
  roles: {
    harmless: { createFacility: { input: { code: ' ' } } },
    // A facility is reached through a vehicle stationed there.
    reach: { Facility: (selection) => `{ vehicles(first: 1) { nodes { facility { ${selection} } } } }` },
    select: { 'Facility.vehicles': 'vehicles { totalCount }' }
  },
  audit: {
    createFacility: { as: 'manager', entity: 'Facility', action: 'CREATE', call: async (c) => await c.gql('mutation { createFacility(input: { code: "AUD", name: "Audit Yard", type: YARD }) { id } }', {}, c.token.manager) },
    updateFacility: { as: 'manager', entity: 'Facility', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!, $v: Int!) { updateFacility(id: $id, input: { expectedVersion: $v, name: "Renamed Yard" }) { id } }', { id: c.facility.id, v: c.facility.version }, c.token.manager) }
  },
  hostile: {
    ids: { facility: async (h) => (await h.get('{ facilities(first: 1) { nodes { id } } }')).facilities.nodes[0].id },
    unique: { code: (n) => `HX${n}` }
  }
}
