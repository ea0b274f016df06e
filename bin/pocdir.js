#!/usr/bin/env node
// The `pocdir` command. In a clone it runs the TypeScript sources through tsx's loader; in the
// Docker image (no src/, compiled dist/) it runs the compiled JavaScript.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/pocdir.ts', import.meta.url)
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else {
  await import(new URL('../dist/cli/pocdir.js', import.meta.url).href)
}
