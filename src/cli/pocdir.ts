/** Entry point of `pocdir` (bin/pocdir.js loads this, compiled or through tsx). */
import { run } from './main.js'

process.exitCode = await run(process.argv)
