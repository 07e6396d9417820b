import { ids, type ModuleTestPlan, own, TAKE_OVER } from '../../../test/helpers/plans/index.js'

// Vendors' entries in the cross-cutting suites (test/helpers/plans/).

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        vendor: ids(),
        vendors: own('a list without id arguments', { check: (t, d, { b }) => t.equal(d.vendors.totalCount, b.state.vendors.totalCount, 'vendors: only B\'s') })
      },
      Mutation: {
        createVendor: own('creates in the caller\'s organization', { args: () => ({ input: { name: 'Isolation Vendor', kinds: ['OTHER'] } }) }),
        updateVendor: ids({ args: () => TAKE_OVER })
      }
    },
    entities: { vendor: (s) => [['vendor', s.vendors.nodes[0]]] },
    state: { selection: 'vendors(first: 50) { totalCount nodes { id name active version updatedAt } }', lists: ['vendors'] },
    identifiers: (s) => s.vendors.nodes.map((v: any) => v.id)
  },
  roles: {
    harmless: { createVendor: { input: { name: ' ', kinds: ['OTHER'] } } }
  },
  audit: {
    createVendor: { as: 'manager', entity: 'Vendor', action: 'CREATE', call: async (c) => await c.gql('mutation { createVendor(input: { name: "Audit Garage", kinds: [WORKSHOP] }) { id } }', {}, c.token.manager) },
    updateVendor: {
      as: 'manager',
      entity: 'Vendor',
      action: 'UPDATE',
      call: async (c) => {
        const { data } = await c.gql<any>('{ vendors(first: 1) { nodes { id version } } }', {}, c.token.manager)
        const vendor = data.vendors.nodes[0]
        return await c.gql('mutation ($id: ID!, $v: Int!) { updateVendor(id: $id, input: { expectedVersion: $v, notes: "Audited" }) { id } }', { id: vendor.id, v: vendor.version }, c.token.manager)
      }
    }
  },
  hostile: {
    ids: { vendor: async (h) => (await h.get('{ vendors(first: 1) { nodes { id } } }')).vendors.nodes[0].id },
    fixed: { createVendor: { 'input.kinds': () => 'OTHER' } }
  }
}
