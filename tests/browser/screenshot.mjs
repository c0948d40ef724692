// docs/calcul.png: the calculator page showing an exact sum.
import { launch } from './browser.mjs';

const BASE = process.env.BASE_URL;
const OUT = process.env.OUT || 'calcul.png';

const browser = await launch({ width: 760, height: 620 });
try {
	const page = await browser.newPage();
	await page.goto(`${BASE}/calcul.html`);
	const rows = page.locator('#rows .row input');
	await rows.nth(0).fill('0.1');
	await rows.nth(1).fill('0.2');
	await page.click('#add');
	await rows.nth(2).fill('99999999999999999999');
	await page.click('#go');
	await page.locator('#answer').waitFor({ state: 'visible' });
	await page.screenshot({ path: OUT, fullPage: true });
	console.log(`screenshot: ${OUT}`);
} finally {
	await browser.close();
}
