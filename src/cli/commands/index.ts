// One module per command group; each exports register(program).
import type { Command } from 'commander';
import { register as registerHub } from './hub';
import { register as registerPush } from './push';

export function registerAll(program: Command): void {
  void program;
  registerHub(program);
  registerPush(program);
}
