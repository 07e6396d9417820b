import type { Test } from 'tap'
import type { dataFetcher } from '../graphql.js'
import type { RootKind } from '../schema-walk.js'

// What a module's test-plan.ts tells test/isolation.test.ts: how to attack each root field it adds
// with the other organization's ids, and the entities it owns (how to sample them from an
// organization's state, which part of that state a foreign call must not change, which strings
// identify the organization). The suite owns the attack loops, the snapshots and the judging.

export type Args = Record<string, unknown>
export type Fetch = ReturnType<typeof dataFetcher>

/** An id to attack with, the version an update of it needs, and what it is (`free vehicle`). */
export interface Sample { id: string, version: number, what?: string }

/** An organization as its admin sees it: `state` is the STATE document's answer (every module's part of it). */
export interface Org {
  /** Ids to attack with (A) or to fill other required ID positions with (B: the first), by entity. */
  samples: Record<string, Sample[]>
  state: any
}

/** A is the attacked organization (`demo`), B the attacker (`other`); `A` reads and writes as A's admin. */
export interface IsolationCtx { a: Org, b: Org, A: Fetch }

type Check = (t: Test, data: Record<string, any>, c: IsolationCtx) => void
/** How a mutation that reports refusals as data (not as an error) refused A's id. */
type Rejects = (t: Test, data: Record<string, any> | null, label: string) => void

export type FieldPlan =
  /** Takes ids: every ID argument and ID input field is attacked with A's ids (`args` are merged into the generated arguments). */
  | { kind: 'ids', args?: (c: IsolationCtx) => Args, probes?: (c: IsolationCtx) => Args[], check?: Check, rewrite?: (args: Args) => Args, rejects?: Rejects }
  /** Takes no ids and acts on the caller's own organization: run as B, A must see no change and B nothing of A. */
  | { kind: 'own', why: string, args?: (c: IsolationCtx) => Args, probes?: (c: IsolationCtx) => Args[], check?: Check, last?: boolean }
  /** Touches no tenant data by id (sessions, error reports): not attacked. */
  | { kind: 'open', why: string }
  /** A subscription: `trigger` makes A's event happen; B must not receive it. */
  | { kind: 'event', trigger: (c: IsolationCtx) => Promise<void> }

export const ids = (extra: Omit<Extract<FieldPlan, { kind: 'ids' }>, 'kind'> = {}): FieldPlan => ({ kind: 'ids', ...extra })
export const own = (why: string, extra: Omit<Extract<FieldPlan, { kind: 'own' }>, 'kind' | 'why'> = {}): FieldPlan => ({ kind: 'own', why, ...extra })
export const open = (why: string): FieldPlan => ({ kind: 'open', why })
export const event = (trigger: (c: IsolationCtx) => Promise<void>): FieldPlan => ({ kind: 'event', trigger })

/** A real change, so that an update that got through would show in A's snapshot. */
export const TAKE_OVER = { input: { name: 'Taken over by other' } }

/** The rows of an organization's state to attack with, each with what it is; missing ones are undefined. */
export type Picker = (state: any) => ReadonlyArray<readonly [what: string, row: { id: string, version: number } | undefined]>

export interface IsolationPlan {
  /** Every root field the module adds (its access slice), and how the suite attacks it. */
  fields?: Partial<Record<RootKind, Record<string, FieldPlan>>>
  /** The entities it owns, by the name ID arguments use (`vehicle` for `vehicleId`, `vehicleIds`, `updateVehicle(id)`). */
  entities?: Record<string, Picker>
  /** ID arguments of its fields whose name says no entity, and the entity to attack them with (`entityId: 'vehicle'`). */
  genericIds?: Record<string, string>
  state?: {
    /** Its part of the STATE document: what a call of B could change, read as an organization's admin. */
    selection: string
    /** Its connections in that part: each must fit on the page it asks for; a snapshot sorts them by id. */
    lists?: readonly string[]
    /** Fields of a list's nodes that move with the clock, left out of snapshots (`assignments: ['isCurrent']`). */
    moving?: Record<string, readonly string[]>
  }
  /** What identifies an organization in a JSON text, from its state (ids, names, emails); short or shared values are dropped. */
  identifiers?: (state: any) => unknown[]
  /** Makes rows of A exist that its plans attack (an assignment that has not started), before A is sampled. */
  prepare?: (A: Fetch, a: Org) => Promise<void>
}
