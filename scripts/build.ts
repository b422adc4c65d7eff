/**
 * Builds the production bundle: dist/meshbox-main.cjs (the agent, one CommonJS file) and its
 * entry dist/meshbox.mjs (agent/boot.ts: runs the agent through V8's code cache), run by plain
 * `node dist/meshbox.mjs`. lmdb stays external: it loads a native .node file from node_modules
 * at run time. `bundle()` is also used by the benchmarks, so a bare libp2p node is built the
 * same way (as one ES module, without the code cache).
 * tiny-secp256k1 (WASM signer recovery, agent/chain/seal/recover-wasm.ts) stays external too: it
 * reads its secp256k1.wasm relative to its own module URL, which inlining would break, and the
 * recovery worker threads import it by URL from node_modules beside the bundle.
 */
import { chmod, readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface BundleInit { entry: string, outfile: string }

/** Packages the bundle loads from node_modules at run time; the OpenWrt package ships them. */
export const EXTERNAL: readonly string[] = ['lmdb', 'tiny-secp256k1']

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
    external: [...EXTERNAL],
    define: { MESHBOX_VERSION: JSON.stringify(pkg.version) },
    // multicast-dns and a few libp2p dependencies are CommonJS and call require().
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __meshboxRequire } from 'node:module';\nconst require = __meshboxRequire(import.meta.url);" },
    logLevel: 'warning'
  })
  await chmod(init.outfile, 0o755)
  return (await stat(init.outfile)).size
}

/**
 * The agent: agent/main.ts as CommonJS beside `outfile`, and agent/boot.ts as `outfile`. The one
 * import.meta use in the agent (system/import-external.ts) is only reached without the entry.
 */
export async function bundleAgent (outfile = 'dist/meshbox.mjs'): Promise<{ entryBytes: number, mainBytes: number }> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  const common = { absWorkingDir: ROOT, bundle: true, platform: 'node', target: 'node20', minify: true, sourcemap: false, legalComments: 'none', logLevel: 'warning' } as const
  const mainFile = join(dirname(outfile), 'meshbox-main.cjs')
  await build({ ...common, entryPoints: ['agent/main.ts'], outfile: mainFile, format: 'cjs', external: [...EXTERNAL], define: { MESHBOX_VERSION: JSON.stringify(pkg.version), 'import.meta.resolve': 'undefined', 'import.meta.url': 'undefined' } })
  await build({ ...common, entryPoints: ['agent/boot.ts'], outfile, format: 'esm', banner: { js: '#!/usr/bin/env node' } })
  await chmod(outfile, 0o755)
  return { entryBytes: (await stat(outfile)).size, mainBytes: (await stat(mainFile)).size }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outfile = 'dist/meshbox.mjs'
  const sizes = await bundleAgent(outfile)
  console.log(JSON.stringify({ msg: 'Bundle built', outfile, ...sizes }))
}
