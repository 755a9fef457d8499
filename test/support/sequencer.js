const Sequencer = require('@jest/test-sequencer').default;

// Test files that mostly wait (a kill -9 drill waits out an activity's heartbeat timeout, a
// restart drill a server's restart) start early, one beside each busy file, so their waits overlap
// the busy files' work instead of ending the run alone or filling every slot at the start. Within
// each list, jest's own order: the slowest of the last run first, or, on a fresh clone without
// one, the largest file first.
const WAITING = /\/test\/drills\//;
const LONGEST_WAITS = /\/test\/drills\/kill-worker-/;
const BUSY_FIRST = /\/test\/(ceremonies|e2e)\//;

class WaitsBesideWorkSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const waiting = ordered.filter((test) => WAITING.test(test.path));
    waiting.sort((a, b) => Number(LONGEST_WAITS.test(b.path)) - Number(LONGEST_WAITS.test(a.path)));
    const rest = ordered.filter((test) => !WAITING.test(test.path));
    const busy = [
      ...rest.filter((test) => BUSY_FIRST.test(test.path)),
      ...rest.filter((t) => !BUSY_FIRST.test(t.path)),
    ];
    const interleaved = [];
    while (waiting.length > 0 || busy.length > 0) {
      if (waiting.length > 0) interleaved.push(waiting.shift());
      if (busy.length > 0) interleaved.push(busy.shift());
    }
    return interleaved;
  }
}

module.exports = WaitsBesideWorkSequencer;
