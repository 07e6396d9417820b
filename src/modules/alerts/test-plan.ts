import { ok } from '../../../test/helpers/graphql.js'
import { type AuditCtx, event, ids, type ModuleTestPlan } from '../../../test/helpers/plans/index.js'

// Alerts' entries in the cross-cutting suites (test/helpers/plans/).

async function openAlert (c: AuditCtx): Promise<string> {
  return ok(await c.gql<any>('{ alerts(first: 1, filter: { status: [OPEN] }) { nodes { id } } }', {}, c.token.dispatcher)).alerts.nodes[0].id
}

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        alerts: ids({ check: (t, d, { b }) => t.equal(d.alerts.totalCount, b.state.alerts.totalCount, 'alerts: only B\'s') }),
        alert: ids()
      },
      Mutation: {
        acknowledgeAlert: ids(),
        resolveAlert: ids()
      },
      Subscription: {
        // Speeding: 100 km/h for 40 s where the limit is 10 raises an alert.
        alertRaised: event(async ({ A, a }) => {
          const { vehicle } = await A<any>('query ($id: ID!) { vehicle(id: $id) { version } }', { id: a.samples.vehicle?.[0]?.id })
          await A('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, speedLimit: 10 }) { id } }', { id: a.samples.vehicle?.[0]?.id, v: vehicle.version })
          const at = (secondsAgo: number): string => new Date(Date.now() - secondsAgo * 1000).toISOString()
          await A('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', {
            input: [50, 30, 10].map((ago, i) => ({ vehicleId: a.samples.vehicle?.[0]?.id, recordedAt: at(ago), latitude: 40 + i * 0.005, longitude: -83, speed: 100 }))
          })
        })
      }
    },
    entities: { alert: (s) => [['open alert', s.alerts.nodes.find((x: any) => x.status === 'OPEN')]] },
    state: { selection: 'alerts(first: 60) { totalCount nodes { id status version } }', lists: ['alerts'] },
    identifiers: (s) => s.alerts.nodes.map((x: any) => x.id)
  },
  audit: {
    acknowledgeAlert: { as: 'dispatcher', entity: 'Alert', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: await openAlert(c) }, c.token.dispatcher) },
    resolveAlert: { as: 'dispatcher', entity: 'Alert', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!) { resolveAlert(id: $id) { id } }', { id: await openAlert(c) }, c.token.dispatcher) }
  },
  hostile: {
    ids: { alert: async (h) => (await h.get('{ alerts(first: 1) { nodes { id } } }')).alerts.nodes[0].id }
  }
}
