import { ok } from '../../../test/helpers/graphql.js'
import { ids, type ModuleTestPlan, own, TAKE_OVER } from '../../../test/helpers/plans/index.js'

// Geofences' entries in the cross-cutting suites (test/helpers/plans/): fences and their crossings.

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        geofences: own('a list without id arguments', { check: (t, d, { b }) => t.equal(d.geofences.totalCount, b.state.geofences.totalCount, 'geofences: only B\'s') }),
        geofence: ids(),
        geofenceEvents: ids({ check: (t, d, { b }) => t.equal(d.geofenceEvents.totalCount, b.state.geofenceEvents.totalCount, 'geofence events: only B\'s') })
      },
      Mutation: {
        createGeofence: ids({ args: () => ({ input: { name: 'Isolation fence', shape: 'CIRCLE', center: { latitude: 1, longitude: 1 }, radius: 100 } }) }),
        updateGeofence: ids({ args: () => TAKE_OVER }),
        deleteGeofence: ids()
      }
    },
    entities: { geofence: (s) => [['geofence', s.geofences.nodes[0]]] },
    state: {
      selection: `geofences(first: 20) { totalCount nodes { id name version updatedAt } }
        geofenceEvents(first: 60) { totalCount nodes { id } }`,
      lists: ['geofences', 'geofenceEvents']
    },
    identifiers: (s) => [...s.geofences.nodes, ...s.geofenceEvents.nodes].map((x: any) => x.id)
  },
  audit: {
    createGeofence: { as: 'manager', entity: 'Geofence', action: 'CREATE', call: async (c) => await c.gql('mutation { createGeofence(input: { name: "Audit fence", shape: CIRCLE, center: { latitude: 40, longitude: -83 }, radius: 250 }) { id } }', {}, c.token.manager) },
    updateGeofence: {
      as: 'manager',
      entity: 'Geofence',
      action: 'UPDATE',
      call: async (c) => {
        const { geofences } = ok(await c.gql<any>('{ geofences(first: 1) { nodes { id version } } }', {}, c.token.manager))
        return await c.gql('mutation ($id: ID!, $v: Int!) { updateGeofence(id: $id, input: { expectedVersion: $v, dwellTime: 60 }) { id } }', { id: geofences.nodes[0].id, v: geofences.nodes[0].version }, c.token.manager)
      }
    },
    deleteGeofence: {
      as: 'manager',
      entity: 'Geofence',
      action: 'UPDATE',
      call: async (c) => {
        const { createGeofence } = ok(await c.gql<any>('mutation { createGeofence(input: { name: "Short-lived fence", shape: CIRCLE, center: { latitude: 40, longitude: -83 }, radius: 250 }) { id } }', {}, c.token.manager))
        return await c.gql('mutation ($id: ID!) { deleteGeofence(id: $id) }', { id: createGeofence.id }, c.token.manager)
      }
    }
  },
  hostile: {
    ids: { geofence: async (h) => (await h.get('{ geofences(first: 1) { nodes { id } } }')).geofences.nodes[0].id },
    fixed: { createGeofence: { 'input.center.latitude': () => 40, 'input.center.longitude': () => -83, 'input.radius': () => 200 } },
    // geofences_name_unique; other modules' required names get one of their own too.
    unique: { name: (n) => `HX name ${n}` }
  }
}
