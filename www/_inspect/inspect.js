// The inspector: events from /_inspect/events drawn as connections and
// requests. Every byte that came from a client is put in the page with
// textContent (or createTextNode), never as markup.
'use strict';

const MAX_CONNS = 200; // cards kept on the page
const conns = new Map(); // connection number → its card
const main = document.getElementById('conns');
const hexBox = document.getElementById('hex');
const state = document.getElementById('state');

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}

function bytes(b64) {
	const s = atob(b64);
	const a = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
	return a;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Bytes as text: printable ASCII and valid UTF-8 as they are, CR as \r, LF
// as \n and a line break, TAB as \t, any other byte as \xHH; these marks
// are styled apart so they cannot be mistaken for the bytes themselves
// (and need no special glyph in the font).
function textView(a) {
	const pre = el('pre');
	let run = '';
	const flush = () => { if (run) pre.appendChild(document.createTextNode(run)); run = ''; };
	const mark = (t) => { flush(); pre.appendChild(el('span', 'ctl', t)); };
	for (let i = 0; i < a.length; i++) {
		const c = a[i];
		if (c === 13) mark('\\r');
		else if (c === 10) { mark('\\n'); run += '\n'; }
		else if (c === 9) mark('\\t');
		else if (c >= 0x20 && c < 0x7f) run += String.fromCharCode(c);
		else {
			let n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
			let ch = null;
			if (n && i + n <= a.length) {
				try { ch = utf8.decode(a.subarray(i, i + n)); } catch (e) { ch = null; }
			}
			if (ch !== null) { run += ch; i += n - 1; }
			else mark('\\x' + c.toString(16).padStart(2, '0'));
		}
	}
	flush();
	return pre;
}

function hexView(a) {
	let out = '';
	for (let off = 0; off < a.length; off += 16) {
		const row = a.subarray(off, off + 16);
		let hex = '', asc = '';
		row.forEach((c, i) => {
			hex += c.toString(16).padStart(2, '0') + (i === 7 ? '  ' : ' ');
			asc += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
		});
		out += off.toString(16).padStart(6, '0') + '  ' + hex.padEnd(50) + ' ' + asc + '\n';
	}
	return el('pre', 'hex', out);
}

function view(a, cut, total) {
	const box = el('div', 'bytes');
	box.appendChild(hexBox.checked ? hexView(a) : textView(a));
	if (cut) box.appendChild(el('p', 'cut', `cut: ${a.length} of ${total} bytes shown`));
	return box;
}

function ms(from, to) {
	return to && from ? ((to - from) / 1000).toFixed(3) + ' ms' : '–';
}

function connCard(ev) {
	let card = conns.get(ev.conn);
	if (card) return card;
	card = el('section', 'conn');
	card.dataset.conn = ev.conn;
	const h = el('h2', '', `connection #${ev.conn} `);
	h.appendChild(el('span', 'muted', `from ${ev.peer}, accepted ${new Date(ev.accepted / 1000).toLocaleTimeString()}`));
	const closed = el('span', 'muted closed', '');
	h.appendChild(closed);
	card.appendChild(h);
	card.closedLabel = closed;
	main.prepend(card);
	conns.set(ev.conn, card);
	while (conns.size > MAX_CONNS) {
		const [k, old] = conns.entries().next().value;
		old.remove();
		conns.delete(k);
	}
	return card;
}

function firstLine(a) {
	let end = a.indexOf(10);
	if (end < 0) end = Math.min(a.length, 200);
	let s = '';
	for (let i = 0; i < end && i < 200; i++) s += a[i] >= 0x20 && a[i] < 0x7f ? String.fromCharCode(a[i]) : '?';
	return s.replace(/\?$/, '') || '(no request line)';
}

function addRequest(ev) {
	const card = connCard(ev);
	const raw = bytes(ev.raw), resp = bytes(ev.response);
	const r = el('article', 'req');
	r.rawBytes = raw;
	r.respBytes = resp;
	r.ev = ev;
	r.appendChild(el('h3', '', `${ev.n}. ${firstLine(raw)} → ${ev.status || 'no answer'}`));
	r.appendChild(el('p', 'times', `first byte +${ms(ev.accepted, ev.first)} after accept · head complete +${ms(ev.first, ev.head)} · answered +${ms(ev.first, ev.answer)} · sent +${ms(ev.first, ev.sent)} · ${ev.raw_len} bytes received`));
	const cols = el('div', 'cols');
	const left = el('div'), right = el('div');
	left.appendChild(el('h4', '', 'request, as received'));
	left.appendChild(view(raw, ev.cut, ev.raw_len));
	right.appendChild(el('h4', '', 'head of our answer'));
	right.appendChild(view(resp, false, resp.length));
	cols.append(left, right);
	r.appendChild(cols);
	card.appendChild(r);
}

function redraw() {
	document.querySelectorAll('article.req').forEach((r) => {
		const views = r.querySelectorAll('.bytes');
		views[0].replaceWith(view(r.rawBytes, r.ev.cut, r.ev.raw_len));
		views[1].replaceWith(view(r.respBytes, false, r.respBytes.length));
	});
}

hexBox.addEventListener('change', redraw);
document.getElementById('clear').addEventListener('click', () => {
	main.replaceChildren();
	conns.clear();
});

const es = new EventSource('/_inspect/events');
es.addEventListener('open', () => { state.textContent = 'live'; });
es.addEventListener('error', () => {
	state.textContent = es.readyState === EventSource.CLOSED
		? 'not connected (is httpd running with --inspect?)' : 'reconnecting…';
});
es.addEventListener('request', (e) => addRequest(JSON.parse(e.data)));
es.addEventListener('close', (e) => {
	const ev = JSON.parse(e.data);
	const card = conns.get(ev.conn);
	if (card) card.closedLabel.textContent = ', closed';
});
es.addEventListener('dropped', (e) => {
	const n = JSON.parse(e.data).dropped;
	main.prepend(el('p', 'dropped', `${n} events dropped (this page read too slowly)`));
});
