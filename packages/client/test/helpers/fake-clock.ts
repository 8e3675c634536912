import type { Clock } from '../../src/clock.js';

/** Time that moves only when the client waits: every sleep advances `now` at once and is recorded. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public current = Date.now()) {}
  now = (): number => this.current;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.current += Math.max(0, ms);
  };
  advance(ms: number): void {
    this.current += ms;
  }
}
