/**
 * `meshbox start`: find out about the machine (OpenWrt, board), load the configuration, refuse an
 * unsupported board unless allowed, run the agent until SIGTERM/SIGINT, and re-read the
 * configuration on SIGHUP (file + UCI + environment; live keys applied, the rest named as
 * needing a restart, an invalid configuration refused with the old one kept).
 */
import { createAgent } from '../agent.js'
import { checkProfileAllowed, loadConfig, type LoadedConfig } from '../config/load.js'
import { planReload } from '../config/reload.js'
import { errorMessage, isAgentError } from '../errors.js'
import { createLogger, type Logger, type LogLevel } from '../log/logger.js'
import { detectPlatform, type Platform } from '../system/platform.js'
import { VERSION } from '../version.js'
import type { ParsedArgs } from './args.js'

const STOP_DEADLINE_MS = 5_000

export async function loadForArgs (args: ParsedArgs, platform: Platform): Promise<LoadedConfig> {
  return await loadConfig({
    ...(args.configFile !== undefined ? { configFile: args.configFile } : {}),
    env: process.env,
    flags: args.flags,
    ...(platform.openwrt !== undefined ? { openwrt: platform.openwrt } : {})
  })
}

/** Says how the profile was chosen, and what about it an owner should know. */
export function logProfile (logger: Logger, loaded: LoadedConfig, platform: Platform): void {
  const { config, profile, profileChoice: choice } = loaded
  logger.info('Platform detected', { openwrt: platform.detection.openwrt, how: platform.detection.reason, arch: platform.detection.release.DISTRIB_ARCH, target: platform.detection.release.DISTRIB_TARGET })
  if (choice.reason === 'unknown-board') logger.warn('Board not recognised; using the generic profile', { boardName: choice.boardName, profile: profile.id })
  else if (choice.reason === 'board-unreadable') logger.warn('Board could not be read; using the generic profile', { error: choice.boardError, profile: profile.id })
  else if (choice.reason === 'board') logger.info('Hardware profile chosen for the board', { boardName: choice.boardName, profile: profile.id })
  if (profile.status !== 'supported') logger.warn('Hardware profile is not supported', { profile: profile.id, status: profile.status, reason: profile.statusReason })
  if (profile.storage.volatile === true && config.dataDir === profile.storage.dataDir) logger.warn('Data directory is in RAM; state is lost at reboot', { dataDir: config.dataDir })
}

export async function start (args: ParsedArgs): Promise<number> {
  const platform = await detectPlatform(process.env)
  const loaded = await loadForArgs(args, platform)
  checkProfileAllowed(loaded)
  const levelRef: { level: LogLevel } = { level: loaded.config.log.level }
  const logger = createLogger({ levelRef })
  logProfile(logger, loaded, platform)
  let running = loaded.config
  const agent = createAgent({ logger }, {
    config: running,
    profile: loaded.profile,
    platform: { openwrt: platform.detection.openwrt, release: platform.detection.release, ...(loaded.profileChoice.boardName !== undefined ? { boardName: loaded.profileChoice.boardName } : {}) }
  })
  // A stray rejection inside a dependency is logged and survived; an uncaught exception is logged,
  // then ends the process so procd restarts it from a clean state.
  process.on('unhandledRejection', (reason) => { logger.error('Unhandled rejection', {}, reason) })
  process.on('uncaughtExceptionMonitor', (err) => { logger.error('Uncaught exception; exiting', {}, err) })
  let reloading = false
  process.on('SIGHUP', () => {
    if (reloading) return
    reloading = true
    void loadForArgs(args, platform).then(next => {
      const plan = planReload(running, next.config)
      // said before the new level applies, so it shows even when the level goes up to warn or error
      logger.info('Configuration reloaded', { changed: plan.changed, applied: plan.live, needRestart: plan.restart })
      if (plan.live.includes('log.level')) levelRef.level = next.config.log.level
      running = { ...running, log: next.config.log }
    }, (err: unknown) => {
      logger.error('Configuration reload refused; keeping the running configuration', { code: isAgentError(err) ? err.code : undefined, reason: errorMessage(err) })
    }).finally(() => { reloading = false })
  })
  const stopped = new Promise<number>(resolve => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info('Stopping', { signal })
      const force = setTimeout(() => { logger.error('Stop took too long; exiting', { deadlineMs: STOP_DEADLINE_MS }); resolve(1) }, STOP_DEADLINE_MS)
      force.unref()
      void agent.stop().then(() => { clearTimeout(force); logger.info('Agent stopped', {}); resolve(0) })
    }
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
  })
  await agent.start()
  const st = agent.status()
  process.stderr.write(`meshbox ${VERSION} ready\n  peer id:     ${st.peerId}\n  addresses:   ${st.addresses.join('\n               ')}\n  status page: ${agent.httpUrl() ?? '-'}\n`)
  return await stopped
}
