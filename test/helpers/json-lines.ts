/**
 * Collects the JSON lines a test runner prints and waits for the ones a test needs.
 */
import type { ChildProcess } from 'node:child_process'

export type RunnerEvent = Record<string, unknown> & { event: string, t: number }

export class JsonLines<T extends object = RunnerEvent> {
  readonly events: T[] = []
  stderr = ''
  private waiters: Array<() => void> = []

  readonly child: ChildProcess
  readonly label: string

  constructor (child: ChildProcess, label: string) {
    this.child = child
    this.label = label
    let buf = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk
      let nl
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        try { this.events.push(JSON.parse(line) as T) } catch { this.stderr += `[stdout] ${line}\n` }
      }
      this.notify()
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk })
    child.once('exit', () => { this.notify() })
  }

  protected notify (): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Sends SIGTERM and resolves with the exit code, or rejects if the process is still alive after `timeoutMs`. */
  async terminate (timeoutMs: number): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode
    const exited = new Promise<number | null>(resolve => { this.child.once('exit', code => { resolve(code) }) })
    this.child.kill('SIGTERM')
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`${this.label}: still running ${timeoutMs} ms after SIGTERM\nstderr:\n${this.stderr.slice(-2000)}`)) }, timeoutMs)
    })
    try {
      return await Promise.race([exited, late])
    } finally {
      clearTimeout(timer)
    }
  }

  /** The first event matching `pred`, waiting up to `timeoutMs`. */
  async waitFor (pred: (e: T) => boolean, timeoutMs: number, what = 'event'): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.events.find(pred)
      if (hit !== undefined) return hit
      const left = deadline - Date.now()
      if (left <= 0 || this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.label}: no ${what} within ${timeoutMs} ms (exit ${String(this.child.exitCode ?? this.child.signalCode)})\nlast stdout events: ${JSON.stringify(this.events.slice(-15))}\nstderr:\n${this.stderr.slice(-4000)}`)
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }
}
