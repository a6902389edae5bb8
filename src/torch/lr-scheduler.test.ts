import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getScheduler, LRScheduler, SCHEDULER_NAMES } from './lr-scheduler';
import { needsShared, sharedPath } from '../../test/support/shared';

function close(actual: number, expected: number, rel = 1e-12, msg = ''): void {
  const ok = actual === expected || Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(ok, `${msg} got ${actual}, expected ${expected}`);
}

describe('lr schedules (hand-computed)', () => {
  test('linear with warmup', () => {
    const s = getScheduler({ name: 'linear', numWarmupSteps: 2, numTrainingSteps: 6, baseLr: 0.01 });
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => s.lrAt(k)), [0, 0.005, 0.01, 0.0075, 0.005, 0.0025, 0, 0]);
    assert.equal(s.lambda(1), 0.5);
  });
  test('cosine, cosine_with_restarts', () => {
    const c = getScheduler({ name: 'cosine', numWarmupSteps: 0, numTrainingSteps: 4, baseLr: 1 });
    close(c.lrAt(2), 0.5);
    close(c.lrAt(4), 0);
    const r = getScheduler({ name: 'cosine_with_restarts', numWarmupSteps: 0, numTrainingSteps: 8, baseLr: 1, schedulerSpecificKwargs: { numCycles: 2 } });
    close(r.lrAt(0), 1);
    close(r.lrAt(2), 0.5);
    close(r.lrAt(4), 1); // restart
    assert.equal(r.lrAt(8), 0);
    const full = getScheduler({ name: 'cosine', numWarmupSteps: 0, numTrainingSteps: 4, baseLr: 1, schedulerSpecificKwargs: { num_cycles: 1 } });
    close(full.lrAt(4), 1);
  });
  test('polynomial works in absolute lr (lr_end), clamps after the end', () => {
    const p = getScheduler({ name: 'polynomial', numWarmupSteps: 0, numTrainingSteps: 10, baseLr: 1e-3, schedulerSpecificKwargs: { lrEnd: 1e-4, power: 2 } });
    close(p.lrAt(0), 1e-3);
    close(p.lrAt(5), (1e-3 - 1e-4) * 0.25 + 1e-4);
    close(p.lrAt(10), 1e-4);
    close(p.lrAt(50), 1e-4);
    assert.throws(() => getScheduler({ name: 'polynomial', numWarmupSteps: 0, numTrainingSteps: 10, baseLr: 1e-8 }), /lr_end \(1e-7\) must be smaller than initial lr \(1e-8\)/);
  });
  test('constant, constant_with_warmup, inverse_sqrt', () => {
    assert.equal(getScheduler({ name: 'constant', baseLr: 0.3 }).lrAt(100), 0.3);
    const cw = getScheduler({ name: 'constant_with_warmup', numWarmupSteps: 4, baseLr: 2 });
    assert.deepEqual([0, 1, 4, 9].map((k) => cw.lrAt(k)), [0, 0.5, 2, 2]);
    const is = getScheduler({ name: 'inverse_sqrt', numWarmupSteps: 4, baseLr: 1 });
    assert.equal(is.lrAt(2), 0.5);
    assert.equal(is.lrAt(4), 1);
    close(is.lrAt(16), 1 / Math.sqrt(4));
    const is0 = getScheduler({ name: 'inverse_sqrt', numWarmupSteps: 0, baseLr: 1 });
    close(is0.lrAt(30000), 0.5); // timescale 10000, shift 10000: 1/sqrt(40000/10000)
  });
  test('argument errors are clear', () => {
    assert.throws(() => getScheduler({ name: 'cosine_annealing', baseLr: 1 }), /unknown lr scheduler 'cosine_annealing': use one of linear, cosine/);
    assert.throws(() => getScheduler({ name: 'linear', baseLr: 1, numTrainingSteps: 5 }), /linear requires `numWarmupSteps`/);
    assert.throws(() => getScheduler({ name: 'cosine', baseLr: 1, numWarmupSteps: 0 }), /cosine requires `numTrainingSteps`/);
    assert.throws(() => getScheduler({ name: 'linear', baseLr: 1, numWarmupSteps: 0, numTrainingSteps: 5, schedulerSpecificKwargs: { power: 2 } }), /scheduler 'linear' does not take power/);
    assert.throws(() => getScheduler({ name: 'linear', baseLr: 1, numWarmupSteps: -1, numTrainingSteps: 5 }), /numWarmupSteps must be a non-negative integer/);
    assert.throws(() => getScheduler({ name: 'constant', baseLr: 1 }).lrAt(-1), /non-negative integer/);
    // snake_case config
    assert.equal(getScheduler({ name: 'linear', baseLr: 1, num_warmup_steps: 1, num_training_steps: 3 }).lrAt(2), 0.5);
    assert.equal(SCHEDULER_NAMES.length, 7);
  });
});

