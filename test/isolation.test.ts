import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { loadSchema } from '../src/graphql/schema.js'
import { buildTestApp, type GraphQLResponse } from './helpers/app.js'
import { dataFetcher } from './helpers/graphql.js'
import { type Args, type Fetch, type FieldPlan, type IsolationCtx, loadTestPlans, type Org, type Picker, type Sample } from './helpers/plans/index.js'
import { privateRedis } from './helpers/redis.js'
import {
  buildArgs, type Filler, type IdSlot, idSlots, isConnection, merge, operationFor, pathName, type RootField, type RootKind, rootFields
} from './helpers/schema-walk.js'
import { type SubscriptionClient, subscribe } from './helpers/websocket.js'

// Tenant isolation, proven rather than assumed. Every root field of the schema (read from
// schema/*.graphql, so new ones are covered or fail here) is called by organization `other` (B)
// with the ids of organization `demo` (A) in every ID position it has, as B's admin (so that no
// role check hides a leak) and, for queries, as B's viewer. A foreign id must behave exactly like
// one that does not exist (the same answer as a random UUID: null, an empty list, NOT_FOUND or
// BAD_USER_INPUT naming the field), no answer to B may carry anything of A, and no mutation of
// B may change anything of A. How to attack each root field, and the entities the attacks use
// (how to sample them, what of an organization a call could change, what identifies it), are the
// modules' own: the `isolation` part of src/modules/<name>/test-plan.ts (test/helpers/plans/).
// This file walks the schema, attacks and judges.

const plans = await loadTestPlans()
const PLAN = plans.isolation.fields
const ENTITIES = Object.keys(plans.isolation.entities)

/**
 * Which entity an ID position refers to: by the argument's name (`vehicleId`, `driverIds`,
 * `driver`) or, for a root field's own `id`, by the one entity its name mentions (`vehicle`,
 * `updateVehicle`, `endAssignment`).
 */
function entityOf ({ root, name: field }: { root: RootKind, name: string }, path: readonly string[]): string {
  const name = path.at(-1) ?? ''
  const byName = ENTITIES.find((e) => name === e || name === `${e}Id` || name === `${e}Ids`) ?? plans.isolation.genericIds[name]
  if (byName !== undefined) return byName
  // The entities the field's name mentions, the most specific kept (removeWorkOrderLine: a line, not an order).
  const mentioned = ENTITIES.filter((e) => field.toLowerCase().includes(e.toLowerCase()))
    .filter((e, _, all) => !all.some((other) => other !== e && other.toLowerCase().includes(e.toLowerCase())))
  if (name === 'id' && path.length === 1 && mentioned.length === 1) return mentioned[0] as string
  throw new Error(`cannot tell which entity ${field}(${pathName(path)}) refers to: declare the entity in isolation.entities of the module that owns it, ` +
    `or the argument in isolation.genericIds of ${plans.fileFor(root, field)}`)
}

/** What is wrong with a root field's entry in the plans, if anything. */
function planProblem ({ root, name, field }: RootField): string | null {
  const plan = PLAN[root][name]
  const where = `${root}.${name}`
  const file = plans.fileFor(root, name)
  if (plan === undefined) {
    return `${where} is not covered by the tenant isolation test: add it to isolation.fields.${root} in ${file} ` +
      '(ids() when it takes ids of organization data, own()/open() with a reason when it takes none)'
  }
  const slots = idSlots(field).map((s) => pathName(s.path))
  try {
    for (const slot of idSlots(field)) entityOf({ root, name }, slot.path)
  } catch (err) {
    return (err as Error).message
  }
  if (root === 'Subscription') return plan.kind === 'event' ? null : `${where}: a subscription needs an event plan in ${file}`
  if (plan.kind === 'event') return `${where}: only subscriptions have an event plan`
  if (plan.kind === 'ids' && slots.length === 0) return `${where} is planned as ids() but takes no ID: reclassify it in ${file}`
  if (plan.kind !== 'ids' && slots.length > 0) return `${where} takes ids now (${slots.join(', ')}): make it ids() in ${file}`
  return null
}

// ---- The two organizations, as their admins see them: every module's part of the state. ----

// Each module's part of the state is its own document: together they would exceed the query cost limit.
const STATE = plans.isolation.states.map((part) => `{\n  ${part.selection}\n}`)

async function readState (fetch: Fetch): Promise<any> {
  return (await Promise.all(STATE.map(async (document) => await fetch<any>(document)))).reduce(mergeAnswers, {})
}

