// Chromium as the tests use it: Debian's binary, headless, a fresh profile
// (playwright passes it as --user-data-dir), nothing that reaches the network
// on its own.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const TIMEOUT = 15000;

/* One named check: "ok - name" or "not ok - name" with the error. */
export const results = { passed: 0, failed: 0 };

export async function check(name, fn) {
	try {
		await fn();
		results.passed++;
		console.log(`ok - ${name}`);
	} catch (e) {
		results.failed++;
		console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
	}
}

/* A browser context with a fresh profile; close() removes the profile. */
export async function launch(viewport) {
	const profile = mkdtempSync(join(tmpdir(), 'httpd-chromium-'));
	let ctx;
	try {
		ctx = await chromium.launchPersistentContext(profile, {
			executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
			headless: true,
			timeout: 60000,
			viewport: viewport || { width: 1000, height: 720 },
			args: [
				'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
				'--no-first-run', '--disable-background-networking',
				'--disable-component-update', '--disable-sync',
				'--disable-dev-shm-usage',
			],
		});
	} catch (e) {
		rmSync(profile, { recursive: true, force: true });
		throw e;
	}
	ctx.setDefaultTimeout(TIMEOUT);
	ctx.setDefaultNavigationTimeout(TIMEOUT);
	return {
		ctx,
		newPage: () => ctx.newPage(),
		async close() {
			try {
				await ctx.close();
			} finally {
				rmSync(profile, { recursive: true, force: true });
			}
		},
	};
}

/* Run a test file's main, print "browser: N passed, N failed", exit 1 on
 * any failure (or when nothing ran). */
export async function run(main) {
	try {
		await main();
	} catch (e) {
		results.failed++;
		console.log(`not ok - setup\n  ${e.stack || e}`);
	}
	console.log(`browser: ${results.passed} passed, ${results.failed} failed`);
	process.exit(results.failed || !results.passed ? 1 : 0);
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

function canConnect(port) {
	return new Promise((resolve) => {
		const c = createConnection({ host: '127.0.0.1', port }, () => { c.destroy(); resolve(true); });
		c.on('error', () => resolve(false));
		c.setTimeout(1000, () => { c.destroy(); resolve(false); });
	});
}

/* httpd (the binary) -f on a free port of 127.0.0.1 with args: { proc, url,
 * port }; the caller stops proc. Bounded: 5 ports, 5 s each. */
export async function startHttpd(httpd, args) {
	for (let attempt = 0; attempt < 5; attempt++) {
		const port = await freePort();
		const proc = spawn(httpd, ['-f', '-p', `127.0.0.1:${port}`, ...args],
			{ stdio: ['ignore', 'ignore', 'inherit'] });
		let exited = false;
		proc.on('exit', () => { exited = true; });
		for (let i = 0; i < 50 && !exited; i++) {
			if (await canConnect(port))
				return { proc, url: `http://127.0.0.1:${port}`, port };
			await new Promise((r) => setTimeout(r, 100));
		}
		proc.kill('SIGKILL');
	}
	throw new Error(`${httpd} ${args.join(' ')} did not start`);
}
