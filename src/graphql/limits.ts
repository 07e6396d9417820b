import {
  type ArgumentNode, type DocumentNode, type FragmentDefinitionNode, getNamedType, getNullableType, type GraphQLNamedType, type GraphQLSchema,
  isInterfaceType, isLeafType, isListType, isObjectType, Kind, Lexer, type OperationDefinitionNode, type SelectionSetNode, Source, TokenKind, valueFromASTUntyped
} from 'graphql'
import { AppError } from '../errors.js'
import { PAGE_SIZE } from './pagination.js'

// Limits on what one GraphQL request may ask for, enforced before anything executes:
// tokens (before parsing), then depth, cost and aliases (after validation, before execution). Every refusal is
// QUERY_TOO_COMPLEX with the measured value and the limit, so a client can tell what to change.
//
// Introspection (`__schema`, `__type`) walks the schema, not data, and graphql-js's standard query
// (what GraphiQL, IDEs and codegen send) nests 15 levels, mostly `ofType`: its subtrees are exempt
// from the depth limit and bounded by the shape of their own, which the standard query has.
// Its lists (`types`, `fields`, `args`, ...) multiply, so the amplification attack is a cycle,
// `types { fields { type { fields { type { fields ...`, each level the whole schema again. Below a
// type reference (`type`, `ofType`, `interfaces`, `possibleTypes`) a type is therefore read as a
// reference only (name, kind, ofType), never its lists: lists nest at most types > fields > args.
// `ofType` nests at most MAX_OF_TYPE deep (it costs one object a level and ends in null once the
// wrappers do), and `__schema` is read once per operation (aliases would copy it otherwise).

export interface QueryLimits {
  maxTokens: number
  maxDepth: number
  maxCost: number
  maxAliases: number
}

export interface QueryMeasure {
  /** Deepest nesting outside introspection subtrees. */
  depth: number
  cost: number
  aliases: number
  /** Deepest nesting of `ofType` in introspection. */
  ofTypeDepth: number
  /** Response keys under which `__schema` is read. */
  schemaReads: number
  /** The first introspection list read below a type reference (`fields` in `type { fields }`), if any. */
  listBelowReference: string | null
}

/** graphql-js's standard query nests 7 to 9 (its `typeDepth`), depending on the release; this schema's deepest wrapper chain is 3. */
export const MAX_OF_TYPE = 16

/** Introspection fields that list parts of the schema. */
const SCHEMA_LISTS = new Set(['types', 'fields', 'inputFields', 'args', 'enumValues', 'interfaces', 'possibleTypes', 'directives'])
/** Introspection fields that lead to a type named elsewhere rather than listed here. */
const TYPE_REFERENCES = new Set(['type', 'ofType', 'interfaces', 'possibleTypes'])

/** Where a walk is inside an introspection subtree: below a type reference or not, and how deep in `ofType`. */
interface IntrospectionPlace {
  reference: boolean
  ofType: number
}

function tooComplex (message: string, extra: Record<string, number>): AppError {
  return new AppError('QUERY_TOO_COMPLEX', message, extra, 400)
}

/** Counts lexical tokens, stopping as soon as the limit is passed (protects the parser). */
export function checkTokens (query: string, maxTokens: number): void {
  const lexer = new Lexer(new Source(query))
  let count = 0
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++count > maxTokens) {
        throw new AppError('QUERY_TOO_COMPLEX', `The document has more than ${maxTokens} tokens`, { limit: maxTokens }, 400)
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err
    // A lexing error is a syntax error: the parser reports it with its location.
  }
}

/**
 * The page size a connection field asks for: first/last, a variable's value, or the default.
 * Variables unknown when measuring (null: a subscription's) count as the largest page.
 */
function pageSize (args: readonly ArgumentNode[], variables: Record<string, unknown> | null): number {
  for (const arg of args) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue
    const { value } = arg
    const raw = value.kind === Kind.VARIABLE ? (variables === null ? PAGE_SIZE.max : variables[value.name.value]) : value.kind === Kind.INT ? Number(value.value) : undefined
    if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return Math.min(raw, PAGE_SIZE.max)
  }
  return PAGE_SIZE.default
}

/**
 * Depth, cost and aliases of one operation. Cost counts one per field, multiplied by the page
 * sizes of the connections above it: `vehicles(first: 50) { nodes { facility { name } } }` costs
 * 1 + 50 x 3. A connection below a plain list (not a page's nodes) also counts the list as
 * PAGE_SIZE.max items: `fleetPositions { vehicle { trips(first: 50) { ... } } }` is 200 x 50 a field.
 */
