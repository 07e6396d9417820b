import { ok } from '../../../test/helpers/graphql.js'
import { type Args, event, ids, type ModuleTestPlan, own } from '../../../test/helpers/plans/index.js'

// Telematics' entries in the cross-cutting suites (test/helpers/plans/): positions, trips, device
// tokens, and the history fields it adds to Vehicle.

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        fleetPositions: own('the latest fixes of the caller\'s fleet', {
          probes: () => [{ bbox: { south: 39, north: 41, west: -84, east: -82 } }],
          check: (t, d, { b }) => t.equal(d.fleetPositions.length, b.state.fleetPositions.length, 'fleetPositions: only B\'s vehicles')
        }),
        trips: ids({ check: (t, d, { b }) => t.equal(d.trips.totalCount, b.state.trips.totalCount, 'trips: only B\'s') }),
        trip: ids()
      },
      Mutation: {
        recordPositions: ids({
          // A fix the pipeline would store, but for A's vehicle: rejected as an unknown vehicle, in the payload.
          rewrite: (args) => ({ input: (args.input as Args[]).map((fix) => ({ ...fix, recordedAt: new Date(Date.now() - 60_000).toISOString() })) }),
          rejects: (t, d, label) => t.match(d?.recordPositions, { accepted: 0, duplicates: 0 }, `${label}: nothing stored (test/telematics.test.ts shows the UNKNOWN_VEHICLE rejection)`)
        }),
        issueDeviceToken: ids(),
        revokeDeviceToken: ids()
      },
      Subscription: {
        vehiclePositionUpdated: event(async ({ A, a }) => {
          await A('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', {
            input: [{ vehicleId: a.samples.vehicle?.[0]?.id, recordedAt: new Date(Date.now() - 1000).toISOString(), latitude: 40, longitude: -83 }]
          })
        })
      }
    },
    entities: { trip: (s) => [['trip', s.trips.nodes[0]]] },
    state: {
      selection: `fleetPositions { vehicle { id } position { recordedAt latitude longitude } }
        trips(first: 60) { totalCount nodes { id endedAt distance } }`,
      lists: ['trips']
    },
    identifiers: (s) => s.trips.nodes.map((x: any) => x.id)
  },
  roles: {
    select: {
      'Vehicle.trips': 'trips { totalCount }',
      'Vehicle.stops': 'stops { totalCount }',
      'Vehicle.positions': 'positions(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { totalCount }'
    }
  },
  audit: {
    recordPositions: { exempt: 'tracker data at tracker rates (positions, trips, crossings, alerts are records of their own); the odometer it advances is not an edit (migration 0008)' },
    issueDeviceToken: { as: 'manager', entity: 'DeviceToken', action: 'CREATE', call: async (c) => await c.gql('mutation ($v: ID!) { issueDeviceToken(vehicleId: $v) { issuedAt } }', { v: c.free.vehicle }, c.token.manager) },
    revokeDeviceToken: {
      as: 'manager',
      entity: 'DeviceToken',
      action: 'DELETE',
      call: async (c) => {
        ok(await c.gql('mutation ($v: ID!) { issueDeviceToken(vehicleId: $v) { issuedAt } }', { v: c.free.vehicle }, c.token.manager))
        return await c.gql('mutation ($v: ID!) { revokeDeviceToken(vehicleId: $v) }', { v: c.free.vehicle }, c.token.manager)
      }
    }
  },
  hostile: {
    ids: { trip: async (h) => (await h.get('{ trips(first: 1) { nodes { id } } }')).trips.nodes[0].id },
    refusedInData: {
      recordPositions: { selection: '{ accepted duplicates rejected { index code } }', refused: (payload) => payload?.accepted === 0 && payload?.rejected?.[0]?.code === 'INVALID_VALUE' }
    }
  }
}
