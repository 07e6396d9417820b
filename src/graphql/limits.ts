import {
  type ArgumentNode, type DocumentNode, type FragmentDefinitionNode, getNamedType, type GraphQLNamedType, type GraphQLSchema,
  isInterfaceType, isObjectType, Kind, Lexer, type OperationDefinitionNode, type SelectionSetNode, Source, TokenKind, valueFromASTUntyped
} from 'graphql'
import { AppError } from './errors.js'
import { PAGE_SIZE } from './pagination.js'

// Limits on what one GraphQL request may ask for, enforced before anything executes:
// tokens (before parsing), then depth, cost and aliases (after validation, before execution). Every refusal is
// QUERY_TOO_COMPLEX with the measured value and the limit, so a client can tell what to change.

export interface QueryLimits {
  maxTokens: number
  maxDepth: number
  maxCost: number
  maxAliases: number
}

export interface QueryMeasure {
  depth: number
  cost: number
  aliases: number
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
 * Depth, cost and aliases of the operation that will run. Cost counts one per field, multiplied
 * by the page sizes of the connections above it: `vehicles(first: 50) { nodes { facility { name } } }`
 * costs 1 + 50 x 3.
 */
export function measure (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, sent: Record<string, unknown> | null): QueryMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  // A variable the client did not send takes its declared default (`$n: Int = 200`).
  const variables = sent === null ? null : { ...defaultsOf(operation), ...sent }
  const result: QueryMeasure = { depth: 0, cost: 0, aliases: 0 }
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType()

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | null | undefined, depth: number, multiplier: number, seen: ReadonlySet<string>): void => {
    result.depth = Math.max(result.depth, depth)
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias !== undefined) result.aliases++
        result.cost += multiplier
        const fields = parent !== null && parent !== undefined && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields() : {}
        const type = fields[selection.name.value] === undefined ? null : getNamedType(fields[selection.name.value]?.type)
        const isConnection = type?.name.endsWith('Connection') === true
        if (selection.selectionSet !== undefined) {
          walk(selection.selectionSet, type, depth + 1, isConnection ? multiplier * pageSize(selection.arguments ?? [], variables) : multiplier, seen)
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition === undefined ? parent : schema.getType(selection.typeCondition.name.value)
        walk(selection.selectionSet, type, depth, multiplier, seen)
      } else {
        const name = selection.name.value
        const fragment = fragments.get(name)
        if (fragment === undefined || seen.has(name)) continue
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), depth, multiplier, new Set([...seen, name]))
      }
    }
  }
  walk(operation.selectionSet, root, 1, 1, new Set())
  return result
}

/**
 * Refuses a document with an operation over the limits (before anything executes). Every operation
 * of the document is measured, not only the one named: the choice of operation is the client's,
 * and a batch or a subscription could otherwise have a small operation measured and a large one run.
 */
export function checkComplexity (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null, limits: QueryLimits): void {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    const { depth, cost, aliases } = measure(schema, document, definition, variables)
    if (depth > limits.maxDepth) throw tooComplex(`The query is nested ${depth} levels deep; at most ${limits.maxDepth} are allowed`, { depth, limit: limits.maxDepth })
    if (cost > limits.maxCost) throw tooComplex(`The query would cost ${cost} (fields times page sizes); at most ${limits.maxCost} is allowed: ask for smaller pages`, { cost, limit: limits.maxCost })
    if (aliases > limits.maxAliases) throw tooComplex(`The query uses ${aliases} aliases; at most ${limits.maxAliases} are allowed`, { aliases, limit: limits.maxAliases })
  }
}

function defaultsOf (operation: OperationDefinitionNode): Record<string, unknown> {
  const defaults: Record<string, unknown> = {}
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue !== undefined) defaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue)
  }
  return defaults
}
