import { execFileSync } from 'node:child_process'
import { bundle } from '../scripts/bundle.js'

/** What `npm run build` does: tsc compiles src/ to dist/, then the service and its workers are bundled. */
export async function buildDist(): Promise<void> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  })
  await bundle()
}
