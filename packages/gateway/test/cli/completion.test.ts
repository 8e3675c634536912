import { spawnSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';

vi.setConfig({ testTimeout: 60_000 }); // each step spawns the real command

describe('portcullis help', () => {
  it('`help keys create` shows the help of create, not of keys', async () => {
    const { code, stdout } = await runCli(['help', 'keys', 'create']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: portcullis keys create \[options\]/);
    expect(stdout).toContain('--consumer <id>');
    const unknown = await runCli(['help', 'keys', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no command "keys nope"');
  });
});

describe('portcullis completion', () => {
  /** Sources the bash script and asks it to complete a command line, as bash does on Tab. */
  function completeInBash(script: string, line: string[]): string[] {
    const words = line.map((w) => `'${w}'`).join(' ');
    const run = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _portcullis_completion; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.split('\n').filter(Boolean);
  }

  it('bash: completes commands, subcommands and their flags', async () => {
    const { code, stdout } = await runCli(['completion', 'bash']);
    expect(code).toBe(0);
    expect(completeInBash(stdout, ['portcullis', 'k'])).toEqual(['keys', 'keyring']);
    expect(completeInBash(stdout, ['portcullis', 'keys', 'r'])).toEqual(['rotate', 'revoke']);
    expect(completeInBash(stdout, ['portcullis', 'keys', 'create', '--sc'])).toEqual(['--scope']);
    expect(completeInBash(stdout, ['portcullis', 'consumers', 'e'])).toEqual(['enable']);
    expect(completeInBash(stdout, ['portcullis', 'audit', 'list', '--since', '1h', '--li'])).toEqual(['--limit']);
  });

  it('zsh and fish: scripts that name every command', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef portcullis/);
    expect(zsh.stdout).toContain("'keys create' '--consumer --scope");
    const fish = await runCli(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c portcullis -n '__fish_use_subcommand' -a keys");
    expect(fish.stdout).toContain("complete -c portcullis -n '__fish_seen_subcommand_from keys; and __fish_seen_subcommand_from create' -l scope -r");
    for (const [shell, flag] of [['zsh', '-n'], ['fish', '--no-execute']] as const) {
      if (spawnSync(shell, ['--version']).status !== 0) continue; // the shell is not installed here: its syntax check cannot run
      const check = spawnSync(shell, [flag], { input: shell === 'zsh' ? zsh.stdout : fish.stdout, encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    }
    const wrong = await runCli(['completion', 'powershell']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Allowed choices are bash, zsh, fish');
  });
});
