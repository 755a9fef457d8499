import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { BackupRetentionParamsSchema } from '../../ceremonies/catalog/backup-retention';
import { BackupParamsSchema } from '../../ceremonies/catalog/backup';
import { FirmwareUpgradeParamsSchema } from '../../ceremonies/catalog/firmware-upgrade';
import { HsmInitParamsSchema } from '../../ceremonies/catalog/hsm-init';
import { NtlsCertificateRotationParamsSchema } from '../../ceremonies/catalog/ntls-certificate-rotation';
import { PartitionCreateParamsSchema } from '../../ceremonies/catalog/partition-create';
import { RehearsalParamsSchema } from '../../ceremonies/catalog/rehearsal';
import { RestoreDrillParamsSchema } from '../../ceremonies/catalog/restore-drill';
import { RestoreParamsSchema } from '../../ceremonies/catalog/restore';
import { ZeroizeDeprovisionParamsSchema } from '../../ceremonies/catalog/zeroize-deprovision';
import { DurationSchema, EmailSchema, SlugSchema } from '../../ceremonies/identifiers';
import {
  AuthCode,
  BackupLabel,
  FirmwareVersion,
  HostName,
  LunaName,
  PackageFile,
  Sha256Hex,
} from '../../ceremonies/operation-args';
import { OPERATIONS_CATALOGUE, OPERATION_NAMES } from '../../ceremonies/operations';
import type { CeremonyKind } from '../../ceremonies/plan';
import { environmentTable } from '../../runtime/environment-docs';

// The tables of docs/ that are generated from the code: each ceremony kind's parameters (from its
// zod schema and its `.describe()` texts), the operation catalogue, the environment variables.
// `npm run docs` (scripts/docs-tables.ts) rewrites them between their markers;
// test/unit/docs.test.ts fails while one is stale.

export const DOCS_COMMAND = 'npm run docs';

/** Each kind's request parameters (`--param k=v`, a ticket's parameters). */
export const PARAMS_SCHEMAS: Record<CeremonyKind, z.ZodObject> = {
  'hsm-init': HsmInitParamsSchema,
  'partition-create': PartitionCreateParamsSchema,
  backup: BackupParamsSchema,
  'firmware-upgrade': FirmwareUpgradeParamsSchema,
  'zeroize-deprovision': ZeroizeDeprovisionParamsSchema,
  rehearsal: RehearsalParamsSchema,
  'backup-retention': BackupRetentionParamsSchema,
  'ntls-certificate-rotation': NtlsCertificateRotationParamsSchema,
  restore: RestoreParamsSchema,
  'restore-drill': RestoreDrillParamsSchema,
};

/** Where each kind's parameter table lives. */
export function paramsDocFile(kind: CeremonyKind): string {
  return kind === 'rehearsal' ? 'docs/ceremonies/README.md' : `docs/ceremonies/${kind}.md`;
}

// the shapes shared by many parameters, named as a reader knows them
const NAMED_SHAPES: [z.ZodType, string][] = [
  [LunaName, 'Luna name'],
  [HostName, 'host name or IPv4'],
  [SlugSchema, 'name'],
  [BackupLabel, 'backup label'],
  [FirmwareVersion, 'version (x.y.z)'],
  [PackageFile, 'file name'],
  [Sha256Hex, 'sha256 (hex)'],
  [AuthCode, 'authorisation code'],
  [DurationSchema, 'duration (30s, 15m, 72h, 7d)'],
  [EmailSchema, 'email'],
];

type Def = { type: string; [key: string]: unknown };
const def = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const regexSources = (schema: z.ZodType): string[] =>
  ((def(schema).checks as { _zod: { def: { pattern?: RegExp } } }[] | undefined) ?? []).flatMap((c) =>
    c._zod.def.pattern ? [c._zod.def.pattern.source] : [],
  );

function namedShape(schema: z.ZodType): string | undefined {
  const own = def(schema);
  const found = NAMED_SHAPES.find(([known]) => def(known) === own);
  if (found) return found[1];
  // a refinement of a named shape (a firmware version the documentation lists) keeps its pattern
  const patterns = regexSources(schema);
  return patterns.length ? NAMED_SHAPES.find(([known]) => regexSources(known)[0] === patterns[0])?.[1] : undefined;
}

const code = (text: string) => `\`${text}\``;

function typeLabel(schema: z.ZodType): string {
  const named = namedShape(schema);
  if (named) return named;
  const d = def(schema);
  switch (d.type) {
    case 'enum':
      return Object.values(d.entries as Record<string, string>)
        .map(code)
        .join(' \\| ');
    case 'number': {
      const n = schema as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
      const range = n.minValue !== null && n.maxValue !== null ? ` ${n.minValue}–${n.maxValue}` : '';
      return `${n.isInt ? 'integer' : 'number'}${range}`;
    }
    case 'string':
      return d.format === 'email' ? 'email' : 'text';
    case 'pipe':
      return pipeLabel(d);
    default:
      return d.type;
  }
}

/** A parameter arrives as text: a pipe's input says what to write, a list is written comma-separated. */
function pipeLabel(d: Def): string {
  const out = d.out as z.ZodType;
  if (def(out).type === 'array') return `list of ${typeLabel(def(out).element as z.ZodType)} (comma-separated)`;
  return typeLabel(d.in as z.ZodType);
}

