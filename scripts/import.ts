/** Kept for old habits and tests: the same as `pocdir import` (see src/cli/). */
import { forward } from './legacy.js'

await forward('import')
