// Web apps in headless Chromium: the demo SPA of tests/browser/spa/ with
// client-side routing (a reload on a deep link renders the app, a missing
// asset is a 404), cache headers as the browser sees them, and CORS: a page
// of one port fetch()ing another port's API is allowed for a listed origin
// and blocked by the browser for another. Starts its own servers (HTTPD).
// Prints "browser: N passed, N failed".
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, launch, run, startHttpd } from './browser.mjs';

const HTTPD = process.env.HTTPD;
const here = dirname(fileURLToPath(import.meta.url));
const SPA = join(here, 'spa');
const CONF = join(here, 'spa.conf');

/* fetch(url, init) in the page: { status, body } or { error }. */
function pageFetch(page, url, init) {
	return page.evaluate(async ([u, i]) => {
		try {
			const r = await fetch(u, i);
			return { status: r.status, body: await r.text() };
		} catch (e) {
			return { error: String(e) };
		}
	}, [url, init || {}]);
}

async function main() {
	if (!HTTPD)
		throw new Error('HTTPD must name the server binary (run.sh does it)');
	const servers = [];
	let browser;
	try {
		const app = await startHttpd(HTTPD, ['-h', SPA, '-c', CONF]);
		servers.push(app);
		const other = await startHttpd(HTTPD, ['-h', SPA, '-c', CONF]);
		servers.push(other);
		const api = await startHttpd(HTTPD, ['-h', SPA, '-c', '/dev/null', '--cors', app.url,
			'--cors-headers', 'X-Token']);
		servers.push(api);
		browser = await launch();
		const page = await browser.newPage();
		const seen = new Map();
		page.on('response', (r) => seen.set(new URL(r.url()).pathname, r));

		await check('spa: a deep link renders the app, no-cache on the entry', async () => {
			const res = await page.goto(`${app.url}/users/42`);
			assert.equal(res.status(), 200);
			await page.waitForFunction(() => document.getElementById('app').textContent === 'User 42');
			assert.equal(res.headers()['cache-control'], 'no-cache');
			assert.equal(res.headers()['x-content-type-options'], 'nosniff');
		});

		await check('spa: assets are immutable', async () => {
			for (const p of ['/assets/app.js', '/assets/app.css']) {
				assert.ok(seen.has(p), `${p} loaded`);
				assert.equal(seen.get(p).status(), 200);
				assert.equal(seen.get(p).headers()['cache-control'],
					'public, max-age=31536000, immutable');
			}
		});

		await check('spa: client-side routing, then a reload on the deep link', async () => {
			await page.evaluate(() => { window.sameDocument = true; });
			await page.click('a[href="/about"]');
			await page.waitForURL(`${app.url}/about`);
			assert.equal(await page.textContent('#app'), 'About');
			assert.equal(await page.evaluate(() => window.sameDocument), true, 'no page load');
			const res = await page.reload();
			assert.equal(res.status(), 200);
			await page.waitForFunction(() => document.getElementById('app').textContent === 'About');
			assert.equal(await page.evaluate(() => window.sameDocument), undefined, 'reloaded');
			await page.goBack();
			await page.waitForFunction(() => document.getElementById('app').textContent === 'User 42');
		});

		await check('spa: the entry page itself has no-cache, a missing asset is 404', async () => {
			const entry = await page.goto(`${app.url}/index.html`);
			assert.equal(entry.status(), 200);
			assert.equal(entry.headers()['cache-control'], 'no-cache');
			const res = await page.goto(`${app.url}/assets/x.js`);
			assert.equal(res.status(), 404);
			assert.equal(res.headers()['cache-control'], undefined);
		});

		await check('cors: the listed origin reads the other port\'s API', async () => {
			await page.goto(`${app.url}/`);
			const r = await pageFetch(page, `${api.url}/api/hello.json`);
			assert.deepEqual(r, { status: 200, body: '{"hello": "from the API"}\n' });
			// a non-safelisted header: the browser asks first (preflight)
			const p = await pageFetch(page, `${api.url}/api/hello.json`,
				{ headers: { 'X-Token': 'abc' } });
			assert.equal(p.status, 200, JSON.stringify(p));
		});

		await check('cors: another origin is blocked by the browser', async () => {
			await page.goto(`${other.url}/`);
			const r = await pageFetch(page, `${api.url}/api/hello.json`);
			assert.ok(r.error && /Failed to fetch/.test(r.error), JSON.stringify(r));
			// the same file from its own origin: readable
			const own = await pageFetch(page, `${other.url}/api/hello.json`);
			assert.equal(own.status, 200);
		});
	} finally {
		if (browser)
			await browser.close();
		for (const s of servers)
			s.proc.kill('SIGTERM');
	}
}

await run(main);
