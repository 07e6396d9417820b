/** `%term%` for a case-insensitive LIKE, with the user's own `%`, `_` and `\` taken literally. */
export function containsPattern (term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
