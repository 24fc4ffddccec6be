import { readdirSync, readFileSync } from 'node:fs'
import type { ValidateFunction } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { StixBundle, StixObject } from './bundle.ts'

// The checks every exported bundle must pass, for the tests of the builder and of the route:
// the OASIS STIX 2.1 JSON Schemas (test-vectors/stix-2.1, loaded by $id, never fetched), and
// the rules STIX states in prose, which no JSON Schema can express.

const vectors = new URL('../../../../test-vectors/stix-2.1/', import.meta.url)
const SCHEMAS =
  'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/'
// ajv-formats is CommonJS; under nodenext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

function schemaFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? schemaFiles(new URL(`${entry.name}/`, dir))
      : entry.name.endsWith('.json')
        ? [new URL(entry.name, dir)]
        : [],
  )
}

interface Validators {
  readonly bundle: ValidateFunction
  /** The schema of each object type, by type: `sdos/incident.json` for `incident`, … */
  readonly byType: ReadonlyMap<string, ValidateFunction>
  /** The types bundle.json lists in its `objects` (every other type is taken for custom). */
  readonly inBundleSchema: ReadonlySet<string>
}

function compileSchemas(): Validators {
  // The OASIS files are used unchanged: strict mode would reject their `definitions` and
  // unknown keywords, and their patterns escape `-` outside classes, which the `u` flag refuses.
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false })
  addFormats(ajv)
  // ajv-formats has no IDN check; the schema uses it only for domain-name objects' values.
  ajv.addFormat('idn-hostname', true)
  const ids: string[] = []
  for (const file of schemaFiles(new URL('schemas/', vectors))) {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { $id: string }
    ajv.addSchema(schema)
    ids.push(schema.$id)
  }
  // Compiled once every file is in, so that each $ref finds its target.
  const byType = new Map<string, ValidateFunction>()
  for (const id of ids) {
    if (/\/(sdos|sros)\/[a-z-]+\.json$|\/marking-definition\.json$/.test(id)) {
      byType.set(id.replace(/^.*\/([a-z-]+)\.json$/, '$1'), ajv.getSchema(id)!)
    }
  }
  const bundle = ajv.getSchema(`${SCHEMAS}common/bundle.json`)!
  const listed = (
    bundle.schema as {
      properties: { objects: { items: { anyOf: [{ oneOf: { $ref: string }[] }] } } }
    }
  ).properties.objects.items.anyOf[0].oneOf
  const inBundleSchema = new Set(
    listed.map(({ $ref }) => $ref.replace(/^.*\/([a-z-]+)\.json$/, '$1')),
  )
  return { bundle, byType, inBundleSchema }
}

const validators = compileSchemas()

/** The published TLP 2.0 marking definitions (test-vectors/stix-2.1). */
export const PUBLISHED_TLP_MARKINGS = (
  JSON.parse(readFileSync(new URL('tlp-2.0-marking-definitions.json', vectors), 'utf8')) as {
    markingDefinitions: StixObject[]
  }
).markingDefinitions

/** The required fields and closed values of the Incident Core Extension (its README facts). */
function incidentCoreProblems(object: StixObject): string[] {
  const extensions = object.extensions as Record<string, Record<string, unknown>> | undefined
  const core = extensions?.['extension-definition--ef765651-680c-498d-9894-99799f2fa126']
  if (core === undefined) return [`${object.id}: no Incident Core Extension`]
  const problems: string[] = []
  if (core.extension_type !== 'property-extension') problems.push('extension_type')
  const determinations = [
    'blocked',
    'failed-attempt',
    'false-positive',
    'low-value',
    'successful-attempt',
    'suspected',
  ]
  if (!determinations.includes(core.determination as string)) problems.push('determination')
  if (typeof core.investigation_status !== 'string') problems.push('investigation_status')
  const criticality = core.criticality
  if (
    criticality !== undefined &&
    !(
      Number.isInteger(criticality) &&
      (criticality as number) >= 0 &&
      (criticality as number) <= 100
    )
  ) {
    problems.push('criticality')
  }
  return problems.map((field) => `${object.id}: Incident Core Extension ${field}`)
}

/** Every `*_ref` and `*_refs` value anywhere in a value, with where it was found. */
function refsIn(value: unknown, path: string, out: { path: string; ref: string }[]): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) refsIn(item, `${path}/${index}`, out)
    return
  }
  if (typeof value !== 'object' || value === null) return
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('_ref') && typeof inner === 'string')
      out.push({ path: `${path}/${key}`, ref: inner })
    else if (key.endsWith('_refs') && Array.isArray(inner)) {
      for (const [index, ref] of inner.entries()) {
        out.push({ path: `${path}/${key}/${index}`, ref: String(ref) })
      }
    } else refsIn(inner, `${path}/${key}`, out)
  }
}

function schemaErrors(validate: ValidateFunction, value: unknown, where: string): string[] {
  if (validate(value)) return []
  return (validate.errors ?? []).map(
    (error) => `schema: ${where}${error.instancePath} ${error.message ?? error.keyword}`,
  )
}

/**
 * What is wrong with a bundle, empty when nothing is: each schema error, each reference that
 * does not resolve inside the bundle, each object modified before it was created, each id
 * used twice, and each incident without the Incident Core Extension's required fields.
 *
 * The bundle goes through `common/bundle.json`, and each object through its own type's schema
 * too. bundle.json at this commit lists no `incident` (as it once listed no `infrastructure`,
 * oasis-open/cti-stix2-json-schemas#133), so it would take an incident for a custom object,
 * which matches both `core.json` and `cyber-observable-core.json` and so fails its `oneOf`:
 * the bundle schema sees the objects it lists, and `sdos/incident.json` checks the incident.
 */
export function stixProblems(bundle: StixBundle): string[] {
  const problems = schemaErrors(
    validators.bundle,
    { ...bundle, objects: bundle.objects.filter((o) => validators.inBundleSchema.has(o.type)) },
    'bundle',
  )
  for (const [index, object] of bundle.objects.entries()) {
    const validate = validators.byType.get(object.type)
    if (validate === undefined) problems.push(`objects/${index}: no schema for type ${object.type}`)
    else problems.push(...schemaErrors(validate, object, `objects/${index}`))
  }
  const ids = new Set<string>()
  for (const object of bundle.objects) {
    if (ids.has(object.id)) problems.push(`${object.id}: id used twice`)
    ids.add(object.id)
  }
  const refs: { path: string; ref: string }[] = []
  refsIn(bundle.objects, '', refs)
  for (const { path, ref } of refs) {
    if (!ids.has(ref)) problems.push(`${path}: ${ref} is not in the bundle`)
  }
  for (const object of bundle.objects) {
    const { created, modified } = object as { created?: string; modified?: string }
    if (
      created !== undefined &&
      modified !== undefined &&
      Date.parse(modified) < Date.parse(created)
    ) {
      problems.push(`${object.id}: modified ${modified} is before created ${created}`)
    }
    if (object.type === 'incident') problems.push(...incidentCoreProblems(object))
  }
  return problems
}
