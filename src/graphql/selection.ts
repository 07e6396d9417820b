import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql'
import type { AliasedRawBuilder, RawBuilder } from 'kysely'
import type { Loaders } from '../modules/index.js'

// Selection-aware lists: what a query asks of a list's rows decides what the list's own statement
// brings. A to-one relation the query selects (a vehicle's facility, its current assignment and
// driver) comes back as a correlated subquery's JSON in the same statement and is handed to the
// request's loaders, so its resolver finds it there instead of sending one statement per relation.
// Resolvers stay as they are: they ask the loaders, and the permission checks in them still run.
//
// The selection is read through fragments, and through a connection's `nodes { … }` and
// `edges { node { … } }`. @skip and @include are not evaluated: a relation behind one is fetched
// whether or not it is shown, which costs a subquery and is never wrong.

/** A to-one relation a list can bring in its own statement when the query selects it. */
export interface Inclusion<Row> {
  /** The fields of a row's GraphQL type that read it. */
  fields: readonly string[]
  /** Its column in the list's statement… */
  alias: string
  /** …a correlated subquery returning JSON (or null); json, not jsonb: cheaper to build for rows that only travel. */
  expression: RawBuilder<unknown>
  /** Hands what came back to the request's loaders. */
  prime: (loaders: Loaders, row: Row, value: unknown) => void
}

/** The fields the query selects on the rows of the list being resolved (directly, or as a connection's nodes). */
export function rowFields (info: GraphQLResolveInfo): Set<string> {
  const fields = new Set<string>()
  for (const node of info.fieldNodes) {
    if (node.selectionSet === undefined) continue
    const top = fieldsOf(node.selectionSet, info)
    if (!top.has('nodes') && !top.has('edges')) {
      for (const name of top.keys()) fields.add(name)
      continue
    }
    for (const set of top.get('nodes') ?? []) for (const name of fieldsOf(set, info).keys()) fields.add(name)
    for (const edge of top.get('edges') ?? []) {
      for (const set of fieldsOf(edge, info).get('node') ?? []) for (const name of fieldsOf(set, info).keys()) fields.add(name)
    }
  }
  return fields
}

/** The inclusions the query asks for. */
export function wanted<Row> (info: GraphQLResolveInfo, inclusions: ReadonlyArray<Inclusion<Row>>): Array<Inclusion<Row>> {
  const fields = rowFields(info)
  return inclusions.filter((inclusion) => inclusion.fields.some((field) => fields.has(field)))
}

/** The columns that bring them. */
export function columnsOf<Row> (included: ReadonlyArray<Inclusion<Row>>): Array<AliasedRawBuilder<unknown, string>> {
  return included.map((inclusion) => inclusion.expression.as(inclusion.alias))
}

/**
 * Hands the included relations to the loaders and empties their columns (set to undefined, not
 * deleted: a deleted property turns every row into a slow dictionary-mode object).
 */
export function primeIncluded<Row extends object> (loaders: Loaders, rows: readonly Row[], included: ReadonlyArray<Inclusion<Row>>): void {
  if (included.length === 0) return
  for (const row of rows) {
    const record = row as Record<string, unknown>
    for (const inclusion of included) {
      inclusion.prime(loaders, row, record[inclusion.alias] ?? null)
      record[inclusion.alias] = undefined
    }
  }
}

/** Field name -> the selection sets under it, through fragments. */
function fieldsOf (set: SelectionSetNode, info: GraphQLResolveInfo, into = new Map<string, SelectionSetNode[]>(), seen = new Set<string>()): Map<string, SelectionSetNode[]> {
  for (const selection of set.selections) {
    if (selection.kind === 'Field') {
      const name = selection.name.value
      const sets = into.get(name) ?? []
      if (selection.selectionSet !== undefined) sets.push(selection.selectionSet)
      into.set(name, sets)
    } else if (selection.kind === 'InlineFragment') {
      fieldsOf(selection.selectionSet, info, into, seen)
    } else {
      const name = selection.name.value
      const fragment = info.fragments[name]
      if (fragment === undefined || seen.has(name)) continue
      seen.add(name)
      fieldsOf(fragment.selectionSet, info, into, seen)
    }
  }
  return into
}
