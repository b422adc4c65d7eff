// Builds the production bundle dist/meshbox.mjs: one ESM file run by plain `node`.
// lmdb stays external: it loads a native .node file from node_modules at run time.
import { build } from 'esbuild'
import { readFile, chmod, stat } from 'node:fs/promises'

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
const outfile = 'dist/meshbox.mjs'

await build({
  entryPoints: ['agent/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  external: ['lmdb'],
  define: { MESHBOX_VERSION: JSON.stringify(pkg.version) },
  // multicast-dns and a few libp2p dependencies are CommonJS and call require().
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __meshboxRequire } from 'node:module';\nconst require = __meshboxRequire(import.meta.url);" },
  logLevel: 'warning'
})
await chmod(outfile, 0o755)
console.log(JSON.stringify({ msg: 'Bundle built', outfile, bytes: (await stat(outfile)).size }))
