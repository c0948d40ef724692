/* The calculator: operand rows, and a POST to /api/calcul. */
'use strict';

const form = document.getElementById('calc');
const rows = document.getElementById('rows');
const answer = document.getElementById('answer');
const expr = document.getElementById('expr');
const sum = document.getElementById('sum');
const error = document.getElementById('error');

function renumber() {
	const items = rows.querySelectorAll('.row');
	items.forEach((li, i) => {
		li.querySelector('input').setAttribute('aria-label', `Operand ${i + 1}`);
		const rm = li.querySelector('.remove');
		rm.setAttribute('aria-label', `Remove operand ${i + 1}`);
		rm.disabled = items.length === 1;
	});
}

function addRow(value) {
	const li = rows.querySelector('.row').cloneNode(true);
	const input = li.querySelector('input');
	input.value = value || '';
	input.classList.remove('bad');
	rows.appendChild(li);
	renumber();
	input.focus();
}

function show(ok, text, operands) {
	answer.hidden = !ok;
	error.hidden = ok;
	if (ok) {
		expr.textContent = operands.join(' + ');
		sum.textContent = text;
	} else {
		error.textContent = text;
	}
}

/* The server prints numbers in plain decimal with any number of digits;
 * JSON.parse would round them to doubles, so they are read from the text. */
function exactNumbers(text) {
	const m = /^\{"operands":\[([-0-9.,]*)\],"sum":(-?[0-9.]+)\}$/.exec(text);
	return m ? { operands: m[1].split(','), sum: m[2] } : null;
}

async function calculate() {
	const inputs = [...rows.querySelectorAll('input')];
	inputs.forEach((i) => i.classList.remove('bad'));
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), 10000);
	form.setAttribute('aria-busy', 'true');
	try {
		/* numeric strings: exact whatever their length */
		const res = await fetch('/api/calcul', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(inputs.map((i) => i.value)),
			signal: ctl.signal,
		});
		const text = await res.text();
		const nums = res.ok ? exactNumbers(text) : null;
		if (nums) {
			show(true, nums.sum, nums.operands);
			return;
		}
		let msg = `HTTP ${res.status}`;
		try {
			msg = JSON.parse(text).error || msg;
		} catch (e) { /* not JSON: keep the status */ }
		const which = /^operand (\d+)/.exec(msg);
		if (which && inputs[which[1] - 1])
			inputs[which[1] - 1].classList.add('bad');
		show(false, msg);
	} catch (e) {
		show(false, e.name === 'AbortError' ? 'The server did not answer in time.'
			: `Could not reach the server: ${e.message}`);
	} finally {
		clearTimeout(timer);
		form.removeAttribute('aria-busy');
	}
}

document.getElementById('add').addEventListener('click', () => addRow(''));
rows.addEventListener('click', (e) => {
	const rm = e.target.closest('.remove');
	if (rm && rows.children.length > 1) {
		rm.closest('.row').remove();
		renumber();
	}
});
form.addEventListener('submit', (e) => {
	e.preventDefault();
	calculate();
});
renumber();
