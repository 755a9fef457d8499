import { ENVIRONMENT, type EnvironmentVariable } from './config';

// The environment list (./config.ts) as `ceremony --help` prints it and as docs/production.md's table.

function groups(): [string, EnvironmentVariable[]][] {
  const grouped = new Map<string, EnvironmentVariable[]>();
  for (const v of ENVIRONMENT) grouped.set(v.group, [...(grouped.get(v.group) ?? []), v]);
  return [...grouped];
}

/** Grouped, the descriptions aligned, defaults in brackets. */
export function environmentHelp(): string {
  const width = Math.max(...ENVIRONMENT.map((v) => v.name.length)) + 2;
  return [
    'Environment (the worker, the web app and this command read the same; defaults in brackets):',
    ...groups().flatMap(([group, variables]) => [
      `  ${group}`,
      ...variables.map(
        (v) => `    ${v.name.padEnd(width)}${v.description}${v.default === undefined ? '' : ` [${v.default}]`}`,
      ),
    ]),
  ].join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The Markdown table of docs/production.md ("Pointing at a real Temporal cluster or Temporal Cloud"). */
export function environmentTable(): string {
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...groups().flatMap(([group, variables]) => [
      `| **${group}** | | |`,
      ...variables.map(
        (v) =>
          `| \`${v.name}\` | ${v.default === undefined ? '–' : `\`${cell(v.default)}\``} | ${cell(v.description)} |`,
      ),
    ]),
  ].join('\n');
}
