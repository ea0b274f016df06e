/**
 * `npm run build`, second step: after `tsc -p tsconfig.build.json` has compiled src/ to dist/,
 * the service's entry (dist/server.js) and its three worker threads' entries are replaced by
 * bundles (esbuild) of themselves with their dependencies. Start-up to ready is a measured bar
 * (issue #11), and most of it was Node resolving, reading and compiling some 450 modules one by
 * one; one file each does the same work in a fraction of the time. The rest of dist/ (the CLI,
 * bin/pocdir.js's dist/cli/) stays as tsc wrote it.
 *
 * Paths stay what they were: every `import.meta.url` in our sources is rewritten to the URL its
 * own compiled file has in dist/ (the migrations folder, the console's files, the worker
 * entries resolve as they do unbundled). Packages that read files beside themselves or load
 * native code stay in node_modules (EXTERNAL), as do those our code loads on first use by name
 * (src/lib/lazy.ts: esbuild leaves a require of a variable alone).
 *
 *   npx tsx scripts/bundle.ts [outdir]   # outdir defaults to dist
 */
import { readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')

/** The entries, as paths under src/ without their extension (also their paths under dist/). */
export const ENTRIES = [
  'server',
  'modules/imports/import-worker',
  'modules/exports/export-worker',
  'modules/webhooks/delivery-worker',
]

/**
 * better-sqlite3 loads a native addon; the documentation's two plugins (loaded on the first docs
 * request, src/plugins/swagger.ts) and @fastify/static serve files from their own folders.
 * (pino is bundled: it finds files beside itself only for log transports, which the service
 * never configures.)
 */
const EXTERNAL = ['better-sqlite3', '@fastify/swagger', '@fastify/swagger-ui', '@fastify/static']

/** `import.meta.url` in src/x/y.ts becomes the URL of dist/x/y.js, relative to the bundle. */
function ownUrls(outdir: string, entry: string): Plugin {
  const bundleDir = dirname(join(outdir, entry))
  return {
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8')
        if (!args.path.startsWith(src) || !text.includes('import.meta.url')) return undefined
        const compiled = join(outdir, relative(src, args.path)).replace(/\.ts$/, '.js')
        let rel = relative(bundleDir, compiled)
        if (!rel.startsWith('.')) rel = `./${rel}`
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`
        return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' }
      })
    },
  }
}

/** Bundles the entries into `outdir`, over what tsc compiled there (the same paths). */
export async function bundle(outdir = join(root, 'dist')): Promise<void> {
  await Promise.all(
    ENTRIES.map((entry) =>
      build({
        entryPoints: [join(src, `${entry}.ts`)],
        outfile: join(outdir, `${entry}.js`),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: true,
        external: EXTERNAL,
        // CommonJS packages in an ES module bundle still `require` Node's own modules.
        banner: {
          js: "import { createRequire as __pocdirRequire } from 'node:module'; const require = __pocdirRequire(import.meta.url);",
        },
        plugins: [ownUrls(outdir, entry)],
        logLevel: 'warning',
      }),
    ),
  )
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(process.argv[2] ? resolve(process.argv[2]) : undefined)
}
