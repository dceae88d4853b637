import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { descendants, processInfo, waitUntilGone } from './stack-process.js';

const GUARD = fileURLToPath(new URL('../../local/child-guard.mjs', import.meta.url));

/** local/child-guard.mjs: the command it runs dies with the guard's owner, however the owner dies. */
describe('child guard', () => {
  const processes: ChildProcess[] = [];
  /** Guards lead their own process groups: killing a group takes a command a broken guard left. */
  const groups: number[] = [];
  afterEach(() => {
    for (const p of processes.splice(0)) p.kill('SIGKILL');
    for (const pgid of groups.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  const guard = (...command: string[]) => {
    const child = spawn(process.execPath, [GUARD, ...command], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid !== undefined) groups.push(child.pid);
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    return { child, exited, stdout: () => out, stderr: () => err };
  };

  it.skipIf(process.platform !== 'linux')(
    'stops the command when its owner is SIGKILLed',
    {
      timeout: 30_000,
    },
    async () => {
      // An owner that starts a guarded command and then does nothing, as the local stack does.
      const ownerScript = `
      const { spawn } = require('node:child_process');
      const guard = spawn(process.execPath, [${JSON.stringify(GUARD)}, process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 60000)'], {
        stdio: ['pipe', 'inherit', 'inherit'], detached: true,
      });
      guard.stdin.write('start');
      console.log(guard.pid);
      setInterval(() => {}, 60000);`;
      const owner = spawn(process.execPath, ['-e', ownerScript], { stdio: ['ignore', 'pipe', 'inherit'] });
      processes.push(owner);
      // The owner prints the guard's pid, then the command (whose stdout is the owner's) says "up".
      let out = '';
      const ownerStdout = owner.stdout as NodeJS.ReadableStream;
      while (!out.includes('up\n')) {
        const [chunk] = (await once(ownerStdout, 'data')) as [Buffer];
        out += chunk.toString('utf8');
      }
      const guardPid = Number(out.split('\n')[0]);
      groups.push(guardPid);
      const guardInfo = processInfo(guardPid);
      if (!guardInfo) throw new Error(`guard ${guardPid} not found`);
      const command = descendants(guardPid);
      expect(command.map((p) => p.cmdline).join('\n')).toContain('setInterval');

      owner.kill('SIGKILL');
      await once(owner, 'exit');
      const survivors = await waitUntilGone([guardInfo, ...command], 15_000);
      expect(survivors.map((p) => `${p.pid} ${p.cmdline}`)).toEqual([]);
    },
  );

  it('runs nothing before the first byte, and exits when its stdin closes first', async () => {
    const g = guard(process.execPath, '-e', 'console.log("ran")');
    g.child.stdin?.end();
    expect(await g.exited).toEqual([0, null]);
    expect(g.stdout()).toBe('');
  });

  it("exits as its command exits, with the command's code or signal", async () => {
    const byCode = guard(process.execPath, '-e', 'console.log("ran"); process.exit(7)');
    byCode.child.stdin?.write('start');
    expect(await byCode.exited).toEqual([7, null]);
    expect(byCode.stdout()).toBe('ran\n');

    const bySignal = guard(process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")');
    bySignal.child.stdin?.write('start');
    expect(await bySignal.exited).toEqual([null, 'SIGKILL']);
  });

  it('stops its command with SIGTERM when its stdin closes', async () => {
    const g = guard(
      process.execPath,
      '-e',
      'process.on("SIGTERM", () => { console.log("terminated"); process.exit(0); }); console.log("up"); setInterval(() => {}, 60000)',
    );
    g.child.stdin?.write('start');
    while (!g.stdout().includes('up')) await once(g.child.stdout as NodeJS.ReadableStream, 'data');
    g.child.stdin?.end();
    expect(await g.exited).toEqual([0, null]);
    expect(g.stdout()).toBe('up\nterminated\n');
  });

  it('says so, and exits 127, when the command cannot run', async () => {
    const g = guard('/nonexistent/java');
    g.child.stdin?.write('start');
    expect(await g.exited).toEqual([127, null]);
    expect(g.stderr()).toContain('cannot run /nonexistent/java');
  });
});
