#!/usr/bin/env node
// Launcher: Parley's sources are TypeScript run by Node 24's type stripping.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(
    `parley needs Node 24 or later (found ${process.version}); run scripts/ensure-node.sh\n`,
  )
  process.exit(1)
}
await import('../src/main.ts')
