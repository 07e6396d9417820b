import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql'

// DateTime: ISO-8601 with an explicit offset on input (a time without a zone is ambiguous
// for a fleet spread over time zones), always UTC with milliseconds on output.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i

function parseDateTime (value: unknown): Date {
  if (typeof value !== 'string' || !ISO_8601.test(value)) {
    throw new GraphQLError('DateTime must be an ISO-8601 string with a time zone, e.g. 2026-01-31T08:00:00Z', { extensions: { code: 'BAD_USER_INPUT' } })
  }
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime "${value}" is not a real point in time`, { extensions: { code: 'BAD_USER_INPUT' } })
  }
  return date
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'A point in time, ISO-8601. Output is always UTC (`2026-01-31T08:00:00.000Z`); input needs an offset or `Z`.',
  serialize (value) {
    const date = value instanceof Date ? value : new Date(value as string)
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date')
    return date.toISOString()
  },
  parseValue: parseDateTime,
  parseLiteral (ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('DateTime must be a string', { extensions: { code: 'BAD_USER_INPUT' } })
    }
    return parseDateTime(ast.value)
  }
})

/** Any JSON value, passed through as it is (audit before/after values). */
export const JSONValue = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables)
})
