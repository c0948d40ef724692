// A tiny single-page app: routes rendered from location.pathname, links
// followed with history.pushState (no page load), back/forward handled.
const app = document.getElementById('app');

const routes = [
	[/^\/$/, () => 'Home'],
	[/^\/users\/(\d+)\/?$/, (m) => `User ${m[1]}`],
	[/^\/about\/?$/, () => 'About'],
];

function render() {
	const path = location.pathname;
	for (const [re, view] of routes) {
		const m = path.match(re);
		if (m) {
			app.textContent = view(m);
			return;
		}
	}
	app.textContent = `No page at ${path}`;
}

document.addEventListener('click', (e) => {
	const a = e.target.closest('a[data-link]');
	if (!a)
		return;
	e.preventDefault();
	history.pushState(null, '', a.getAttribute('href'));
	render();
});
window.addEventListener('popstate', render);
render();
