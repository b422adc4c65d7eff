// Defined at bundle time by scripts/build.ts from package.json; unbundled runs (tsx) say 0.0.0-dev.
declare const MESHBOX_VERSION: string | undefined

export const VERSION: string = typeof MESHBOX_VERSION === 'string' ? MESHBOX_VERSION : '0.0.0-dev'
