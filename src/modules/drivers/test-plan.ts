import { ids, type ModuleTestPlan, own, TAKE_OVER } from '../../../test/helpers/plans/index.js'
import { freeId, freeIn } from '../assignments/test-plan.js'

// The driver registry's entries in the cross-cutting suites (test/helpers/plans/).

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        driver: ids(),
        drivers: own('a list without id arguments', {
          probes: ({ a }) => [{ filter: { search: a.state.drivers.nodes[0].licenseNumber } }, { filter: { search: a.state.drivers.nodes[0].email } }],
          check: (t, d, { b }) => t.equal(d.drivers.totalCount, b.state.drivers.totalCount, 'drivers: only B\'s')
        })
      },
      Mutation: {
        createDriver: own('creates in the caller\'s organization'),
        updateDriver: ids({ args: () => TAKE_OVER })
      }
    },
    // Free to be assigned, so that an assignment with it would go through were its id not refused.
    entities: { driver: (s) => [['free driver', freeIn(s, 'drivers')[0] ?? s.drivers.nodes[0]]] },
    state: {
      selection: 'drivers(first: 200) { totalCount nodes { id name email licenseNumber status version updatedAt } }',
      lists: ['drivers']
    },
    identifiers: (s) => s.drivers.nodes.flatMap((d: any) => [d.id, d.name, d.email, d.licenseNumber])
  },
  roles: {
    harmless: { createDriver: { input: { name: ' ' } } }
  },
  audit: {
    createDriver: { as: 'manager', entity: 'Driver', action: 'CREATE', call: async (c) => await c.gql('mutation { createDriver(input: { name: "Audrey Audit", licenseNumber: "AUD-0001" }) { id } }', {}, c.token.manager) },
    updateDriver: { as: 'manager', entity: 'Driver', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!, $v: Int!) { updateDriver(id: $id, input: { expectedVersion: $v, phone: "+1 555 0100" }) { id } }', { id: c.driver.id, v: c.driver.version }, c.token.manager) }
  },
  hostile: {
    ids: { driver: async (h) => await freeId(h, 'drivers') },
    unique: { licenseNumber: (n) => `HXL-${n}` }
  }
}
