// docs/inspector.png and docs/chat.png: the inspector showing a browser's
// visit (page, favicon, keep-alive) and a curl request; two people chatting.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launch } from './browser.mjs';

const BASE = process.env.LESSON_URL;
const DIR = process.env.OUT_DIR || '.';

const browser = await launch({ width: 1100, height: 900 });
try {
	const insp = await browser.newPage();
	await insp.goto(`${BASE}/_inspect/`);
	await insp.waitForFunction(() => document.querySelector('#state').textContent === 'live');
	const visitor = await browser.newPage();
	await visitor.goto(`${BASE}/`);
	execFileSync('curl', ['-sS', '-o', '/dev/null', `${BASE}/api/echo?lesson=1`]);
	await insp.locator('article.req', { hasText: '/api/echo?lesson=1' }).waitFor();
	await insp.waitForTimeout(300);
	await insp.screenshot({ path: join(DIR, 'inspector.png') });
	console.log(`screenshot: ${join(DIR, 'inspector.png')}`);

	const ann = await browser.newPage();
	const bob = await browser.newPage();
	await ann.setViewportSize({ width: 760, height: 640 });
	for (const [p, name] of [[ann, 'ann'], [bob, 'bob']]) {
		await p.goto(`${BASE}/chat.html`);
		await p.waitForFunction(() => document.querySelector('#status').textContent === 'connected');
		await p.fill('#name', name);
	}
	const say = async (p, text) => {
		await p.fill('#text', text);
		await p.click('button[type=submit]');
		await ann.locator('#log li', { hasText: text }).waitFor();
	};
	await say(ann, 'did you see that? two nc in a browser');
	await say(bob, 'and curl -N listens too');
	execFileSync('curl', ['-sS', '-o', '/dev/null', '-d', 'name=terminal&text=hello from curl -d', `${BASE}/api/chat`]);
	await ann.locator('#log li', { hasText: 'hello from curl' }).waitFor();
	await ann.screenshot({ path: join(DIR, 'chat.png'), fullPage: true });
	console.log(`screenshot: ${join(DIR, 'chat.png')}`);
} finally {
	await browser.close();
}