/** Two answers to parts of one state, as one document would have merged them (lists by position). */
function mergeAnswers (a: any, b: any): any {
  if (Array.isArray(a) && Array.isArray(b)) return a.length >= b.length ? a.map((x, i) => mergeAnswers(x, b[i])) : b.map((y, i) => mergeAnswers(a[i], y))
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return b ?? a
  const out = { ...a }
  for (const [key, value] of Object.entries(b)) out[key] = key in a ? mergeAnswers(a[key], value) : value
  return out
}
const LISTS = plans.isolation.states.flatMap((part) => part.lists ?? [])
const MOVING = plans.isolation.states.flatMap((part) => Object.entries(part.moving ?? {}))

/** The whole of an organization that a B call could change, without what moves with the clock. */
async function snapshot (fetch: Fetch): Promise<unknown> {
  const state = await readState(fetch)
  for (const list of LISTS) state[list].nodes.sort((x: Sample, y: Sample) => x.id.localeCompare(y.id))
  for (const [list, fields] of MOVING) {
    for (const node of state[list].nodes) for (const field of fields) delete node[field]
  }
  return state
}

async function organization (fetch: Fetch): Promise<Org> {
  const state = await readState(fetch)
  for (const list of LISTS) {
    if (state[list].nodes.length < state[list].totalCount) throw new Error(`more ${list} than one page holds: ask for a bigger page in its isolation.state`)
  }
  /** The rows a module picks, once each, labelled with what they are. */
  const pick = (picked: ReturnType<Picker>): Sample[] => picked
    .filter((entry): entry is readonly [string, Sample] => entry[1] !== undefined)
    .filter(([, node], i, all) => all.findIndex(([, other]) => other.id === node.id) === i)
    .map(([what, { id, version }]) => ({ id, version, what }))
  return { samples: Object.fromEntries(Object.entries(plans.isolation.entities).map(([entity, picker]) => [entity, pick(picker(state))])), state }
}

/** What identifies A in a JSON text: its ids, numbers, VINs, plates, names, emails and licences (minus any B shares). */
function identifiers (a: Org, b: Org): string[] {
  const all = plans.isolation.identifiers.flatMap((of) => of(a.state)).filter((v): v is string => typeof v === 'string' && v.length >= 4)
  const theirs = JSON.stringify(b.state)
  return [...new Set(all)].filter((v) => !theirs.includes(v))
}

const refusedByRole = (r: GraphQLResponse): boolean => r.errors?.length === 1 && r.errors[0]?.extensions.code === 'FORBIDDEN'
const outcome = (r: GraphQLResponse): unknown => ({ data: r.data, errors: r.errors?.map((e) => ({ code: e.extensions.code, field: e.extensions.field ?? null })) })
const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

