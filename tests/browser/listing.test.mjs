// Directory listings (--list) in headless Chromium: the page lists a made-up
// tree sorted by name with sizes and times, hides dotfiles and what lies
// outside HOME, escapes hostile names (no script runs), its links work, and
// it fits a phone screen. Starts its own httpd (HTTPD) on a free port.
// Prints "browser: N passed, N failed".
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, launch, run, startHttpd } from './browser.mjs';

const HTTPD = process.env.HTTPD;
const XSS = '<img src=x onerror=window.pwned=1>.txt';

function makeTree() {
	const top = mkdtempSync(join(tmpdir(), 'httpd-listing-'));
	const home = join(top, 'www');
	const files = {
		'b.txt': 'b'.repeat(1500),
		'a&<b>.txt': 'amp',
		'space name.txt': '',
		'é.txt': 'utf8',
		[XSS]: 'x',
		'.hidden': 'secret',
		'sub/inner.txt': 'inner',
	};
	for (const [name, body] of Object.entries(files)) {
		mkdirSync(join(home, name, '..'), { recursive: true });
		writeFileSync(join(home, name), body);
	}
	writeFileSync(join(home, 'big.bin'), '');
	truncateSync(join(home, 'big.bin'), 2 * 1024 * 1024);
	writeFileSync(join(top, 'outside.txt'), 'outside');
	symlinkSync(join(top, 'outside.txt'), join(home, 'out-link'));
	return { top, home };
}

async function rowNames(page) {
	return page.locator('tbody td.n a').allTextContents();
}

async function main() {
	if (!HTTPD)
		throw new Error('HTTPD must name the server binary (run.sh does it)');
	const tree = makeTree();
	let server, browser;
	try {
		server = await startHttpd(HTTPD, ['-h', tree.home, '--list']);
		const BASE = server.url;
		browser = await launch();
		const page = await browser.newPage();

		await check('listing: sorted names, dotfiles and outside links hidden', async () => {
			const res = await page.goto(`${BASE}/`);
			assert.equal(res.status(), 200);
			assert.equal(await page.title(), 'Index of /');
			assert.deepEqual(await rowNames(page),
				[XSS, 'a&<b>.txt', 'b.txt', 'big.bin', 'space name.txt', 'sub/', 'é.txt']);
			const text = await page.locator('body').innerText();
			assert.doesNotMatch(text, /hidden|out-link|outside/);
		});

		await check('listing: hostile names are text, no script ran', async () => {
			assert.equal(await page.evaluate(() => window.pwned), undefined);
			assert.equal(await page.locator('img').count(), 0);
		});

		await check('listing: sizes and modification times', async () => {
			const row = page.locator('tbody tr', { hasText: 'big.bin' });
			assert.equal(await row.locator('td.s').textContent(), '2.0 MiB');
			assert.equal(await row.locator('td.s').getAttribute('data-bytes'), String(2 * 1024 * 1024));
			const when = await row.locator('time').getAttribute('datetime');
			const age = Date.now() - Date.parse(when);
			assert.ok(age >= -5000 && age < 3600 * 1000, `mtime ${when}`);
			assert.equal(await page.locator('tbody tr', { hasText: 'b.txt' })
				.locator('td.s').textContent(), '1.5 KiB');
		});

		await check('listing: links lead to the files (names URL-encoded)', async () => {
			for (const [name, body] of [['a&<b>.txt', 'amp'], ['space name.txt', ''],
				['é.txt', 'utf8'], [XSS, 'x']]) {
				const link = page.locator('tbody td.n a', { hasText: name }).first();
				const href = await link.getAttribute('href');
				const res = await page.request.get(new URL(href, `${BASE}/`).href);
				assert.equal(res.status(), 200, href);
				assert.equal(await res.text(), body, href);
			}
		});

		await check('listing: into a directory and back up', async () => {
			await page.click('a[href="sub/"]');
			await page.waitForURL(/\/sub\/$/);
			assert.equal(await page.title(), 'Index of /sub/');
			assert.deepEqual(await rowNames(page), ['../', 'inner.txt']);
			await page.click('a[href="../"]');
			await page.waitForURL(new RegExp(`^${BASE}/$`));
			assert.equal(await page.title(), 'Index of /');
		});

		await check('listing: readable on a phone', async () => {
			const phone = await launch({ width: 360, height: 640 });
			try {
				const p = await phone.newPage();
				await p.goto(`${BASE}/`);
				const m = await p.evaluate(() => ({
					scroll: document.documentElement.scrollWidth,
					width: window.innerWidth,
					font: parseFloat(getComputedStyle(document.querySelector('td.n a')).fontSize),
					viewport: document.querySelector('meta[name=viewport]')?.content,
				}));
				assert.ok(m.scroll <= m.width, `no sideways scroll (${m.scroll} > ${m.width})`);
				assert.ok(m.font >= 14, `font ${m.font}px`);
				assert.match(m.viewport, /width=device-width/);
				assert.ok(await p.locator('td.n a', { hasText: 'big.bin' }).isVisible());
				const box = await p.locator('td.n a', { hasText: 'big.bin' }).boundingBox();
				assert.ok(box.height >= 18, `tap target ${box.height}px high`);
			} finally {
				await phone.close();
			}
		});
	} finally {
		if (browser)
			await browser.close();
		if (server)
			server.proc.kill('SIGTERM');
		rmSync(tree.top, { recursive: true, force: true });
	}
}

await run(main);
