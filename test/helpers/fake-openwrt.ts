/**
 * The fake OpenWrt tools (test/fixtures/openwrt/bin) for tests: a temp copy of a fixture
 * directory with per-test changes, and a CommandRunner (or an environment for a spawned agent)
 * that finds the fakes first on PATH.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand, type CommandRunner } from '../../agent/system/run-command.js'
import { tempDir } from './tmp.js'

export const FAKE_BIN = fileURLToPath(new URL('../fixtures/openwrt/bin', import.meta.url))
export const GL_MT6000 = fileURLToPath(new URL('../fixtures/openwrt/gl-mt6000', import.meta.url))

/** A copy of gl-mt6000/ with files replaced (string) or removed (null); returns its path. */
export function fakeFixtures (changes: Record<string, string | null> = {}, base = GL_MT6000): string {
  const dir = tempDir('openwrt')
  cpSync(base, dir, { recursive: true })
  for (const [file, content] of Object.entries(changes)) {
    const path = join(dir, file)
    if (content === null) rmSync(path, { force: true, recursive: true })
    else { mkdirSync(dirname(path), { recursive: true }); writeFileSync(path, content) }
  }
  return dir
}

export interface FakeEnvInit { fixtures: string, mode?: string, callsFile?: string }

export function fakeEnv (init: FakeEnvInit): NodeJS.ProcessEnv {
  return {
    PATH: `${FAKE_BIN}:${process.env.PATH ?? ''}`,
    MESHBOX_FAKE_FIXTURES: init.fixtures,
    MESHBOX_FAKE_MODE: init.mode ?? '',
    ...(init.callsFile !== undefined ? { MESHBOX_FAKE_CALLS: init.callsFile } : {})
  }
}

/** runCommand with the fakes first on PATH. */
export function fakeRunner (init: FakeEnvInit): CommandRunner {
  const env = { ...process.env, ...fakeEnv(init) }
  return async (command, args, runInit) => await runCommand(command, args, { ...runInit, env })
}

/** Lines of a MESHBOX_FAKE_CALLS file (`<key> <mode>`), [] when none. */
export function fakeCalls (file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(l => l !== '')
  } catch {
    return []
  }
}

export function boardJson (boardName: string): string {
  return JSON.stringify({ kernel: '6.6.73', hostname: 'OpenWrt', system: 'ARMv8 Processor rev 4', model: 'Test board', board_name: boardName, rootfs_type: 'squashfs', release: { distribution: 'OpenWrt', version: '24.10.0', target: 'test/test' } }, null, '\t') + '\n'
}
