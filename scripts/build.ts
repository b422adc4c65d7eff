/**
 * Builds the production bundle dist/meshbox.mjs: one ESM file run by plain `node`.
 * lmdb stays external: it loads a native .node file from node_modules at run time. So does
 * tiny-secp256k1 (WASM signer recovery, agent/chain/seal/recover-wasm.ts): it reads its
 * secp256k1.wasm with readFileSync relative to its own module URL, which inlining would break,
 * and the recovery worker threads import it by URL from node_modules beside the bundle.
 * `bundle()` is also used by the benchmarks, so a bare libp2p node is built the same way.
 */
import { chmod, readFile, stat } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface BundleInit { entry: string, outfile: string }

export async function bundle (init: BundleInit): Promise<number> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  await build({
    entryPoints: [init.entry],
    outfile: init.outfile,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    external: ['lmdb', 'tiny-secp256k1'],
    define: { MESHBOX_VERSION: JSON.stringify(pkg.version) },
    // multicast-dns and a few libp2p dependencies are CommonJS and call require().
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __meshboxRequire } from 'node:module';\nconst require = __meshboxRequire(import.meta.url);" },
    logLevel: 'warning'
  })
  await chmod(init.outfile, 0o755)
  return (await stat(init.outfile)).size
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outfile = 'dist/meshbox.mjs'
  const bytes = await bundle({ entry: 'agent/main.ts', outfile })
  console.log(JSON.stringify({ msg: 'Bundle built', outfile, bytes }))
}
