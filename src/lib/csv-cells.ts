/**
 * CSV cells that are safe to open in a spreadsheet (OWASP's CSV-injection advice): a cell whose
 * text would start a formula (`=`, `+`, `-`, `@`, tab or CR first) is written with a leading `'`,
 * and the import removes exactly that one `'` again, so an export re-imports as unchanged.
 *
 * A value that already starts with quotes before such a character gets one more (`'=x` is
 * written `''=x`), so removing one quote always gives the value back, and a value like
 * `'t Hooft` (no formula character after the quote) passes both ways untouched.
 *
 * A number is written as it is (`-5`, `+1.5e3`; an E.164 phone number such as `+996312620000`
 * is one): a spreadsheet reads it as that number, not as a formula. Dates and timestamps start
 * with a digit, so the rule never touches them.
 */

const FORMULA_START = /^'*[=+\-@\t\r]/
const QUOTED_FORMULA_START = /^'+[=+\-@\t\r]/
const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** The cell text to write for `value`. */
export function protectCell(value: string): string {
  return FORMULA_START.test(value) && !NUMBER.test(value) ? `'${value}` : value
}

/** The value a cell written by `protectCell` holds: the inverse, for every string. */
export function unprotectCell(cell: string): string {
  return QUOTED_FORMULA_START.test(cell) ? cell.slice(1) : cell
}
