// The netcat lesson in headless Chromium (a server with --inspect --chat):
// two pages chat both ways; the inspector shows a request sent by curl with
// its CR LF visible (as styled \r\n); a hostile header is shown as text and never runs.
// Prints "browser: N passed, N failed".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { check, launch, run } from './browser.mjs';

const BASE = process.env.LESSON_URL;

function curl(...args) {
	return execFileSync('curl', ['-sS', '--max-time', '10', ...args], { timeout: 20000 });
}

/* The inspector's card for the request whose first line contains text. */
function card(page, text) {
	return page.locator('article.req', { has: page.locator('h3', { hasText: text }) });
}

async function main() {
	if (!BASE)
		throw new Error('LESSON_URL must be set (run.sh does it)');
	const browser = await launch();
	try {
		await check('chat: two pages talk both ways', async () => {
			const ann = await browser.newPage();
			const bob = await browser.newPage();
			for (const [p, name] of [[ann, 'ann'], [bob, 'bob']]) {
				await p.goto(`${BASE}/chat.html`);
				await p.waitForFunction(() => document.querySelector('#status').textContent === 'connected');
				await p.fill('#name', name);
			}
			await ann.fill('#text', 'hello bob');
			await ann.click('button[type=submit]');
			await bob.locator('#log li', { hasText: 'hello bob' }).waitFor();
			await bob.fill('#text', 'hi ann <b>bold?</b>');
			await bob.click('button[type=submit]');
			await ann.locator('#log li', { hasText: 'hi ann' }).waitFor();
			for (const p of [ann, bob]) {
				const lines = await p.locator('#log li').allTextContents();
				assert.deepEqual(lines.slice(-2), ['ann: hello bob', 'bob: hi ann <b>bold?</b>']);
				assert.equal(await p.locator('#log b', { hasText: 'bold?' }).count(), 0, 'markup stays text');
			}
			// curl talks into the same room
			curl('-d', 'name=curl&text=from a terminal', `${BASE}/api/chat`);
			await ann.locator('#log li', { hasText: 'from a terminal' }).waitFor();
			await ann.close();
			await bob.close();
		});

		await check('inspector: a request sent by curl, CR LF visible, answer and timings', async () => {
			const page = await browser.newPage();
			await page.goto(`${BASE}/_inspect/`);
			await page.waitForFunction(() => document.querySelector('#state').textContent === 'live');
			curl('-H', 'X-Lesson: 1', `${BASE}/lesson/from-curl?x=1`);
			const c = card(page, 'GET /lesson/from-curl?x=1 HTTP/1.1');
			await c.waitFor();
			const pres = c.locator('pre');
			const req = await pres.nth(0).textContent();
			assert.match(req, /^GET \/lesson\/from-curl\?x=1 HTTP\/1\.1\\r\\n\nHost: /);
			assert.match(req, /\\r\\n\nX-Lesson: 1\\r\\n\n\\r\\n\n$/);
			assert.deepEqual(await pres.nth(0).locator('span.ctl').evaluateAll(
				(s) => s.slice(0, 2).map((e) => e.textContent)), ['\\r', '\\n']);
			assert.match(await pres.nth(1).textContent(), /^HTTP\/1\.1 404 Not Found\\r\\n\n/);
			assert.match(await c.locator('.times').textContent(), /first byte \+[0-9.]+ ms after accept/);
			// the inspector's own page and stream are not listed
			assert.equal(await card(page, '/_inspect').count(), 0);
			// the hex view shows the same bytes
			await page.check('#hex');
			assert.match(await c.locator('pre').first().textContent(), /^000000  47 45 54 20/);
			await page.uncheck('#hex');
			await page.close();
		});

		await check('inspector: a hostile header is text, its script never runs', async () => {
			const page = await browser.newPage();
			const errors = [];
			page.on('pageerror', (e) => errors.push(String(e)));
			await page.goto(`${BASE}/_inspect/`);
			await page.waitForFunction(() => document.querySelector('#state').textContent === 'live');
			const evil = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
			curl('-H', `X-Evil: ${evil}`, `${BASE}/hostile`);
			const c = card(page, 'GET /hostile');
			await c.waitFor();
			assert.ok((await c.locator('pre').first().textContent()).includes(`X-Evil: ${evil}\\r\\n`));
			assert.equal(await page.evaluate(() => window.pwned), undefined);
			assert.equal(await page.locator('#conns img, #conns script').count(), 0);
			assert.deepEqual(errors, []);
			await page.close();
		});
	} finally {
		await browser.close();
	}
}

run(main);
