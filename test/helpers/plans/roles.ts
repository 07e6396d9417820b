// What a module's test-plan.ts tells test/roles.test.ts, which calls every root query and mutation
// as every role and reads every field the permission matrix guards below the roots.

export interface RolesPlan {
  /** Arguments that would write something if the call were allowed, made invalid so that nothing changes: by root field. */
  harmless?: Record<string, Record<string, unknown>>
  /** How to reach a row of a type the module owns, for any role allowed at the root: a query around `selection`. */
  reach?: Record<string, (selection: string) => string>
  /** The selection of a guarded field it adds below the roots when `<field> { id }` is not one: by `Type.field`. */
  select?: Record<string, string>
}
