import { ok } from '../../../test/helpers/graphql.js'
import { type AuditCtx, ids, type ModuleTestPlan } from '../../../test/helpers/plans/index.js'

// Meters' entries in the cross-cutting suites (test/helpers/plans/): readings of odometers and engine hours.

const RECORD = 'mutation ($v: ID!, $km: Float!) { recordMeterReading(input: { vehicleId: $v, kind: ODOMETER, value: $km }) { id } }'

async function odometerOf (c: AuditCtx): Promise<number> {
  return ok(await c.gql<any>('query ($id: ID!) { vehicle(id: $id) { odometer } }', { id: c.free.vehicle }, c.token.manager)).vehicle.odometer
}

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Mutation: {
        recordMeterReading: ids(),
        voidMeterReading: ids()
      }
    },
    entities: { meterReading: (s) => [['meter reading', s.metered.nodes.flatMap((v: any) => v.meterReadings.nodes)[0]]] },
    state: { selection: 'metered: vehicles(first: 10) { nodes { id meterReadings(first: 1, includeVoided: true) { totalCount nodes { id value voidedAt } } } }' },
    identifiers: (s) => s.metered.nodes.flatMap((v: any) => v.meterReadings.nodes.map((r: any) => r.id))
  },
  roles: {
    select: { 'Vehicle.meterReadings': 'meterReadings { totalCount }' }
  },
  audit: {
    recordMeterReading: { as: 'manager', entity: 'MeterReading', action: 'CREATE', call: async (c) => await c.gql(RECORD, { v: c.free.vehicle, km: await odometerOf(c) + 10 }, c.token.manager) },
    voidMeterReading: {
      as: 'manager',
      entity: 'MeterReading',
      action: 'UPDATE',
      call: async (c) => {
        const { recordMeterReading } = ok(await c.gql<any>(RECORD, { v: c.free.vehicle, km: await odometerOf(c) + 20 }, c.token.manager))
        return await c.gql('mutation ($id: ID!) { voidMeterReading(id: $id, reason: "Misread") { id } }', { id: recordMeterReading.id }, c.token.manager)
      }
    }
  },
  hostile: {
    ids: { meterReading: async (h) => (await h.get('{ vehicles(first: 1) { nodes { meterReadings(first: 1) { nodes { id } } } } }')).vehicles.nodes[0].meterReadings.nodes[0].id },
    // Above any demo odometer, and equal from call to call: every reading fits the meter's sequence.
    fixed: { recordMeterReading: { 'input.value': () => 5_000_000 } },
    ownIds: { voidMeterReading: 'meterReading' }
  }
}
