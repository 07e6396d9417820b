/**
 * The values of an `IN` filter. SQL has no empty `IN ()`: a filter given as an empty list (match
 * none of these) becomes `IN (NULL)`, which matches nothing.
 */
export function anyOf<T> (values: readonly T[]): T[] {
  return values.length === 0 ? [null as never] : [...values]
}
