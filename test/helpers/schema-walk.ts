import {
  astFromValue, getNamedType, print, getNullableType, type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLOutputType,
  type GraphQLSchema, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, isObjectType
} from 'graphql'

// Walks the schema for suites that must cover every root field without listing their shapes:
// the root fields, where IDs go in their arguments, arguments filled with valid dummy values,
// and a small selection set for any return type.

export type RootKind = 'Query' | 'Mutation' | 'Subscription'

export interface RootField {
  root: RootKind
  name: string
  field: GraphQLField<unknown, unknown>
}

/** Every field of Query, Mutation and Subscription, in schema order. */
export function rootFields (schema: GraphQLSchema): RootField[] {
  const roots: Array<[RootKind, ReturnType<GraphQLSchema['getQueryType']>]> = [
    ['Query', schema.getQueryType()], ['Mutation', schema.getMutationType()], ['Subscription', schema.getSubscriptionType()]
  ]
  return roots.flatMap(([root, type]) => Object.values(type?.getFields() ?? {}).map((field) => ({ root, name: field.name, field })))
}

/** A place for an ID in a root field's arguments: `['id']`, `['input', 'vehicleId']`, `['filter', 'facilityId']`. */
export interface IdSlot {
  path: string[]
  required: boolean
}

function slotsIn (type: GraphQLInputType, path: string[], required: boolean, seen: Set<string>): IdSlot[] {
  const named = getNamedType(type)
  const here = required && isNonNullType(type)
  if (named.name === 'ID') return [{ path, required: here }]
  if (!isInputObjectType(named) || seen.has(named.name)) return []
  const inner = new Set(seen).add(named.name)
  return Object.values(named.getFields()).flatMap((f) => slotsIn(f.type, [...path, f.name], here, inner))
}

/** Every ID argument and every ID field of an input object, at any depth. */
export function idSlots (field: GraphQLField<unknown, unknown>): IdSlot[] {
  return field.args.flatMap((arg) => slotsIn(arg.type, [arg.name], true, new Set()))
}

export const pathName = (path: readonly string[]): string => path.join('.')

/** A valid dummy value of a non-ID scalar or enum: what a form would send when nothing matters. */
export function dummyScalar (type: GraphQLNamedType): unknown {
  if (isEnumType(type)) return type.getValues()[0]?.value
  switch (type.name) {
    case 'String': return 'isolation-probe'
    case 'Int': return 1
    case 'Float': return 1
    case 'Boolean': return true
    case 'DateTime': return new Date(Date.now() + 3_600_000).toISOString()
    default: throw new Error(`no dummy value for scalar ${type.name}: add one to dummyScalar() in test/helpers/schema-walk.ts`)
  }
}

/**
 * What to put in one argument position. Return undefined to leave an optional position out (a
 * required one then gets a dummy value; a required ID must be answered). `needed`: asked again for
 * an ID that its input object requires, once that object is being sent (a task line's `taskId`
 * when the line carries the value under test); undefined there leaves the call impossible.
 */
export type Filler = (path: string[], type: GraphQLNamedType, needed?: boolean) => unknown

interface Built { value: unknown, answered: boolean, missing: Array<{ path: string[], type: GraphQLNamedType }> }

/**
 * An optional position is left out unless `fill` answered somewhere inside it. `inOptionalList`:
 * the position is the item of a list that may itself be left out (`vehicleIds: [ID!]`).
 */
