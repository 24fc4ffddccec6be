#!/usr/bin/env -S node --max-semi-space-size=2
// Launcher: Parley's sources are TypeScript run by Node 24's type stripping.
// The flag above caps V8's young generation at 2 MiB per semi-space (V8 grows it to 16 MiB
// under load and keeps it): an idle node then holds ~25 MiB less (docs/benchmarks.md,
// "idle RSS"); a busy one collects young objects more often. Benches start nodes with the
// flags of this line.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(
    `parley needs Node 24 or later (found ${process.version}); run scripts/ensure-node.sh\n`,
  )
  process.exit(1)
}
await import('../src/main.ts')