export function measure (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, sent: Record<string, unknown> | null): QueryMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  // A variable the client did not send takes its declared default (`$n: Int = 200`).
  const variables = sent === null ? null : { ...defaultsOf(operation), ...sent }
  const result: QueryMeasure = { depth: 0, cost: 0, aliases: 0, ofTypeDepth: 0, schemaReads: 0, listBelowReference: null }
  const schemaKeys = new Set<string>()
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType()

  // `fanOut`: a plain list above (fleetPositions: the whole fleet), whose length is not known
  // here. It multiplies the connections below it, as if it held PAGE_SIZE.max items, and nothing
  // else: a list's scalar fields are cheap, its nested pages are not.
  // `introspection`: the place inside an introspection subtree, null outside one.
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | null | undefined, depth: number, multiplier: number, fanOut: number, seen: ReadonlySet<string>, introspection: IntrospectionPlace | null): void => {
    if (introspection === null) result.depth = Math.max(result.depth, depth)
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias !== undefined) result.aliases++
        result.cost += multiplier
        const name = selection.name.value
        const place = introspectionPlace(name, introspection)
        if (name === '__schema') schemaKeys.add(selection.alias?.value ?? name)
        if (introspection?.reference === true && SCHEMA_LISTS.has(name)) result.listBelowReference ??= name
        if (place !== null) result.ofTypeDepth = Math.max(result.ofTypeDepth, place.ofType)
        const fields = parent !== null && parent !== undefined && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields() : {}
        const field = fields[name]
        const type = field === undefined ? null : getNamedType(field.type)
        const isConnection = type?.name.endsWith('Connection') === true
        // A connection's nodes and edges are the page already counted, not a list of unknown length.
        const pageOfParent = parent?.name.endsWith('Connection') === true || parent?.name.endsWith('Edge') === true
        const isList = field !== undefined && isListType(getNullableType(field.type)) && !pageOfParent && type !== null && !isLeafType(type)
        if (selection.selectionSet !== undefined) {
          if (isConnection) walk(selection.selectionSet, type, depth + 1, multiplier * pageSize(selection.arguments ?? [], variables) * fanOut, 1, seen, place)
          else walk(selection.selectionSet, type, depth + 1, multiplier, isList ? fanOut * PAGE_SIZE.max : fanOut, seen, place)
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition === undefined ? parent : schema.getType(selection.typeCondition.name.value)
        walk(selection.selectionSet, type, depth, multiplier, fanOut, seen, introspection)
      } else {
        const name = selection.name.value
        const fragment = fragments.get(name)
        if (fragment === undefined || seen.has(name)) continue
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), depth, multiplier, fanOut, new Set([...seen, name]), introspection)
      }
    }
  }
  walk(operation.selectionSet, root, 1, 1, 1, new Set(), null)
  result.schemaReads = schemaKeys.size
  return result
}

/** The place of a field's selections: inside introspection from `__schema` and `__type` down. */
function introspectionPlace (field: string, outer: IntrospectionPlace | null): IntrospectionPlace | null {
  if (outer === null) return field === '__schema' || field === '__type' ? { reference: false, ofType: 0 } : null
  return { reference: outer.reference || TYPE_REFERENCES.has(field), ofType: outer.ofType + (field === 'ofType' ? 1 : 0) }
}

/**
 * Refuses a document with an operation over the limits (before anything executes). Every operation
 * of the document is measured, not only the one named: the choice of operation is the client's,
 * and a batch or a subscription could otherwise have a small operation measured and a large one run.
 */
export function checkComplexity (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null, limits: QueryLimits): void {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    const { depth, cost, aliases, ofTypeDepth, schemaReads, listBelowReference } = measure(schema, document, definition, variables)
    if (depth > limits.maxDepth) throw tooComplex(`The query is nested ${depth} levels deep; at most ${limits.maxDepth} are allowed`, { depth, limit: limits.maxDepth })
    if (cost > limits.maxCost) throw tooComplex(`The query would cost ${cost} (fields times page sizes); at most ${limits.maxCost} is allowed: ask for smaller pages`, { cost, limit: limits.maxCost })
    if (aliases > limits.maxAliases) throw tooComplex(`The query uses ${aliases} aliases; at most ${limits.maxAliases} are allowed`, { aliases, limit: limits.maxAliases })
    if (listBelowReference !== null) {
      throw tooComplex(`Introspection lists \`${listBelowReference}\` of a type reached through a reference (type, ofType, interfaces, possibleTypes): read its name there, and its ${listBelowReference} from __schema.types or __type(name:)`, {})
    }
    if (ofTypeDepth > MAX_OF_TYPE) throw tooComplex(`Introspection nests ofType ${ofTypeDepth} levels deep; at most ${MAX_OF_TYPE} are allowed`, { depth: ofTypeDepth, limit: MAX_OF_TYPE })
    if (schemaReads > 1) throw tooComplex(`The operation reads __schema ${schemaReads} times; once is allowed`, { limit: 1 })
  }
}

function defaultsOf (operation: OperationDefinitionNode): Record<string, unknown> {
  const defaults: Record<string, unknown> = {}
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue !== undefined) defaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue)
  }
  return defaults
}
