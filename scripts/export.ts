/** Kept for old habits and tests: the same as `pocdir export` (see src/cli/). */
import { forward } from './legacy.js'

await forward('export')