export interface ParamRow {
  name: string;
  type: string;
  default?: string;
  required: boolean;
  description?: string;
}

/** One parameter: unwraps optional and default, and a transform to what it is written as. */
export function paramRow(name: string, schema: z.ZodType): ParamRow {
  let current = schema;
  let description = schema.description;
  let required = true;
  let fallback: string | undefined;
  for (;;) {
    const d = def(current);
    description ??= current.description;
    if (d.type === 'optional') required = false;
    else if (d.type === 'default') {
      required = false;
      fallback = String(d.defaultValue);
    } else if (d.type === 'pipe' && def(d.out as z.ZodType).type === 'transform') {
      current = d.in as z.ZodType;
      continue;
    } else break;
    current = d.innerType as z.ZodType;
  }
  return { name, type: typeLabel(current), default: fallback, required, description };
}

export function paramRows(kind: CeremonyKind): ParamRow[] {
  return Object.entries(PARAMS_SCHEMAS[kind].shape).map(([name, schema]) => paramRow(name, schema as z.ZodType));
}

// a table cell: pipes escaped, `<host>` kept as text (outside code spans Markdown reads it as HTML)
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const prose = (text: string) =>
  cell(text)
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/<([a-z][^>]*)>/gi, '`<$1>`')))
    .join('`');

export function paramsTable(kind: CeremonyKind): string {
  return [
    '| parameter | type | default | required | description |',
    '| --- | --- | --- | --- | --- |',
    ...paramRows(kind).map(
      (r) =>
        `| ${code(r.name)} | ${r.type} | ${r.default === undefined ? '–' : code(cell(r.default))} | ${r.required ? 'yes' : 'no'} | ${prose(r.description ?? '')} |`,
    ),
  ].join('\n');
}

/** Every operation of the catalogue (`ceremonies/operations.ts`), in its order. */
export function operationsTable(): string {
  return [
    '| operation | kind | arguments | description | command timeout |',
    '| --- | --- | --- | --- | --- |',
    ...OPERATION_NAMES.map((name) => {
      const op = OPERATIONS_CATALOGUE[name];
      const shape = (op.args as unknown as { shape?: Record<string, z.ZodType> }).shape ?? innerShape(op.args);
      const args = Object.entries(shape)
        .map(([arg, schema]) => (paramRow(arg, schema).required ? arg : `${arg}?`))
        .join(', ');
      return `| ${code(name)} | ${op.kind} | ${args ? code(`{${args}}`) : '–'} | ${prose(op.description)} | ${op.commandTimeout} |`;
    }),
  ].join('\n');
}

/** The object under refinements (a refined object keeps its shape in its definition). */
function innerShape(schema: z.ZodType): Record<string, z.ZodType> {
  const d = def(schema);
  if (d.shape) return d.shape as Record<string, z.ZodType>;
  if (d.innerType) return innerShape(d.innerType as z.ZodType);
  if (d.in) return innerShape(d.in as z.ZodType);
  return {};
}

/** A generated section: its id (in the markers) and the file it lives in. */
export interface GeneratedSection {
  id: string;
  file: string;
  render: () => string;
}

export const GENERATED_SECTIONS: GeneratedSection[] = [
  ...(Object.keys(PARAMS_SCHEMAS) as CeremonyKind[]).map((kind) => ({
    id: `params ${kind}`,
    file: paramsDocFile(kind),
    render: () => paramsTable(kind),
  })),
  { id: 'operations', file: 'docs/operations.md', render: operationsTable },
  { id: 'environment', file: 'docs/production.md', render: environmentTable },
];

export const beginMarker = (id: string) => `<!-- BEGIN GENERATED: ${id} (${DOCS_COMMAND} rewrites it; do not edit) -->`;
export const endMarker = (id: string) => `<!-- END GENERATED: ${id} -->`;

/** The text between a section's markers; undefined when a marker is missing. */
export function sectionText(document: string, id: string): string | undefined {
  const begin = document.indexOf(beginMarker(id));
  const end = document.indexOf(endMarker(id));
  if (begin < 0 || end < begin) return undefined;
  return document
    .slice(begin + beginMarker(id).length, end)
    .replace(/^\n/, '')
    .replace(/\n$/, '');
}

/** The document with every section of it rewritten. Throws when a section's markers are missing. */
export function rewriteSections(file: string, document: string): string {
  let text = document;
  for (const section of GENERATED_SECTIONS.filter((s) => s.file === file)) {
    const begin = text.indexOf(beginMarker(section.id));
    const end = text.indexOf(endMarker(section.id));
    if (begin < 0 || end < begin)
      throw new Error(
        `${file}: the markers of the generated section "${section.id}" are missing:\n${beginMarker(section.id)}\n${endMarker(section.id)}`,
      );
    text = `${text.slice(0, begin + beginMarker(section.id).length)}\n${section.render()}\n${text.slice(end)}`;
  }
  return text;
}

/** The generated sections whose text in the repository differs from what the code gives. */
export function staleSections(root: string): string[] {
  return GENERATED_SECTIONS.filter(
    (s) => sectionText(readFileSync(join(root, s.file), 'utf8'), s.id) !== s.render(),
  ).map((s) => `${s.file}: ${s.id}`);
}

export const GENERATED_FILES = [...new Set(GENERATED_SECTIONS.map((s) => s.file))];
