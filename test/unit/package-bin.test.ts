import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');
const bins: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin;

// `npx ceremony …` (the README's walk-through) runs package.json's bin as a command: on a fresh
// clone npm installs before dist/ exists, so the build itself must leave it executable
test.each(Object.entries(bins))(
  'the %s command runs as the README runs it: executable, by its shebang',
  async (name, path) => {
    const { stdout } = await promisify(execFile)(join(root, path), ['--help'], { cwd: root });
    expect(stdout).toContain(`Usage: ${name}`);
  },
);
