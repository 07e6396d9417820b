import { badInput } from '../errors.js'

// Input checks shared by the modules. Each throws BAD_USER_INPUT naming the field, so a form can
// put the message next to the right input. Text is trimmed; control characters are refused.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

export function id (value: string, field: string): string {
  if (!UUID.test(value)) throw badInput(`${field} must be a UUID`, field)
  return value.toLowerCase()
}

export function text (value: string, field: string, max: number): string {
  // A lone UTF-16 surrogate cannot be stored as UTF-8: PostgreSQL would get U+FFFD instead.
  if (!value.isWellFormed()) throw badInput(`${field} is not valid Unicode text`, field)
  const trimmed = value.trim()
  if (trimmed.length === 0) throw badInput(`${field} must not be empty`, field)
  if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters`, field)
  if (CONTROL.test(trimmed)) throw badInput(`${field} must not contain control characters`, field)
  return trimmed
}

/** Optional text: null or blank means "none". */
export function optionalText (value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined || value.trim() === '') return null
  return text(value, field, max)
}

export function number (value: number, field: string, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) throw badInput(`${field} must be between ${min} and ${max}`, field)
  return value
}

export function integer (value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value)) throw badInput(`${field} must be a whole number`, field)
  return number(value, field, min, max)
}

export function email (value: string, field: string): string {
  const trimmed = text(value, field, 254).toLowerCase()
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(trimmed)) throw badInput(`${field} is not an email address`, field)
  return trimmed
}

/** Whether an update input mentions a field (null included: null clears it). */
export function given<T extends object> (input: T, key: keyof T): boolean {
  return Object.prototype.hasOwnProperty.call(input, key) && input[key] !== undefined
}

/** A field an update may not set to null (the column is required). */
export function present<T> (value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw badInput(`${field} cannot be null`, field)
  return value
}

/** An enum-list filter, each value once: 100 000 copies of ACTIVE are one value to the database. */
export function distinct<T> (values: readonly T[] | null | undefined): T[] | undefined {
  return values === null || values === undefined ? undefined : [...new Set(values)]
}

/** A list of free-form values in a filter: at most `max` distinct ones, each checked. */
export function listOf<T> (values: readonly string[] | null | undefined, field: string, max: number, check: (value: string, field: string) => T): T[] | undefined {
  if (values === null || values === undefined) return undefined
  const unique = [...new Set(values)]
  if (unique.length > max) throw badInput(`${field} may name at most ${max} values`, field)
  return unique.map((value, i) => check(value, `${field}[${i}]`))
}

/** An optional time window [from, to) of a filter: `to` must come after `from` when both are given. */
export function period (from: Date | null | undefined, to: Date | null | undefined, prefix = ''): { from?: Date, to?: Date } {
  const window = { ...(from === null || from === undefined ? {} : { from }), ...(to === null || to === undefined ? {} : { to }) }
  if (window.from !== undefined && window.to !== undefined && window.to <= window.from) throw badInput(`${prefix}to must be after ${prefix}from`, `${prefix}to`)
  return window
}
