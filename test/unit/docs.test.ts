import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CEREMONY_KINDS } from '../../ceremonies/plan';
import { OPERATION_NAMES } from '../../ceremonies/operations';
import {
  DOCS_COMMAND,
  GENERATED_SECTIONS,
  paramRows,
  sectionText,
  staleSections,
} from '../../scripts/docs/generated-tables';

// README.md and docs/ are what a newcomer reads: the README short, every link leading to a file of
// this repository, and the tables that the code can give generated from it and current.

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

function markdownFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}
const DOCUMENTS = ['README.md', 'bench/README.md', ...markdownFiles('docs')];

/** The text a reader sees as prose: fenced blocks and code spans removed (their text is not a link). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`+[^`\n]*`+/g, '');
}

function links(markdown: string): string[] {
  const text = prose(markdown);
  return [
    ...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g),
    ...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm),
  ].map((m) => m[1]);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(
    markdown.replace(/^(#{1,6}) +(.*)$/gm, (_, h: string, t: string) => `${h} ${t.replace(/`/g, '')}`),
  ).matchAll(/^#{1,6} +(.*?)#*\s*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n ? `${slug}-${n}` : slug);
  }
  return result;
}

test('the README is what a newcomer reads in five minutes: at most 150 lines, the two commands first', () => {
  const readme = read('README.md');
  expect(readme.split('\n').length).toBeLessThanOrEqual(150);
  expect(readme.split('\n').slice(2, 5).join('\n')).toMatch(/^```sh\nnpm start .*\nnpm test /);
  // no link at all to anything outside the repository, not even the web
  expect(prose(readme)).not.toMatch(/https?:\/\//);
});

test('the README has a line for every ceremony kind and links every page of docs/', () => {
  const readme = read('README.md');
  for (const kind of CEREMONY_KINDS)
    expect({ kind, line: new RegExp(`^- \`${kind}\`: `, 'm').test(readme) }).toEqual({ kind, line: true });
  const linked = new Set(links(readme).map((l) => l.split('#')[0]));
  const pages = markdownFiles('docs').filter(
    (f) => !f.startsWith(`docs${sep}ceremonies${sep}`) || f.endsWith('README.md'),
  );
  expect({ notInTheIndex: pages.filter((p) => !linked.has(p.split(sep).join('/'))) }).toEqual({ notInTheIndex: [] });
  const kindPages = markdownFiles(join('docs', 'ceremonies')).filter((f) => !f.endsWith('README.md'));
  const overview = read('docs/ceremonies/README.md');
  for (const page of kindPages)
    expect({
      page,
      linkedFromOverview: links(overview).some((l) => l.split('#')[0] === page.split(sep).pop()),
    }).toEqual({ page, linkedFromOverview: true });
});

test('every relative link of README.md, bench/README.md and docs/ leads to a file of the repository (and to a heading there)', () => {
  const broken: string[] = [];
  for (const file of DOCUMENTS) {
    for (const link of links(read(file))) {
      const [target, fragment] = link.split('#');
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//') || target.startsWith('/')) {
        broken.push(`${file}: ${link} (outside the repository)`);
        continue;
      }
      const path = target ? resolve(root, dirname(file), decodeURIComponent(target)) : join(root, file);
      const inside = relative(root, path);
      if (inside.startsWith('..') || inside.split(sep)[0] === 'node_modules')
        broken.push(`${file}: ${link} (outside the repository)`);
      else if (!existsSync(path)) broken.push(`${file}: ${link} (no such file)`);
      else if (fragment !== undefined && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(fragment))
        broken.push(`${file}: ${link} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});

test(`the generated tables of docs/ are current (else run \`${DOCS_COMMAND}\`)`, () => {
  const stale = staleSections(root);
  if (stale.length)
    throw new Error(
      `generated tables out of date:\n  ${stale.join('\n  ')}\nrun \`${DOCS_COMMAND}\` and commit the result`,
    );
  expect(stale).toEqual([]);
});

test('every ceremony kind has its parameter table, and every parameter a description', () => {
  for (const kind of CEREMONY_KINDS) {
    const section = GENERATED_SECTIONS.find((s) => s.id === `params ${kind}`);
    expect(section).toBeDefined();
    expect(sectionText(read(section!.file), section!.id)).toBeDefined();
    const undescribed = paramRows(kind)
      .filter((r) => !r.description)
      .map((r) => r.name);
    expect({ kind, undescribed }).toEqual({ kind, undescribed: [] });
  }
});

test('the operation table documents every operation of the catalogue, and the docs name none it lacks', () => {
  const table = sectionText(read('docs/operations.md'), 'operations') ?? '';
  const rows = table.split('\n').flatMap((l) => /^\| `([a-zA-Z.]+)` \|/.exec(l)?.[1] ?? []);
  expect(rows).toEqual(OPERATION_NAMES);
  // an operation named anywhere in the docs (a `namespace.name` of the catalogue's namespaces) exists
  const namespaces = new Set(OPERATION_NAMES.map((n) => n.split('.')[0]));
  // what is not an operation: file names, and the inventory's `ntls: { host, port }` of an HSM
  const notOperations = /\.(md|ts|js|json|yaml|pem)$|^ntls\.(host|port)$/;
  const invented: string[] = [];
  for (const file of DOCUMENTS) {
    for (const [, name] of read(file).matchAll(/`([a-z]+\.[a-zA-Z]+)(?: [^`]*)?`/g)) {
      if (
        namespaces.has(name.split('.')[0]) &&
        !notOperations.test(name) &&
        !(OPERATION_NAMES as string[]).includes(name)
      )
        invented.push(`${file}: ${name}`);
    }
  }
  expect(invented).toEqual([]);
});

test('the benchmarks page holds no figures: they are in bench/results/latest.json', () => {
  const page = prose(read('bench/README.md'));
  expect(read('bench/README.md')).toContain('results/latest.json');
  // measured values only in the results file (the targets, with ≤ or ≥, are requirements)
  const figures = [...page.matchAll(/(?<![≤≥] ?)(?<![\d.,])\d[\d.,]*\s?(?:ms|s|MiB|GiB|histories\/s)\b/g)].map(
    (m) => m[0],
  );
  expect(figures).toEqual([]);
});

test('no table cell of the docs grows into a page of its own', () => {
  const long = DOCUMENTS.flatMap((file) =>
    read(file)
      .split('\n')
      .flatMap((line, i) =>
        line.startsWith('|') && line.split(' | ').some((c) => c.length > 800) ? [`${file}:${i + 1}`] : [],
      ),
  );
  expect(long).toEqual([]);
});
