import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');

/** One line logged by the built logger in a process of its own (the format as every command and
 * the worker write it to stdout), and whether that process loaded pino-pretty. */
async function logOnce(format: 'json' | 'pretty' | undefined) {
  const script = `
    const { createLogger } = require('./dist/runtime/logger');
    createLogger('format-test', 'info', ${JSON.stringify(format)}).info({ ceremonyId: 'c-1' }, 'hello');
    process.stderr.write(String(Object.keys(require.cache).some((f) => f.includes('/pino-pretty/'))));`;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: root });
  return { line: stdout.trim(), loadedPretty: stderr === 'true' };
}

test('LOG_FORMAT=json (the default): one JSON object a line, without loading pino-pretty', async () => {
  for (const format of ['json', undefined] as const) {
    const { line, loadedPretty } = await logOnce(format);
    expect(JSON.parse(line)).toMatchObject({ name: 'format-test', msg: 'hello', ceremonyId: 'c-1', level: 30 });
    expect(loadedPretty).toBe(false);
  }
});

test('LOG_FORMAT=pretty: a line for people (level, name, message, then the fields), through pino-pretty', async () => {
  const { line, loadedPretty } = await logOnce('pretty');
  expect(() => JSON.parse(line)).toThrow();
  expect(line).toMatch(/INFO \(format-test\/\d+\): hello/);
  expect(line).toContain('ceremonyId: "c-1"');
  expect(loadedPretty).toBe(true);
});