function valueOf (type: GraphQLInputType, path: string[], fill: Filler, inOptionalList = false): Built {
  const required = isNonNullType(type) && !inOptionalList
  const nullable = getNullableType(type)
  if (isListType(nullable)) {
    const item = valueOf(nullable.ofType, path, fill, !required)
    return item.answered ? { value: [item.value], answered: true, missing: item.missing } : { value: required ? [] : undefined, answered: false, missing: [] }
  }
  const named = getNamedType(type)
  if (isInputObjectType(named)) {
    const value: Record<string, unknown> = {}
    let answered = false
    const missing: Built['missing'] = []
    for (const f of Object.values(named.getFields())) {
      const built = valueOf(f.type, [...path, f.name], fill)
      if (built.value !== undefined) value[f.name] = built.value
      answered ||= built.answered
      missing.push(...built.missing)
    }
    if (!answered && !required) return { value: undefined, answered, missing: [] }
    // Sent: its required IDs must be there.
    for (const m of missing) {
      const given = fill(m.path, m.type, true)
      if (given === undefined) throw new Error(`no value for the required ID ${pathName(m.path)}`)
      set(value, m.path.slice(path.length), given)
    }
    return { value, answered, missing: [] }
  }
  const given = fill(path, named)
  if (given !== undefined) return { value: given, answered: true, missing: [] }
  if (!required) return { value: undefined, answered: false, missing: [] }
  if (named.name === 'ID') return { value: undefined, answered: false, missing: [{ path, type: named }] }
  return { value: dummyScalar(named), answered: false, missing: [] }
}

/** Sets `value` at `path` below `target`, through the single-item lists valueOf builds. */
function set (target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path as [string, ...string[]]
  if (rest.length === 0) {
    target[head] = value
    return
  }
  const next = target[head]
  set((Array.isArray(next) ? next[0] : next) as Record<string, unknown>, rest, value)
}

/** Arguments for a root field: required positions filled (dummies unless `fill` answers), optional ones only where `fill` answers. */
export function buildArgs (field: GraphQLField<unknown, unknown>, fill: Filler): Record<string, unknown> {
  const args: Record<string, unknown> = {}
  for (const arg of field.args) {
    const { value, missing } = valueOf(arg.type, [arg.name], fill)
    const top = missing.find((m) => m.path.length === 1)
    if (top !== undefined) {
      const given = fill(top.path, top.type, true)
      if (given === undefined) throw new Error(`no value for the required ID ${pathName(top.path)}`)
      args[arg.name] = given
    } else if (value !== undefined) args[arg.name] = value
  }
  return args
}

/** Deep-merges plain objects (arrays and scalars of `patch` replace). */
export function merge (base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key]
    const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
    out[key] = plain(current) && plain(value) ? merge(current, value) : value
  }
  return out
}

/**
 * A small selection set: `id` when the type has one; for a connection `totalCount nodes { id }`;
 * otherwise `__typename` and its scalar fields that need no arguments.
 */
export function selectionFor (type: GraphQLOutputType): string {
  const named = getNamedType(type)
  if (isLeafType(named)) return ''
  if (!isObjectType(named)) return '{ __typename }'
  const fields = named.getFields()
  if (fields.id !== undefined) return '{ id }'
  if (fields.nodes !== undefined && fields.totalCount !== undefined) return `{ totalCount nodes ${selectionFor(fields.nodes.type)} }`
  const scalars = Object.values(fields)
    .filter((f) => isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type)))
    .map((f) => f.name)
  return `{ __typename ${scalars.join(' ')} }`
}

/** Whether a type is a Relay connection (`totalCount` and `nodes`). */
export function isConnection (type: GraphQLOutputType): boolean {
  const named = getNamedType(type)
  return isObjectType(named) && named.getFields().nodes !== undefined && named.getFields().totalCount !== undefined
}

/**
 * The operation text calling one root field with these arguments: as variables named like the
 * arguments, or `inline` as literals (for clients that send no variables).
 */
export function operationFor ({ root, name, field }: RootField, args: Record<string, unknown>, inline = false): string {
  const used = field.args.filter((a) => args[a.name] !== undefined)
  const variables = inline ? '' : used.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')
  const literal = (a: (typeof used)[number]): string => {
    const ast = astFromValue(args[a.name], a.type)
    if (ast === null || ast === undefined) throw new Error(`cannot write ${name}(${a.name}) as a literal`)
    return print(ast)
  }
  const call = used.length === 0 ? name : `${name}(${used.map((a) => `${a.name}: ${inline ? literal(a) : `$${a.name}`}`).join(', ')})`
  const keyword = root === 'Query' ? 'query' : root === 'Mutation' ? 'mutation' : 'subscription'
  return `${keyword}${variables === '' ? '' : ` (${variables})`} { ${call} ${selectionFor(field.type)} }`
}
