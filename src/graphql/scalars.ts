import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql'

// DateTime: ISO-8601 with an explicit offset on input (a time without a zone is ambiguous
// for a fleet spread over time zones), always UTC with milliseconds on output.
export const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/i

/**
 * The instant an ISO-8601 text (matching ISO_8601) names, or null when it names none: a day the
 * month does not have, hour 24, minute 60 (JavaScript would roll 30 February over to 2 March).
 */
export function isoInstant (value: string): Date | null {
  const parts = ISO_8601.exec(value)
  if (parts === null) return null
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = parts.slice(1).map((part) => Number(part ?? 0)) as number[] as [number, number, number, number, number, number, number, number]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

function parseDateTime (value: unknown): Date {
  if (typeof value !== 'string' || !ISO_8601.test(value)) {
    throw new GraphQLError('DateTime must be an ISO-8601 string with a time zone, e.g. 2026-01-31T08:00:00Z', { extensions: { code: 'BAD_USER_INPUT' } })
  }
  const date = isoInstant(value)
  if (date === null) {
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
