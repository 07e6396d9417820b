import t from 'tap'
import { loadSchema } from '../src/graphql/schema.js'
import { telematicsModule } from '../src/modules/telematics/module.js'
import { vehiclesModule } from '../src/modules/vehicles/module.js'
import { ids, loadTestPlans, mergeTestPlans, own } from './helpers/plans/index.js'

// The modules' test plans (src/modules/<name>/test-plan.ts), read as the cross-cutting suites read
// them: a mistake in one stops every suite with what to fix, before anything runs.

const { schema } = loadSchema()

void t.test('every registered module has a test plan, and they merge', async (t) => {
  const plans = await loadTestPlans()
  t.equal(plans.isolation.fields.Query.vehicle?.kind, 'ids', 'a root field\'s entry comes from its module (vehicles)')
  t.ok(plans.roles.select['Vehicle.positions'] !== undefined, 'a field added to another module\'s type comes from the module adding it (telematics)')
  t.equal(plans.fileFor('Mutation', 'recordPositions'), 'src/modules/telematics/test-plan.ts', 'a field\'s entries belong with the module whose access slice declares it')
})

void t.test('a registered module without test-plan.ts stops the suites, naming the file', async (t) => {
  await t.rejects(loadTestPlans([{ name: 'tire-pressure', access: {} }]), /the tire-pressure module is registered in src\/modules\/index\.ts but has no src\/modules\/tire-pressure\/test-plan\.ts/, 'rejected, naming the file')
})

void t.test('a plan entry for a field that is not in the schema stops them', async (t) => {
  t.throws(() => mergeTestPlans([[vehiclesModule, { isolation: { fields: { Query: { vehicle: ids(), vehicel: ids() } } } }]], schema),
    /src\/modules\/vehicles\/test-plan\.ts: isolation Query plans Query\.vehicel, which is not in the schema/, 'a misspelt query')
  t.throws(() => mergeTestPlans([[vehiclesModule, { audit: { scrapVehicle: { exempt: 'gone' } } }]], schema),
    /audit plans Mutation\.scrapVehicle, which is not in the schema/, 'a mutation that is no more')
  t.throws(() => mergeTestPlans([[vehiclesModule, { roles: { select: { 'Vehicle.odometer': 'odometer' } } }]], schema),
    /roles select Vehicle\.odometer is not a field the vehicles module guards/, 'a field below the roots that nothing guards')
})

void t.test('a field planned by two modules stops them', async (t) => {
  const twice = (): unknown => mergeTestPlans([
    [vehiclesModule, { isolation: { fields: { Query: { vehicles: ids() } } } }],
    [telematicsModule, { isolation: { fields: { Query: { vehicles: own('a copy') } } } }]
  ], schema)
  t.throws(twice, /isolation Query: vehicles is planned by both the vehicles and the telematics module/, 'named as planned twice')
  t.throws(twice, /src\/modules\/telematics\/test-plan\.ts: isolation Query plans Query\.vehicles, which another module declares: plan it in src\/modules\/vehicles\/test-plan\.ts/,
    'and the plan that is not its module\'s, with where it belongs')
})
