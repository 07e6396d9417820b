import type { GraphQLResponse, TestApp } from '../app.js'

// What a module's test-plan.ts tells test/audit.test.ts: for every mutation it adds, how to make
// it change something and the audit record that change must leave, or why it records nothing.

/** The demo organization's admin, fleet manager and dispatcher as an audited mutation sees them. */
export interface AuditCtx {
  gql: TestApp['gql']
  token: { admin: string, manager: string, dispatcher: string }
  ids: { admin: string, manager: string, dispatcher: string, viewer: string }
  /** A vehicle and a driver with no current or coming assignment, and ids to act on. */
  free: { vehicle: string, driver: string }
  vehicle: { id: string, version: number }
  driver: { id: string, version: number }
  facility: { id: string, version: number }
}

/** One mutation run for the trail: who runs it (the expected actor) and the record it must leave. */
export interface AuditRun {
  as: keyof AuditCtx['ids']
  entity: string
  action: string
  call: (c: AuditCtx) => Promise<GraphQLResponse>
}

/** Per mutation: a run, or why it leaves no record of its own. */
export type AuditPlan = Record<string, AuditRun | { exempt: string }>
