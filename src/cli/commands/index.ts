// One module per command group; each exports register(program).
import type { Command } from 'commander';
import { register as registerHub } from './hub';
import { register as registerTrain } from './train';
import { register as registerEval } from './eval';
import { register as registerPredict } from './predict';
import { register as registerDemo } from './demo';
import { register as registerPush } from './push';
import { register as registerDiscover } from './discover';
import { register as registerRepo } from './repo';
import { register as registerCache } from './cache';
import { register as registerEnv } from './env';
import { register as registerServe } from './serve';
import { register as registerLaunch } from './launch';

export function registerAll(program: Command): void {
  void program;
  registerHub(program);
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerDemo(program);
  registerPush(program);
  registerDiscover(program);
  registerRepo(program);
  registerCache(program);
  registerEnv(program);
  registerServe(program);
  registerLaunch(program);
}
