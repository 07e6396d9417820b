import { ok } from '../../../test/helpers/graphql.js'
import { type HostileTarget, ids, type ModuleTestPlan, type Sample } from '../../../test/helpers/plans/index.js'

// Assignments' entries in the cross-cutting suites (test/helpers/plans/), and which vehicles and
// drivers are free to be assigned, for the plans of those modules: an attack or a filled-in
// position with a busy one would be refused for overlapping, whatever its id.

/** ACTIVE vehicles or drivers of an organization's isolation state with no current or coming assignment. */
export function freeIn (state: any, list: 'vehicles' | 'drivers'): Sample[] {
  const busy = new Set<string>()
  for (const x of state.assignments.nodes) {
    if (x.endsAt === null || Date.parse(x.endsAt) > Date.now()) busy.add(x.vehicle.id).add(x.driver.id)
  }
  return state[list].nodes.filter((n: any) => n.status === 'ACTIVE' && !busy.has(n.id))
}

/** An ACTIVE vehicle or driver of the demo organization whose assignments have all ended. */
export async function freeId (h: HostileTarget, list: 'vehicles' | 'drivers'): Promise<string> {
  const data = await h.get(`{ ${list}(first: 200, filter: { status: [ACTIVE] }) { nodes { id assignments(first: 1) { nodes { endsAt } } } } }`)
  const row = data[list].nodes.find((n: any) => n.assignments.nodes.every((a: any) => a.endsAt !== null && Date.parse(a.endsAt) < Date.now()))
  if (row === undefined) throw new Error(`no ${list} without current or coming assignments in the demo data`)
  return row.id
}

const inOneDay = (): string => new Date(Date.now() + 86_400_000).toISOString()

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        assignment: ids(),
        assignments: ids({ check: (t, d, { b }) => t.equal(d.assignments.totalCount, b.state.assignments.totalCount, 'assignments: only B\'s') })
      },
      Mutation: {
        assignDriver: ids(),
        endAssignment: ids(),
        cancelAssignment: ids()
      }
    },
    entities: {
      assignment: (s) => [
        ['current assignment', s.assignments.nodes.find((x: any) => x.isCurrent) ?? s.assignments.nodes[0]],
        ['upcoming assignment', s.assignments.nodes.find((x: any) => Date.parse(x.startsAt) > Date.now())]
      ]
    },
    state: {
      selection: 'assignments(first: 200) { totalCount nodes { id startsAt endsAt isCurrent version updatedAt vehicle { id } driver { id } } }',
      lists: ['assignments'],
      moving: { assignments: ['isCurrent'] }
    },
    identifiers: (s) => s.assignments.nodes.map((x: any) => x.id),
    // An assignment of A that has not started (cancelAssignment's target), on a free vehicle and driver other than the samples.
    prepare: async (A, a) => {
      await A('mutation ($input: AssignDriverInput!) { assignDriver(input: $input) { id } }', {
        input: {
          vehicleId: freeIn(a.state, 'vehicles')[1]?.id,
          driverId: freeIn(a.state, 'drivers')[1]?.id,
          startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
          endsAt: new Date(Date.now() + 3 * 86_400_000).toISOString()
        }
      })
    }
  },
  audit: {
    assignDriver: {
      as: 'dispatcher',
      entity: 'VehicleAssignment',
      action: 'CREATE',
      call: async (c) => await c.gql('mutation ($v: ID!, $d: ID!) { assignDriver(input: { vehicleId: $v, driverId: $d }) { id } }', { v: c.free.vehicle, d: c.free.driver }, c.token.dispatcher)
    },
    endAssignment: {
      as: 'dispatcher',
      entity: 'VehicleAssignment',
      action: 'UPDATE',
      call: async (c) => {
        const { assignments } = ok(await c.gql<any>('query ($d: ID!) { assignments(filter: { driverId: $d }, first: 1) { nodes { id } } }', { d: c.free.driver }, c.token.dispatcher))
        return await c.gql('mutation ($id: ID!) { endAssignment(id: $id) { id } }', { id: assignments.nodes[0].id }, c.token.dispatcher)
      }
    },
    cancelAssignment: {
      as: 'dispatcher',
      entity: 'VehicleAssignment',
      action: 'DELETE',
      call: async (c) => {
        const { assignDriver } = ok(await c.gql<any>('mutation ($v: ID!, $d: ID!, $s: DateTime!) { assignDriver(input: { vehicleId: $v, driverId: $d, startsAt: $s }) { id } }',
          { v: c.free.vehicle, d: c.free.driver, s: inOneDay() }, c.token.dispatcher))
        return await c.gql('mutation ($id: ID!) { cancelAssignment(id: $id) }', { id: assignDriver.id }, c.token.dispatcher)
      }
    }
  },
  hostile: {
    ids: { assignment: async (h) => (await h.get('{ assignments(first: 1) { nodes { id } } }')).assignments.nodes[0].id }
  }
}
