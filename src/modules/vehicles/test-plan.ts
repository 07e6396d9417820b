import { event, ids, type ModuleTestPlan, TAKE_OVER } from '../../../test/helpers/plans/index.js'
import { freeId, freeIn } from '../assignments/test-plan.js'
import { vinCheckDigit } from './vin.js'

// The vehicle registry's entries in the cross-cutting suites (test/helpers/plans/).

const VALID_VIN = '1FTBR1C80MKA00001'

/** A valid VIN (North American check digit included) of its own for each n. */
function vinFor (n: number): string {
  const draft = `1HXBR1C80A${String(n).padStart(7, '0')}`
  return `${draft.slice(0, 8)}${vinCheckDigit(draft)}${draft.slice(9)}`
}

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        vehicle: ids(),
        vehicles: ids({
          probes: ({ a }) => [{ filter: { search: a.state.vehicles.nodes[0].number } }, { filter: { search: a.state.vehicles.nodes[0].vin } }],
          check: (t, d, { b }) => t.equal(d.vehicles.totalCount, b.state.vehicles.totalCount, 'vehicles: only B\'s')
        })
      },
      Mutation: {
        createVehicle: ids({ args: () => ({ input: { number: 'ISO-1', vin: VALID_VIN, year: 2024 } }) }),
        updateVehicle: ids({ args: () => TAKE_OVER }),
        retireVehicle: ids()
      },
      Subscription: {
        vehicleChanged: event(async ({ A, a }) => {
          const { vehicle } = await A<any>('query ($id: ID!) { vehicle(id: $id) { version } }', { id: a.samples.vehicle?.[0]?.id })
          await A('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Isolation event" }) { id } }', { id: a.samples.vehicle?.[0]?.id, v: vehicle.version })
        })
      }
    },
    // Free to be assigned, so that an assignment with it would go through were its id not refused.
    entities: { vehicle: (s) => [['free vehicle', freeIn(s, 'vehicles')[0] ?? s.vehicles.nodes[0]]] },
    state: {
      selection: 'vehicles(first: 200) { totalCount nodes { id number name vin licensePlate status version updatedAt facility { id } } }',
      lists: ['vehicles']
    },
    identifiers: (s) => s.vehicles.nodes.flatMap((v: any) => [v.id, v.number, v.vin, v.licensePlate])
  },
  roles: {
    reach: { Vehicle: (selection) => `{ vehicles(first: 1) { nodes { id ${selection} } } }` },
    select: { 'Vehicle.assignments': 'assignments { totalCount }' }
  },
  audit: {
    createVehicle: { as: 'manager', entity: 'Vehicle', action: 'CREATE', call: async (c) => await c.gql(`mutation { createVehicle(input: { number: "AUD-1", name: "Audited", vin: "${VALID_VIN}", make: "Ford", model: "Transit", year: 2024, type: VAN, fuelType: DIESEL }) { id } }`, {}, c.token.manager) },
    updateVehicle: { as: 'manager', entity: 'Vehicle', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Renamed" }) { id } }', { id: c.vehicle.id, v: c.vehicle.version }, c.token.manager) },
    retireVehicle: { as: 'manager', entity: 'Vehicle', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!) { retireVehicle(id: $id) { id } }', { id: c.vehicle.id }, c.token.manager) }
  },
  hostile: {
    ids: { vehicle: async (h) => await freeId(h, 'vehicles') },
    unique: { number: (n) => `HX-${n}`, vin: vinFor }
  }
}
