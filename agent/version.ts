// Replaced at bundle time by scripts/build.ts; read from package.json under tsx.
declare const MESHBOX_VERSION: string | undefined

export const VERSION: string = typeof MESHBOX_VERSION === 'string' ? MESHBOX_VERSION : '0.0.0-dev'
