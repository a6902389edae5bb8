// One module per command group; each exports register(program).
import type { Command } from 'commander';

export function registerAll(program: Command): void {
  void program;
}