describe('LRScheduler (stateful, LambdaLR semantics)', () => {
  test('construction sets step 0 lrs; step() advances; groups scale by their base lr', () => {
    const groups = [0.01, 0.02];
    const set: number[][] = [];
    const sch = LRScheduler.fromSchedule({ name: 'linear', numWarmupSteps: 2, numTrainingSteps: 6, baseLr: 0.01, baseLrs: groups, setLr: (i, lr) => { (set[i] ??= []).push(lr); } });
    assert.deepEqual(sch.getLastLr(), [0, 0]);
    assert.equal(sch.lastEpoch, 0);
    sch.step();
    assert.deepEqual(sch.getLastLr(), [0.005, 0.01]);
    assert.deepEqual(set, [[0, 0.005], [0, 0.01]]);
  });
  test('stateDict / loadStateDict resume exactly', () => {
    const mk = (setLr: (i: number, lr: number) => void) => LRScheduler.fromSchedule({ name: 'cosine', numWarmupSteps: 1, numTrainingSteps: 10, baseLr: 0.1, setLr });
    const a = mk(() => {});
    for (let i = 0; i < 4; i++) a.step();
    const state = JSON.parse(JSON.stringify(a.stateDict()));
    assert.equal(state.last_epoch, 4);
    assert.equal(state._step_count, 5);
    const applied: number[] = [];
    const b = mk((_, lr) => applied.push(lr));
    b.loadStateDict(state);
    assert.deepEqual(b.getLastLr(), a.getLastLr());
    assert.equal(applied.at(-1), a.getLastLr()[0]);
    a.step();
    b.step();
    assert.deepEqual(b.getLastLr(), a.getLastLr());
    assert.throws(() => b.loadStateDict({ base_lrs: [1, 2], last_epoch: 3 }), /base_lrs must hold 1 numbers/);
  });
  test('per-group lambdas and resume from lastEpoch', () => {
    const sch = new LRScheduler({ lrLambda: [(s) => s, (s) => 2 * s], baseLrs: [1, 1], setLr: () => {}, lastEpoch: 2 });
    assert.deepEqual(sch.getLastLr(), [3, 6]);
    assert.throws(() => new LRScheduler({ lrLambda: [(s) => s], baseLrs: [1, 1], setLr: () => {} }), /expected 2 lr lambdas/);
  });
});

interface OptimCase { name: string; lr: number; schedule: string; warmup_steps: number; lr_used_per_step: number[][] }

describe('lr schedules vs transformers 4.29.2 (optim/cases.json)', needsShared, () => {
  test('every case: lr used at each step, pure and stateful', () => {
    const doc = JSON.parse(readFileSync(sharedPath('fixtures/hf-reference/optim/cases.json'), 'utf8')) as { steps: number; cases: OptimCase[] };
    assert.ok(doc.cases.length >= 5);
    for (const c of doc.cases) {
      const opts = { name: c.schedule, numWarmupSteps: c.warmup_steps, numTrainingSteps: doc.steps, baseLr: c.lr };
      const s = getScheduler(opts);
      const nGroups = c.lr_used_per_step[0].length;
      const sch = LRScheduler.fromSchedule({ ...opts, baseLrs: Array(nGroups).fill(c.lr), setLr: () => {} });
      c.lr_used_per_step.forEach((lrs, k) => {
        // optimizer step k+1 uses lrAt(k)
        lrs.forEach((lr) => close(s.lrAt(k), lr, 1e-12, `${c.name} step ${k + 1}:`));
        sch.getLastLr().forEach((lr, g) => close(lr, lrs[g], 1e-12, `${c.name} (stateful) step ${k + 1} group ${g}:`));
        sch.step();
      });
    }
  });
});

describe("getScheduler with an optimizer, exported from 'hubtune'", () => {
  test('drives the optimizer groups like get_scheduler(name, optimizer, ...) and the named get_*_schedule helpers', async () => {
    const hubtune = await import('../index');
    const { tensor, optim } = hubtune;
    const w = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const b = tensor([0], { dtype: 'float32', requiresGrad: true });
    const opt = new optim.SGD([{ params: [w], lr: 0.2 }, { params: [b] }], { lr: 0.1 });
    const sched = hubtune.getScheduler({ name: 'linear', optimizer: opt, numWarmupSteps: 1, numTrainingSteps: 3 });
    assert.ok(sched instanceof hubtune.LRScheduler);
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0, 0]);
    sched.step();
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.2, 0.1]);
    sched.step();
    close(opt.paramGroups[0]!.lr, 0.1); close(opt.paramGroups[1]!.lr, 0.05);
    assert.deepEqual(sched.getLastLr(), opt.paramGroups.map((g) => g.lr));

    const opt2 = new optim.SGD([w], { lr: 1 });
    const cos = hubtune.getCosineScheduleWithWarmup({ optimizer: opt2, numWarmupSteps: 0, numTrainingSteps: 4, numCycles: 1 });
    cos.step(); cos.step();
    close(opt2.paramGroups[0]!.lr, 0); // a full wave: lr back to 0 half-way
    const poly = hubtune.getPolynomialDecayScheduleWithWarmup({ optimizer: new optim.SGD([b], { lr: 1 }), numWarmupSteps: 0, numTrainingSteps: 2, lrEnd: 0.5, power: 2 });
    poly.step();
    close(poly.getLastLr()[0]!, 0.5 * 0.5 ** 2 + 0.5);
    assert.throws(() => hubtune.getScheduler({ name: 'linear', optimizer: opt2, numWarmupSteps: 0 }), /linear requires `numTrainingSteps`/);
    assert.equal(hubtune.getConstantSchedule({ optimizer: opt2 }).getLastLr()[0], 1);
  });
});
