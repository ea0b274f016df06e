import { invalidField } from './problem.js'

/** A referenced record in a body or filter must exist: otherwise 400 naming the field. */
export function mustExist<T>(row: T | undefined, path: string, what: string): T {
  if (row === undefined) throw invalidField(path, `no ${what} with this identifier`)
  return row
}
