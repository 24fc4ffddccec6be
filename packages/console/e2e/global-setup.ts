import { ensureConsoleBuilt } from '../scripts/build.ts'

/** The browser tests open the console the node serves: build it first when it is stale. */
export default async function setup(): Promise<void> {
  await ensureConsoleBuilt({ log: (line) => process.stdout.write(`${line}\n`) })
}
