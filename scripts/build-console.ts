/**
 * Builds the console (console/ -> console/dist): the API types generated from the committed
 * contract, the console's own type-check, then Vite. `--if-possible` (npm's `prepare`) skips
 * quietly where the console cannot be built: a production install without the dev
 * dependencies, or a copy without the console/ folder (the Docker build stage before COPY).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = fileURLToPath(new URL('..', import.meta.url))
const ifPossible = process.argv.includes('--if-possible')
const require = createRequire(import.meta.url)

function installed(name: string): boolean {
  try {
    require.resolve(name, { paths: [root] })
    return true
  } catch {
    return false
  }
}

if (ifPossible && (!existsSync(`${root}console/index.html`) || !installed('vite'))) {
  console.log('console: not built (no console/ folder or no dev dependencies)')
  process.exit(0)
}

const openapiTS = (await import('openapi-typescript')).default
const { astToString } = await import('openapi-typescript')
const ast = await openapiTS(new URL('../openapi/openapi.json', import.meta.url))
mkdirSync(`${root}console/src/generated`, { recursive: true })
writeFileSync(
  `${root}console/src/generated/openapi.d.ts`,
  `// Generated from openapi/openapi.json by scripts/build-console.ts; do not edit.\n${astToString(ast)}`,
)

const bin = (name: string) => `${root}node_modules/.bin/${name}`
// --no-typecheck: for iterating on one page while another is half-written (never in CI).
if (!process.argv.includes('--no-typecheck')) {
  execFileSync(bin('tsc'), ['-p', 'console/tsconfig.json'], { cwd: root, stdio: 'inherit' })
}
execFileSync(bin('vite'), ['build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
})
// Compressed once here, served as they are (@fastify/static preCompressed): the service has no
// response compression of its own.
let raw = 0
let gzipped = 0
const assets = `${root}console/dist/assets/`
for (const name of readdirSync(assets)) {
  if (!/\.(js|css|svg|json)$/.test(name)) continue
  const body = readFileSync(assets + name)
  const gz = gzipSync(body, { level: 9 })
  writeFileSync(`${assets}${name}.gz`, gz)
  writeFileSync(
    `${assets}${name}.br`,
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  )
  raw += body.length
  gzipped += gz.length
}
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
console.log(`console: built into console/dist (JS and CSS ${kb(raw)}, ${kb(gzipped)} gzipped)`)
