import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../cli/program';
import { ConfigSchema, ENVIRONMENT, loadConfig, tracesEndpoint } from '../../runtime/config';
import { environmentTable } from '../../runtime/environment-docs';
import { sectionText } from '../../scripts/docs/generated-tables';
import { cli } from '../support/cli';

const root = join(__dirname, '..', '..');
const names = ENVIRONMENT.map((v) => v.name);
const schemaNames = Object.keys(ConfigSchema.in.shape);

/** The variables named in the first column of the environment table of docs/production.md. */
function readmeTable(): { text: string; names: string[] } {
  const rows = (sectionText(readFileSync(join(root, 'docs', 'production.md'), 'utf8'), 'environment') ?? '')
    .split('\n')
    .filter((l) => l.startsWith('|'));
  return { text: rows.join('\n'), names: rows.flatMap((r) => /^\| `([A-Z][A-Z0-9_]*)` \|/.exec(r)?.[1] ?? []) };
}

test('every variable of the schema is in the list, and the list adds only the ones libraries read', () => {
  expect(names.filter((n) => !schemaNames.includes(n))).toEqual([
    'AZURE_TENANT_ID',
    'AZURE_CLIENT_ID',
    'AZURE_CLIENT_SECRET',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_TRACES_SAMPLER',
  ]);
  expect(schemaNames.filter((n) => !names.includes(n))).toEqual([]);
  expect(new Set(names).size).toBe(names.length);
  for (const v of ENVIRONMENT) expect(v.description.length).toBeGreaterThan(5);
});

test('the documented table (docs/production.md) names every variable, and no other', () => {
  const documented = readmeTable().names;
  expect({ missingFromReadme: names.filter((n) => !documented.includes(n)) }).toEqual({ missingFromReadme: [] });
  expect({ notInSchema: documented.filter((n) => !names.includes(n)) }).toEqual({ notInSchema: [] });
  // the whole table, defaults and descriptions too: `npm run docs` rewrites it
  expect(readmeTable().text).toBe(environmentTable());
});

test('ceremony --help lists every variable, under its group', async () => {
  const { code, out } = await cli('--help');
  expect(code).toBe(0);
  const help = out.slice(out.indexOf('\nEnvironment'));
  for (const v of ENVIRONMENT) expect(help).toMatch(new RegExp(`^ {4}${v.name} +\\S`, 'm'));
  for (const group of new Set(ENVIRONMENT.map((v) => v.group))) expect(help).toContain(`\n  ${group}\n`);
  expect(help).toContain('Example:\n  ceremony start rehearsal');
});

test("the CLI's options read from the environment only variables of the schema", () => {
  const envVars = (command: Command): string[] => [
    ...command.options.flatMap((o) => (o.envVar ? [o.envVar] : [])),
    ...command.commands.flatMap(envVars),
  ];
  const used = envVars(buildProgram());
  expect(used).toEqual(
    expect.arrayContaining([
      'CEREMONY_INVENTORY',
      'CEREMONY_SIGNING_KEY',
      'CEREMONY_AUDIT_SIGNING_KEY_FILE',
      'CEREMONY_AUDIT_PUBLIC_KEY_FILE',
    ]),
  );
  expect(used.filter((n) => !schemaNames.includes(n))).toEqual([]);
});

test('a bad value names its variable', async () => {
  expect(() => loadConfig({ WEB_PORT: 'abc' })).toThrow(/^ {2}- WEB_PORT: /m);
  expect(() => loadConfig({ SMTP_PORT: '70000' })).toThrow(/SMTP_PORT: /);
  expect(() => loadConfig({ TEMPORAL_UI_URL: 'not a url' })).toThrow(/TEMPORAL_UI_URL: /);
  expect(() => loadConfig({ BENCH_FLEET_SIZES: '10;100' })).toThrow(
    /BENCH_FLEET_SIZES: expected numbers separated by commas/,
  );
  // and the CLI says so before it connects anywhere
  const saved = process.env.WEB_PORT;
  process.env.WEB_PORT = 'abc';
  try {
    const { code, err } = await cli('status', 'ceremony-x');
    expect(code).toBe(1);
    expect(err).toMatch(/environment is invalid:\n {2}- WEB_PORT: /);
  } finally {
    if (saved === undefined) delete process.env.WEB_PORT;
    else process.env.WEB_PORT = saved;
  }
});

test('defaults, including the public URL that follows WEB_PORT', () => {
  expect(loadConfig({})).toMatchObject({
    WEB_PORT: 8080,
    CEREMONY_PUBLIC_URL: 'http://127.0.0.1:8080',
    SMTP_PORT: 587,
    TEMPORAL_PORT: 7233,
    LOG_LEVEL: 'info',
    DEMO_HSM: 'hsm-weu-1',
  });
  expect(loadConfig({ WEB_PORT: '9090' }).CEREMONY_PUBLIC_URL).toBe('http://127.0.0.1:9090');
  expect(
    loadConfig({ WEB_PORT: '9090', CEREMONY_PUBLIC_URL: 'https://ceremonies.example.com' }).CEREMONY_PUBLIC_URL,
  ).toBe('https://ceremonies.example.com');
});

// the one place that reads variables is runtime/config.ts; `env:NAME` secret references and
// whole environments handed to child processes are not configuration
test('no other source reads a variable by name', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && /process\.env(\.[A-Z]|\[)/.test(readFileSync(path, 'utf8')))
        offenders.push(relative(root, path));
    }
  };
  for (const layer of [
    'ceremonies',
    'runtime',
    'workflows',
    'activities',
    'worker',
    'client',
    'audit',
    'web',
    'cli',
    'scripts',
    'simulator',
    'bench',
  ])
    walk(join(root, layer));
  expect(offenders).toEqual([]);
});

test('traces are off unless the OTEL_* variables ask for them, and then go where they say', () => {
  const endpoint = (env: Record<string, string>) => tracesEndpoint(loadConfig(env));
  expect(endpoint({})).toBeUndefined();
  expect(endpoint({ OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
  expect(endpoint({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe('http://localhost:4318/v1/traces');
  expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
  expect(
    endpoint({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/v1/traces',
    }),
  ).toBe('https://traces.example.com/otlp/v1/traces');
  expect(
    endpoint({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
  ).toBeUndefined();
  expect(endpoint({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBeUndefined();
  // an exporter this project does not have is refused, not ignored
  expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER: /);
  expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: /);
});
