const Sequencer = require('@jest/test-sequencer').default;

// Test files that mostly wait (a kill -9 drill waits out an activity's heartbeat timeout, a
// restart drill a server's restart) start first, so their waits overlap the busy files instead of
// ending the run alone. Within a group, jest's own order: the slowest of the last run first, or,
// on a fresh clone without one, the largest file first.
const FIRST = [/\/test\/drills\/kill-worker-/, /\/test\/drills\//, /\/test\/(ceremonies|e2e)\//];

function group(path) {
  const i = FIRST.findIndex((pattern) => pattern.test(path));
  return i === -1 ? FIRST.length : i;
}

class WaitsFirstSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const rank = new Map(ordered.map((test, i) => [test, i]));
    return [...ordered].sort((a, b) => group(a.path) - group(b.path) || rank.get(a) - rank.get(b));
  }
}

module.exports = WaitsFirstSequencer;
