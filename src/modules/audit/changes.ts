import type { AuditChangeValue } from './tables.js'

// An audit record's `changes` column ({ column: { before, after } | { redacted: true } }) as
// the AuditChange list of the API: fields in camelCase, in a stable order.

export interface AuditChangeParent {
  field: string
  before: unknown
  after: unknown
  redacted: boolean
}

const camelCase = (column: string): string => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

export function auditChanges (changes: Record<string, AuditChangeValue>): AuditChangeParent[] {
  return Object.keys(changes).sort().map((column) => {
    const change = changes[column] as AuditChangeValue
    return 'redacted' in change
      ? { field: camelCase(column), before: null, after: null, redacted: true }
      : { field: camelCase(column), before: change.before, after: change.after, redacted: false }
  })
}
