// The demo site in headless Chromium: the calculator adds 0.1 and 0.2 and
// shows 0.3, shows the server's error for a bad operand; raw-dump mode shows
// the browser's own request. Prints "browser: N passed, N failed".
import assert from 'node:assert/strict';
import { check, launch, run } from './browser.mjs';

const BASE = process.env.BASE_URL;
const DUMP = process.env.DUMP_URL;

/* Set operand rows to values, adding or removing rows as needed. */
async function setOperands(page, values) {
	const rows = page.locator('#rows .row');
	while (await rows.count() < values.length)
		await page.click('#add');
	while (await rows.count() > values.length)
		await rows.last().locator('.remove').click();
	for (let i = 0; i < values.length; i++)
		await rows.nth(i).locator('input').fill(values[i]);
}

async function calculate(page, values) {
	await setOperands(page, values);
	const answered = page.waitForResponse((r) => r.url().endsWith('/api/calcul'));
	await page.click('#go');
	return answered;
}

async function main() {
	if (!BASE || !DUMP)
		throw new Error('BASE_URL and DUMP_URL must be set (run.sh does it)');
	const browser = await launch();
	const page = await browser.newPage();
	const failed = [];
	page.on('requestfailed', (r) => failed.push(r.url()));
	page.on('response', (r) => { if (r.status() >= 400 && !r.url().includes('/api/')) failed.push(r.url()); });
	try {
		await check('index page: title, picture, stylesheet, link', async () => {
			await page.goto(`${BASE}/`);
			assert.match(await page.title(), /httpd/);
			assert.ok(await page.locator('img[src="logo.svg"]').evaluate(
				(img) => img.complete && img.naturalWidth > 0), 'logo loaded');
			const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
			assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'stylesheet applied');
			await page.click('a[href="calcul.html"]');
			await page.waitForURL(/\/calcul\.html$/);
		});

		await check('calculator: 0.1 + 0.2 shows 0.3', async () => {
			await page.goto(`${BASE}/calcul.html`);
			const res = await calculate(page, ['0.1', '0.2']);
			assert.equal(res.status(), 200);
			await page.locator('#answer').waitFor({ state: 'visible' });
			assert.equal(await page.textContent('#sum'), '0.3');
			assert.equal(await page.textContent('#expr'), '0.1 + 0.2');
			assert.ok(await page.locator('#error').isHidden());
		});

		await check('calculator: rows added and removed, long numbers exact', async () => {
			await calculate(page, ['99999999999999999999', '1', '-0.5E-2']);
			await page.waitForFunction(() => document.querySelector('#sum').textContent !== '0.3');
			assert.equal(await page.textContent('#sum'), '99999999999999999999.995');
			assert.equal(await page.locator('#rows .row').count(), 3);
			await calculate(page, ['2']);
			await page.waitForFunction(() => document.querySelector('#sum').textContent === '2');
			assert.ok(await page.locator('#rows .remove').isDisabled(), 'last row stays');
		});

		await check('calculator: invalid operand shows the error', async () => {
			const res = await calculate(page, ['0.1', 'abc']);
			assert.equal(res.status(), 400);
			const error = page.locator('#error');
			await error.waitFor({ state: 'visible' });
			assert.equal(await error.textContent(), 'operand 2 ("abc") is not a number');
			assert.ok(await page.locator('#answer').isHidden());
			assert.match(await page.locator('#rows .row input').nth(1).getAttribute('class'), /bad/);
			/* and a good sum again clears it */
			await calculate(page, ['1', '2']);
			await page.locator('#answer').waitFor({ state: 'visible' });
			assert.equal(await page.textContent('#sum'), '3');
			assert.ok(await error.isHidden());
		});

		await check('every file the pages use was served', async () => {
			assert.deepEqual(failed, []);
		});

		await check('raw-dump mode shows the browser\'s request', async () => {
			const dump = await browser.newPage();
			const res = await dump.goto(`${DUMP}/`);
			assert.equal(res.status(), 200);
			assert.match(res.headers()['content-type'], /^text\/plain/);
			const text = await dump.locator('body').innerText();
			assert.match(text, /^GET \/ HTTP\/1\.1$/m);
			assert.match(text, /^User-Agent: .+$/m);
			assert.match(text, new RegExp(`^Host: ${DUMP.replace('http://', '').replace(/\./g, '\\.')}$`, 'm'));
			await dump.close();
		});
	} finally {
		await browser.close();
	}
}

await run(main);
