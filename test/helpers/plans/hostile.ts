import type { Reply } from '../hostile.js'

// What a module's test-plan.ts tells the schema-driven barrage of test/hostile-input.test.ts,
// which throws hostile strings at every String and ID position of every root field: what to fill
// the other positions with so that a call gets as far as storing, and what to undo after it.

/** The production build under attack, as the plans reach it (as the demo admin unless a token is given). */
export interface HostileTarget {
  ask: (query: string, variables?: object, token?: string | null) => Promise<Reply>
  /** The data of a query that must succeed. */
  get: (query: string, variables?: object, token?: string | null) => Promise<Record<string, any>>
  login: (email: string) => Promise<string>
  organizationId: string
}

/** Read once before the barrage from the plans' `ids` and `values`. */
export interface Samples {
  /** An id per entity (`vehicle`, `driver`, ...) for the ID positions that are not under attack. */
  ids: Record<string, string>
  values: Record<string, string>
}

/** A user acting on themself, and what the barrage knows of them. */
export interface Self { email: string, password: string, token: string }

export interface HostilePlan {
  /** How to find an id of the demo organization for each entity the module owns. */
  ids?: Record<string, (h: HostileTarget) => Promise<string>>
  /** Root fields whose own `id` names a row no query reads by id (voidMeterReading), and the entity to fill it with. */
  ownIds?: Record<string, string>
  /** Other values its `fixed` entries read, by name. */
  values?: Record<string, (h: HostileTarget) => Promise<string>>
  /** Per root field: argument values, by path, that must be fixed for the call to get as far as storing. */
  fixed?: Record<string, Record<string, (s: Samples) => unknown>>
  /**
   * Mutations that report a refused row in their payload, per row, rather than failing the call
   * (recordPositions: good fixes are stored, bad ones reported): how to tell the row was refused.
   */
  refusedInData?: Record<string, { selection: string, refused: (payload: any) => boolean }>
  /**
   * Per root field: inputs that become an item of a list below what it returns, by input path (a
   * prefix) and that list (`addWorkOrderPart: { input: 'parts' }`); the item added last is read back.
   */
  storedIn?: Record<string, Record<string, string>>
  /** Per root field: what to undo after each call. */
  after?: Record<string, (h: HostileTarget) => Promise<void>>
  /**
   * Root fields that change the caller themself (and end the caller's other sessions): called as a
   * user of their own, whose state carries from call to call, never as the admin running the rest.
   */
  self?: Record<string, {
    email: string
    /** Arguments that depend on the user's state. */
    fixed: (self: Self) => Record<string, unknown>
    /** After a call succeeded with `value` in the slot under attack: update the state; a problem if the value did not take. */
    accepted: (h: HostileTarget, self: Self, value: string) => Promise<string | null>
  }>
  /**
   * Required text positions, by name, that need a value of their own per call because the module
   * holds them unique; every root field with a required position of that name gets one.
   */
  unique?: Record<string, (n: number) => string>
  /** Mutations whose calls cannot get in each other's way (no row of the caller's changes), sent together. */
  concurrent?: readonly string[]
}
