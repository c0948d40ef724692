// The chat room: messages arrive as server-sent events from /api/chat and
// are shown with textContent (a name or a message is never markup); the
// form posts JSON to the same URL.
'use strict';

const log = document.getElementById('log');
const form = document.getElementById('say');
const nameBox = document.getElementById('name');
const textBox = document.getElementById('text');
const status = document.getElementById('status');

nameBox.value = localStorage.getItem('chat-name') || '';

function line(cls, who, what, at) {
	const li = document.createElement('li');
	li.className = cls;
	if (who !== null) {
		const b = document.createElement('b');
		b.textContent = who;
		li.append(b, ': ');
	}
	li.append(what);
	if (at) li.title = new Date(at).toLocaleString();
	log.appendChild(li);
	while (log.children.length > 200) log.firstChild.remove();
	li.scrollIntoView({ block: 'nearest' });
}

const es = new EventSource('api/chat');
es.addEventListener('open', () => { status.textContent = 'connected'; });
es.addEventListener('error', () => {
	status.textContent = es.readyState === EventSource.CLOSED
		? 'not connected (is httpd running with --chat?)' : 'reconnecting…';
});
es.addEventListener('message', (e) => {
	const m = JSON.parse(e.data);
	line('msg', m.name, m.text, m.at);
});
es.addEventListener('dropped', (e) => {
	line('note', null, `${JSON.parse(e.data).dropped} messages missed`);
});

form.addEventListener('submit', async (e) => {
	e.preventDefault();
	localStorage.setItem('chat-name', nameBox.value);
	try {
		const r = await fetch('api/chat', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ name: nameBox.value, text: textBox.value }),
		});
		if (r.ok) {
			textBox.value = '';
			status.textContent = 'connected';
		} else {
			status.textContent = (await r.json()).error || `error ${r.status}`;
		}
	} catch (err) {
		status.textContent = String(err);
	}
	textBox.focus();
});
