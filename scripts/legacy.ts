/**
 * The former scripts (import.ts, export.ts, mint-token.ts) are now `pocdir` subcommands; these
 * files only forward to it. A `--token VALUE` on the command line, which the old scripts took,
 * is moved into POCDIR_TOKEN so it is not passed on (pocdir reads tokens from there or a file).
 */
import { run } from '../src/cli/main.js'

export async function forward(subcommand: string): Promise<void> {
  const args = process.argv.slice(2)
  const at = args.indexOf('--token')
  if (at >= 0) {
    process.env.POCDIR_TOKEN = args[at + 1] ?? ''
    args.splice(at, 2)
  }
  process.exitCode = await run([process.argv[0] ?? 'node', 'pocdir', subcommand, ...args])
}