void t.test('tenant isolation: every root field, called by organization other with the ids of demo', { timeout: 120_000 }, async (t) => {
  const fields = rootFields(loadSchema().schema)
  const classified = fields.filter((rf) => planProblem(rf) === null)
  const of = (root: RootKind, kind: FieldPlan['kind']): RootField[] => classified.filter((rf) => rf.root === root && PLAN[root][rf.name]?.kind === kind)

  await t.test('every root field of the schema is classified', async (t) => {
    for (const rf of fields) {
      const problem = planProblem(rf)
      if (problem === null) t.pass(`${rf.root}.${rf.name} is classified`)
      else t.fail(problem)
    }
    const known = new Set(fields.map((rf) => `${rf.root}.${rf.name}`))
    for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
      for (const name of Object.keys(PLAN[root])) t.ok(known.has(`${root}.${name}`), `the plan of ${root}.${name} is of a field in the schema (remove it from its test-plan.ts otherwise)`)
    }
  })

  // Events of `other` made by other test files on a shared Redis would reach B's subscriber.
  const redis = process.env.REDIS_URL === undefined ? undefined : await privateRedis(t)
  const { app, gql, login } = await buildTestApp(t, redis === undefined ? {} : { env: { REDIS_URL: redis.url } })
  const token = { aAdmin: await login('admin@fleet.example'), bAdmin: await login('admin@other.example'), bViewer: await login('viewer@other.example') }
  const A = dataFetcher(gql, token.aAdmin)

  const before = await organization(A)
  const rowsOf = (o: Org): string[] => LISTS.flatMap((list) => o.state[list].nodes.map((n: Sample) => n.id))
  const B = dataFetcher(gql, token.bAdmin)
  const theirRows = new Set(rowsOf(await organization(B)))
  t.same(rowsOf(before).filter((id) => theirRows.has(id)), [], 'the lists of A and B share no row')
  for (const prepare of plans.isolation.prepare) await prepare(A, before)
  const c: IsolationCtx = { a: await organization(A), b: await organization(B), A }
  const forbidden = identifiers(c.a, c.b)
  const wanted = Object.values(plans.isolation.entities).flatMap((picker) => picker(c.a.state).map(([what]) => what))
  const found = Object.values(c.a.samples).flatMap((samples) => samples.map((sample) => sample.what))
  t.ok(found.length === wanted.length && forbidden.length > 200, `A has every sample its plans name (${wanted.join(', ')}), and plenty to recognise it by`)

  /** Calls as B and asserts that nothing identifying A came back (except what B itself sent). */
  const asB = async (t: Test, label: string, query: string, variables: Args, as: string): Promise<GraphQLResponse<Record<string, any>>> => {
    const response = await gql(query, variables, as)
    const sent = JSON.stringify(variables)
    const text = JSON.stringify({ data: response.data, errors: response.errors })
    t.same(forbidden.filter((v) => text.includes(v) && !sent.includes(v)), [], `${label}: nothing of A in the answer`)
    return response
  }

  /** The arguments of one attempt: `value` in `slot`, B's own ids in other required ID positions, versions of whatever `id` holds. */
  const attemptArgs = (rf: RootField, plan: Extract<FieldPlan, { kind: 'ids' }>, slot: IdSlot, value: Sample): Args => {
    const slots = idSlots(rf.field)
    const required = new Set(slots.filter((s) => s.required).map((s) => pathName(s.path)))
    const target = pathName(slot.path) === 'id' ? value : slots.some((s) => pathName(s.path) === 'id') ? c.b.samples[entityOf(rf, ['id'])]?.[0] : undefined
    const fill: Filler = (path, type, needed) => {
      const key = pathName(path)
      if (key === pathName(slot.path)) return value.id
      if (type.name === 'ID' && (required.has(key) || needed === true)) {
        const entity = entityOf(rf, path)
        const own = c.b.samples[entity]?.[0]
        if (own === undefined) throw new Error(`${rf.name}(${key}): organization B has no ${entity} to fill it with; its module's isolation.entities picks none from B's state`)
        return own.id
      }
      if (type.name === 'ID') return undefined
      return path.at(-1) === 'expectedVersion' ? target?.version : undefined
    }
    const args = merge(buildArgs(rf.field, fill), plan.args?.(c) ?? {})
    return plan.rewrite?.(args) ?? args
  }

  await t.test('queries: a foreign id finds nothing, as an unknown one; lists hold only B', async (t) => {
    for (const rf of [...of('Query', 'ids'), ...of('Query', 'own')]) {
      const plan = PLAN.Query[rf.name] as Extract<FieldPlan, { kind: 'ids' | 'own' }>
      const slots = idSlots(rf.field)
      for (const [who, as] of [['admin', token.bAdmin], ['viewer', token.bViewer]] as const) {
        if (!slots.some((s) => s.required)) {
          const args = merge(buildArgs(rf.field, () => undefined), plan.args?.(c) ?? {})
          const plain = await asB(t, `${rf.name} as B's ${who}`, operationFor(rf, args), args, as)
          if (plain.data !== null) plan.check?.(t, plain.data, c)
          for (const probe of plan.probes?.(c) ?? []) {
            const label = `${rf.name}(${JSON.stringify(probe)}) as B's ${who}`
            const found = await asB(t, label, operationFor(rf, probe), probe, as)
            if (refusedByRole(found)) t.equal(who, 'viewer', `${label}: refused by role`)
            else t.same(found.data?.[rf.name], isConnection(rf.field.type) ? { totalCount: 0, nodes: [] } : [], `${label}: nothing`)
          }
        }
        if (plan.kind !== 'ids') continue
        for (const slot of slots) {
          const entity = entityOf(rf, slot.path)
          for (const sample of c.a.samples[entity] ?? []) {
            const label = `${rf.name}(${pathName(slot.path)}: A's ${sample.what ?? entity}) as B's ${who}`
            const args = attemptArgs(rf, plan, slot, sample)
            const foreign = await asB(t, label, operationFor(rf, args), args, as)
            const unknownArgs = attemptArgs(rf, plan, slot, { id: randomUUID(), version: sample.version })
            const unknown = await gql(operationFor(rf, unknownArgs), unknownArgs, as)
            t.same(outcome(foreign), outcome(unknown), `${label}: the same answer as for an unknown id`)
            if (refusedByRole(foreign)) t.equal(who, 'viewer', `${label}: refused by role, before any id is looked at`)
            else if (isConnection(rf.field.type)) t.same(foreign.data?.[rf.name], { totalCount: 0, nodes: [] }, `${label}: an empty list`)
            else t.equal(foreign.data?.[rf.name], null, `${label}: null`)
          }
          const ownSample = c.b.samples[entity]?.[0]
          if (!isConnection(rf.field.type) && ownSample !== undefined) {
            const mineArgs = attemptArgs(rf, plan, slot, ownSample)
            const mine = await gql(operationFor(rf, mineArgs), mineArgs, as)
            if (refusedByRole(mine)) t.equal(who, 'viewer', `${rf.name} is not for B's viewer at all`)
            else t.not(mine.data?.[rf.name] ?? null, null, `${rf.name} with B's own ${entity} as B's ${who} does find it (the attack above is sharp)`)
          }
        }
      }
    }
  })

  await t.test('mutations: a foreign id is refused as an unknown one, and A does not change', async (t) => {
    for (const rf of of('Mutation', 'ids')) {
      const plan = PLAN.Mutation[rf.name] as Extract<FieldPlan, { kind: 'ids' }>
      const start = await snapshot(A)
      for (const slot of idSlots(rf.field)) {
        const entity = entityOf(rf, slot.path)
        for (const sample of c.a.samples[entity] ?? []) {
          const label = `${rf.name}(${pathName(slot.path)}: A's ${sample.what ?? entity})`
          const args = attemptArgs(rf, plan, slot, sample)
          const foreign = await asB(t, label, operationFor(rf, args), args, token.bAdmin)
          const unknownArgs = attemptArgs(rf, plan, slot, { id: randomUUID(), version: sample.version })
          const unknown = await gql(operationFor(rf, unknownArgs), unknownArgs, token.bAdmin)
          t.same(outcome(foreign), outcome(unknown), `${label}: the same answer as for an unknown id`)
          if (plan.rejects !== undefined) {
            plan.rejects(t, foreign.data, label)
            continue
          }
          const error = foreign.errors?.[0]?.extensions
          t.ok(foreign.errors?.length === 1 && (error?.code === 'NOT_FOUND' || (error?.code === 'BAD_USER_INPUT' && String(error.field).replace(/\[\d+\]/g, '') === pathName(slot.path))),
            `${label}: NOT_FOUND, or BAD_USER_INPUT naming ${pathName(slot.path)} (got ${JSON.stringify(outcome(foreign))})`)
        }
      }
      t.same(await snapshot(A), start, `${rf.name}: A unchanged`)
    }
    // After the id attacks (B's own calls may pause B's writes), and those marked `last` at the end.
    const last = (rf: RootField): number => (PLAN.Mutation[rf.name] as { last?: boolean }).last === true ? 1 : 0
    for (const rf of of('Mutation', 'own').sort((x, y) => last(x) - last(y))) {
      const plan = PLAN.Mutation[rf.name] as Extract<FieldPlan, { kind: 'own' }>
      const start = await snapshot(A)
      const args = merge(buildArgs(rf.field, () => undefined), plan.args?.(c) ?? {})
      const mine = await asB(t, `${rf.name} as B's admin`, operationFor(rf, args), args, token.bAdmin)
      t.equal(mine.errors, undefined, `${rf.name} by B succeeds for B (so that A unchanged means something)`)
      t.same(await snapshot(A), start, `${rf.name} by B: A unchanged`)
    }
  })

  await t.test('subscriptions: B receives none of A\'s events', async (t) => {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const url = `${base.replace('http', 'ws')}/graphql`
    for (const rf of of('Subscription', 'event')) {
      const args = buildArgs(rf.field, (path, type) => type.name === 'ID' ? c.a.samples[entityOf(rf, path)]?.[0]?.id : undefined)
      const query = operationFor(rf, args, true)
      const listen = async (as: string): Promise<SubscriptionClient> => {
        const client = await subscribe(t, url, `Bearer ${as}`, query)
        if ('refused' in client) throw new Error(`${rf.name}: connection refused (${client.refused})`)
        return client
      }
      const [ofA, ofB, viewerOfB] = [await listen(token.aAdmin), await listen(token.bAdmin), await listen(token.bViewer)]
      await (PLAN.Subscription[rf.name] as Extract<FieldPlan, { kind: 'event' }>).trigger(c)
      await ofA.waitFor(1)
      await sleep(500)
      t.ok(ofA.events.length >= 1, `${rf.name}: A's subscriber got A's event`)
      t.same(ofB.events, [], `${rf.name}: B's admin got nothing`)
      t.same(viewerOfB.events, [], `${rf.name}: B's viewer got nothing`)
      for (const client of [ofA, ofB, viewerOfB]) client.close()
    }
  })

  const count = (root: RootKind, kinds: Array<FieldPlan['kind']>): number => classified.filter((rf) => rf.root === root && kinds.includes(PLAN[root][rf.name]?.kind ?? 'open')).length
  t.comment(`root fields attacked: ${count('Query', ['ids', 'own'])} queries, ${count('Mutation', ['ids', 'own'])} mutations, ${count('Subscription', ['event'])} subscriptions ` +
    `(with A's ids: ${count('Query', ['ids'])} queries, ${count('Mutation', ['ids'])} mutations; not attacked, no tenant data: ${classified.filter((rf) => PLAN[rf.root][rf.name]?.kind === 'open').map((rf) => rf.name).join(', ')})`)
})
