/** Kept for old habits: the same as `pocdir token` (see src/cli/). */
import { forward } from './legacy.js'

await forward('token')
