import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reservePortRun } from '../../../server/test/support/ports.ts'

// A system test (vitest.config.ts, SYSTEM): four nodes in one spawned process, seeded once.
const launcher = new URL('../../bin/parley.mjs', import.meta.url).pathname
const cwd = mkdtempSync(join(tmpdir(), 'parley-demo-'))
afterAll(() => rmSync(cwd, { recursive: true, force: true }))

interface Demo {
  readonly child: ChildProcessWithoutNullStreams
  readonly output: () => string
  readonly exited: Promise<number | null>
}

function startDemo(basePort: number): Demo {
  const child = spawn(process.execPath, [launcher, 'demo', '--base-port', String(basePort)], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
  return { child, output: () => output, exited }
}

/** Resolves once the demo printed its instructions; rejects with its output if it exits first. */
function ready(demo: Demo): Promise<string> {
  return new Promise((done, fail) => {
    const check = () => {
      if (demo.output().includes('Press Ctrl-C to stop.')) done(demo.output())
    }
    demo.child.stdout.on('data', check)
    demo.exited.then((code) => fail(new Error(`demo exited ${code}:\n${demo.output()}`)))
    check()
  })
}

/** Alice's login and timeline read, exactly as the printed curl lines do them. */
async function followCurlLines(output: string): Promise<number> {
  const login = /-d '(\{"username":"alice"[^']*\})' \\\n\s+(http:\S+\/api\/v1\/auth\/login)/.exec(
    output,
  )
  expect(login).not.toBeNull()
  const response = await fetch(login![2]!, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: login![1]!,
  })
  expect(response.status).toBe(200)
  const body = (await response.json()) as { csrfToken: string }
  expect(body.csrfToken).toMatch(/\S{16,}/)
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ')
  expect(cookie).toMatch(/=\S+/)

  const read = /curl -s -b alice\.jar (http:\S+\/timeline)\n/.exec(output)
  expect(read).not.toBeNull()
  const timeline = await fetch(read![1]!, { headers: { cookie } })
  expect(timeline.status).toBe(200)
  const { events } = (await timeline.json()) as { events: { type: string }[] }
  return events.length
}

/**
 * The automation lines: the printed token reads the working group's timeline as the curl line
 * does, and is no more than its officer (a drafter and viewer): the audit log answers 403.
 */
async function followAutomationLines(output: string, timelineLength: number): Promise<void> {
  const token = /TOKEN=(parley_pat_[A-Za-z0-9_-]{43})\n/.exec(output)?.[1]
  expect(token).toBeDefined()
  expect(output).not.toMatch(/devToken|node-wide/)
  const read = /curl -s -H "authorization: Bearer \$TOKEN" (http:\S+\/timeline)\n/.exec(output)
  expect(read).not.toBeNull()
  const headers = { authorization: `Bearer ${token}` }
  const timeline = await fetch(read![1]!, { headers })
  expect(timeline.status).toBe(200)
  expect(((await timeline.json()) as { events: unknown[] }).events).toHaveLength(timelineLength)
  const audit = await fetch(read![1]!.replace(/\/channels\/.*$/, '/audit'), { headers })
  expect(audit.status).toBe(403)
  expect(((await audit.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN_ROLE')
}

function parley(...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [launcher, ...args], { cwd })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('close', (code) => done({ code, output }))
  })
}

describe('parley demo (npm start)', () => {
  // One test: the second run needs the first one's data.
  it('seeds on the first run, prints passwords and curl lines that work, stops on Ctrl-C with its databases closed, and starts again on the same data', async () => {
    const basePort = await reservePortRun(4)
    const demo = startDemo(basePort)
    const output = await ready(demo)
    expect(output).toContain('First run: seeding the story')
    expect(output).toContain(`usa     http://127.0.0.1:${basePort} `)
    expect(output).toContain(`allies  http://127.0.0.1:${basePort + 3} `)

    const timelineLength = await followCurlLines(output)
    // The story's day: the notice, its acknowledgment, replies, red line, drafts, adoption.
    expect(timelineLength).toBeGreaterThanOrEqual(10)
    await followAutomationLines(output, timelineLength)

    // The flash notice rus missed: its ladder mailed Irina twice, then the duty director, and
    // the sink the demo started (and printed) kept each message in the data dir.
    expect(output).toMatch(/Mail sink {3}smtp:\/\/127\.0\.0\.1:\d+ /)
    const mailDir = join(cwd, 'parley-demo', 'mail')
    expect(output).toContain(`ls ${mailDir}`)
    const mails = readdirSync(mailDir).sort()
    expect(mails).toEqual(['0001.eml', '0002.eml', '0003.eml'])
    const recipients = mails.map(
      (file) => /^To: (.*)$/m.exec(readFileSync(join(mailDir, file), 'utf8'))?.[1],
    )
    expect(recipients).toEqual([
      'irina@cert.rus.example',
      'irina@cert.rus.example',
      'director@cert.rus.example',
    ])

    // Ben's printed password opens his session too (the releaser of the two-person rule).
    const ben = /usa {5}ben {5}(\S+) /.exec(output)
    expect(ben).not.toBeNull()
    const login = await fetch(`http://127.0.0.1:${basePort}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ben', password: ben![1] }),
    })
    expect(login.status).toBe(200)
    const wrong = await fetch(`http://127.0.0.1:${basePort}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ben', password: `${ben![1]}x` }),
    })
    expect(wrong.status).toBe(401)

    // usa's public portal is not empty: the adopted statement, a red line, a statement.
    for (const [path, text] of [
      ['agreements', 'Joint statement on ICT activity against the financial sector'],
      ['redlines', 'Payment systems are off limits'],
      ['statements', 'Public statement: the United States attributes'],
    ]) {
      const page = await fetch(`http://127.0.0.1:${basePort}/public/en/${path}`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain(text)
    }

    demo.child.kill('SIGINT')
    expect(await demo.exited).toBe(0)
    expect(demo.output()).toContain('Stopping the demo nodes…')
    await expect(fetch(`http://127.0.0.1:${basePort}/healthz`)).rejects.toThrow()

    // Every embedded database admits one process: the export opens usa's only if the demo
    // closed it.
    const workingGroup = /(ch_\w+) {2}US–Russia ICT Security Working Group/.exec(output)![1]!
    const exported = await parley(
      'export',
      workingGroup,
      '--data-dir',
      join(cwd, 'parley-demo', 'usa'),
      '--out',
      join(cwd, 'working-group.parley'),
    )
    expect(exported.output).not.toMatch(/NODE_RUNNING|Error/)
    expect(exported.code).toBe(0)
    const verified = await parley('verify', join(cwd, 'working-group.parley'), '--json')
    expect(verified.code).toBe(0)
    // The day ends with the adopted joint statement, exported and verifiable as printed.
    expect(output).toContain(join('parley-demo', 'agreement.html'))
    for (const file of ['agreement.json', 'agreement.html']) {
      const agreement = await parley('verify', join(cwd, 'parley-demo', file))
      expect(agreement.output).toContain('OK: every member adopted exactly this text')
      expect(agreement.code).toBe(0)
    }

    const again = startDemo(basePort)
    const second = await ready(again)
    expect(second).not.toContain('First run')
    expect(second).toContain('Seeded on the first run')
    expect(second).toContain(workingGroup)
    expect(await followCurlLines(second)).toBe(timelineLength)
    again.child.kill('SIGINT')
    expect(await again.exited).toBe(0)
  }, 180_000)
})
