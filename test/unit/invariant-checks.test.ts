import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditEvents, parseHistoryJson, type AuditEvent } from '../../audit/verifier/history';
import { historyFromExport } from '../../audit/verifier/history-shape';
import {
  auditFacts,
  checkInvariants,
  INVARIANT_CHECKS,
  INVARIANTS,
  type AuditFacts,
} from '../../audit/verifier/invariants';

// One function per invariant (INVARIANT_CHECKS): each holds on its own on a recorded history, and
// a fact changed under one invariant is reported by that invariant's function alone.

const file = join(
  __dirname,
  '..',
  'fixtures',
  'histories',
  'before-local-activities',
  'ceremony-test-BEFORE-LOCAL-1.json',
);
let events: AuditEvent[];
let facts: AuditFacts;
beforeAll(async () => {
  events = await auditEvents(parseHistoryJson(historyFromExport(JSON.parse(readFileSync(file, 'utf8')))));
  facts = auditFacts(events);
});

test('every invariant has its own check, in the order a verdict lists them', () => {
  expect(Object.keys(INVARIANT_CHECKS)).toEqual(Object.keys(INVARIANTS));
});

test('on a recorded history each invariant holds on its own, and checkInvariants is their union', () => {
  for (const check of Object.values(INVARIANT_CHECKS)) expect(check(facts, events)).toEqual([]);
  expect(checkInvariants(events, facts)).toEqual([]);
});

test("the requester among the deciders: no-self-approval names it, and that decision no longer counts toward the gate's quorum", () => {
  const decider = facts.decisions[0];
  expect(decider).toBeDefined();
  const selfApproved = { ...facts, plan: { ...facts.plan, requester: decider.actor } };
  const violations = checkInvariants(events, selfApproved);
  expect(INVARIANT_CHECKS['no-self-approval'](selfApproved, events)).toEqual([
    {
      invariant: 'no-self-approval',
      eventIds: [decider.eventId],
      detail: `${decider.actor} requested the ceremony and ${decider.name}d it`,
    },
  ]);
  expect(new Set(violations.map((v) => v.invariant))).toEqual(
    new Set(['no-self-approval', 'quorum-before-gated-steps', 'policy-before-gated-steps']),
  );
  expect(violations.filter((v) => v.invariant === 'no-self-approval')).toHaveLength(1);
});
