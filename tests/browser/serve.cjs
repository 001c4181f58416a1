// Browser tests of `tip serve` (run by tests/browser/run.sh): a person's
// path through the pages in headless Chromium, and hostile names shown as
// text that never runs.  Prints "ok NAME" / "not ok NAME: why"; exit 1 on
// any failure.  Screenshots: $SHOTS/*.png.
'use strict';
const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const SHOTS = process.env.SHOTS;
let fails = 0;

function report(name, pass, why) {
	if (pass) {
		console.log(`ok browser-${name}`);
	} else {
		console.log(`not ok browser-${name}${why ? ': ' + why : ''}`);
		fails++;
	}
}

async function step(name, fn) {
	try {
		const why = await fn();
		report(name, why === undefined || why === true, typeof why === 'string' ? why : undefined);
	} catch (e) {
		report(name, false, String(e && e.message ? e.message.split('\n')[0] : e));
	}
}

(async () => {
	let ctx;
	try {
		ctx = await chromium.launchPersistentContext(process.env.PROFILE, {
			executablePath: process.env.CHROMIUM,
			headless: true,
			args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
				'--disable-background-networking', '--disable-component-update',
				'--disable-sync'],
			viewport: { width: 1280, height: 900 },
		});
	} catch (e) {
		console.log(`skip browser: chromium did not start: ${String(e.message).split('\n')[0]}`);
		process.exit(0);
	}
	const page = ctx.pages()[0] || await ctx.newPage();
	const dialogs = [];
	const errors = [];
	page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
	page.on('pageerror', (e) => errors.push(String(e)));
	// a payload that ran would set one of these or open a dialog
	const pwned = () => page.evaluate(() => [window.__pwned, document.scripts.length,
		document.querySelectorAll('[onerror],[onmouseover],[onfocus],[onload]').length]);
	const clean = async () => {
		const [p, scripts, handlers] = await pwned();
		if (p !== undefined) return `window.__pwned = ${p}`;
		if (scripts) return `${scripts} script elements in the page`;
		if (handlers) return `${handlers} elements with event handler attributes`;
		if (dialogs.length) return `dialog opened: ${dialogs[0]}`;
		return true;
	};

	await step('flux-table-loads', async () => {
		const r = await page.goto(`${BASE}/`);
		if (r.status() !== 200) return `status ${r.status()}`;
		const rows = await page.locator('table#flux tbody tr').count();
		await page.screenshot({ path: `${SHOTS}/flux.png`, fullPage: true });
		return rows >= 12 || `${rows} rows`;
	});

	await step('flux-stylesheet-applied', async () => {
		// /style.css loaded under the CSP: the header has its dark background
		const bg = await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor);
		return bg === 'rgb(31, 45, 61)' || `header background ${bg}`;
	});

	await step('flux-sort-by-domain', async () => {
		await page.click('table#flux thead a:text("Domain")');
		await page.waitForLoadState();
		if (!page.url().includes('sort=domain')) return `url ${page.url()}`;
		const names = await page.locator('table#flux tbody tr td:first-child').allTextContents();
		const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
		return (names.length > 1 && names.join('\n') === sorted.join('\n')) || 'not in order';
	});

	await step('flux-filter-min-score', async () => {
		await page.goto(`${BASE}/flux`);
		const before = await page.locator('table#flux tbody tr').count();
		await page.fill('form.filter input[name=min]', '0');
		await page.click('form.filter button[type=submit]');
		await page.waitForLoadState();
		const after = await page.locator('table#flux tbody tr').count();
		return (page.url().includes('min=0') && after > before) || `${before} -> ${after} rows`;
	});

	await step('search-domain-opens-domain-page', async () => {
		await page.goto(`${BASE}/flux`);
		await page.fill('#q', 'flux03.example-botnet.test');
		await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
		if (!page.url().includes('/domain?name=flux03.example-botnet.test')) return `url ${page.url()}`;
		const h = await page.textContent('#name');
		return h === 'flux03.example-botnet.test' || `heading ${h}`;
	});

	await step('domain-page-has-graph', async () => {
		const svg = page.locator('figure#graph svg');
		if (await svg.count() !== 1) return 'no svg in figure#graph';
		const box = await svg.boundingBox();
		const path = await page.getAttribute('figure#graph svg path.score', 'd');
		const n = path ? (path.match(/V/g) || []).length + 1 : 0;	/* a step per value */
		await page.screenshot({ path: `${SHOTS}/domain.png` });
		if (!box || box.width < 300 || box.height < 100) return `svg box ${JSON.stringify(box)}`;
		return n >= 2 || `${n} points`;
	});

	await step('domain-page-a-records', async () => {
		const hdr = (await page.locator('table#a-records thead th').allTextContents()).map((h) => h.replace(/ [\u25b2\u25bc]$/, ''));
		const want = ['IP Address', 'Hostname', 'ASN (name)', 'Country', 'First seen', 'Last seen', 'Count'];
		if (hdr.join('|') !== want.join('|')) return `header ${hdr.join('|')}`;
		const rows = await page.locator('table#a-records tbody tr').count();
		return rows > 100 || `${rows} rows`;
	});

	await step('search-ip-opens-ip-page', async () => {
		await page.fill('#q', '192.0.2.13');
		await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
		if (!page.url().includes('/ip?a=192.0.2.13')) return `url ${page.url()}`;
		const doms = await page.locator('table#domains tbody tr td:first-child').allTextContents();
		await page.screenshot({ path: `${SHOTS}/ip.png`, fullPage: true });
		return doms.includes('www.site3.example') || `domains ${doms.join(',')}`;
	});

	await step('ip-page-link-back-to-domain', async () => {
		await Promise.all([page.waitForNavigation(), page.click('table#domains tbody a')]);
		return page.url().includes('/domain?name=www.site3.example') || `url ${page.url()}`;
	});

	await step('hostile-names-in-flux-table-are-text', async () => {
		await page.goto(`${BASE}/flux?min=0&n=1000`);
		const names = await page.locator('table#flux tbody tr td:first-child').allTextContents();
		for (const want of ['<script>alert(1)</script>.example', '"onmouseover=alert(1)".example',
			"x' onfocus='alert(1).example", '<img src=x onerror=alert(1)>.evil.test']) {
			if (!names.includes(want)) return `missing as text: ${want}`;
		}
		// hover and focus every cell: an injected handler would fire now
		for (const l of await page.locator('table#flux tbody a').all()) {
			await l.hover();
			await l.focus();
		}
		return clean();
	});

	await step('hostile-search-box-is-text', async () => {
		await page.fill('#q', '"><script>window.__pwned=9</script>');
		await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
		const v = await page.inputValue('#q');
		if (v !== '"><script>window.__pwned=9</script>') return `search box holds ${v}`;
		return clean();
	});

	await step('hostile-ptr-and-as-names-are-text', async () => {
		const r = await page.goto(`${BASE}/domain?name=${encodeURIComponent('<img src=x onerror=alert(1)>.example')}`);
		if (r.status() !== 200) return `status ${r.status()} (mkserve store missing?)`;
		const name = await page.textContent('#name');
		if (name !== '<img src=x onerror=alert(1)>.example') return `heading ${name}`;
		const cells = await page.locator('table#a-records tbody td').allTextContents();
		if (!cells.includes('<script>window.__pwned=1</script>.ptr.example')) return 'PTR not shown as text';
		if (!cells.some((c) => c.includes('<script>window.__pwned=3</script>AS "evil" & co'))) return 'AS name not shown as text';
		if (!cells.includes('\\u202eelpmaxe.ptr')) return 'direction override not neutralised';
		await page.screenshot({ path: `${SHOTS}/hostile.png`, fullPage: true });
		return clean();
	});

	await step('hostile-ip-page-is-text', async () => {
		await page.goto(`${BASE}/ip?a=30.1.7.1`);
		const ptr = await page.textContent('#ptr');
		if (ptr !== '<script>window.__pwned=1</script>.ptr.example') return `ptr ${ptr}`;
		return clean();
	});

	// every page at a desktop's and a phone's width: a screenshot of each,
	// and at 390 px no sideways scroll of the page (a table scrolls in its box)
	const pages = [['flux', '/flux'], ['domain', '/domain?name=flux03.example-botnet.test'],
		['domain-window', '/domain?name=flux03.example-botnet.test&since=2025-11-24T18:00:00Z&until=2025-11-24T20:00:00Z'],
		['ip', '/ip?a=192.0.2.13'], ['search-wildcard', '/search?q=' + encodeURIComponent('*.example-botnet.test')],
		['prefix', '/search?q=' + encodeURIComponent('192.0.2.0/24')], ['sensors', '/sensors'],
		['domain-paged', '/domain?name=flux03.example-botnet.test&sort=count&order=desc&n=50&page=2'],
		['sources', '/sources'], ['indicator', '/indicator?v=192.0.2.13'],
		['search-substring', '/search?q=botnet']];
	for (const w of [1280, 390]) {
		for (const [name, path] of pages) {
			await step(`layout-${name}-${w}`, async () => {
				await page.setViewportSize({ width: w, height: w === 390 ? 844 : 900 });
				const r = await page.goto(`${BASE}${path}`);
				if (r.status() >= 500) return `status ${r.status()}`;
				await page.screenshot({ path: `${SHOTS}/${name}-${w}.png`, fullPage: true });
				const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth,
					document.documentElement.clientWidth]);
				if (w === 390 && sw > cw) return `scrolls sideways: ${sw} px wide in ${cw}`;
				const fs = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('td') || document.body).fontSize));
				return fs >= 12 || `text ${fs} px`;
			});
		}
	}
	await page.setViewportSize({ width: 1280, height: 900 });

	await step('ip-page-sorts-on-the-server', async () => {
		await page.goto(`${BASE}/ip?a=192.0.2.13&sort=count&order=desc&since=2025-11-24T18:00:00Z`);
		const w = await page.textContent('#window');
		if (!w || !w.includes('2025-11-24T18:00:00Z')) return `window ${w}`;
		const href = await page.getAttribute('table#domains tbody a', 'href');
		return (href && href.includes('since=')) || `link ${href}`;
	});

	await step('search-wildcard-lists-names', async () => {
		await page.goto(`${BASE}/search?q=${encodeURIComponent('*.example-botnet.test')}`);
		const names = await page.locator('table#matches tbody tr td:first-child').allTextContents();
		return (names.length === 12 && names.every((n) => n.endsWith('.example-botnet.test'))) ||
			`names ${names.join(',')}`;
	});

	await step('flux-links-carry-the-window', async () => {
		await page.goto(`${BASE}/flux?since=2025-11-24T18:00:00Z&until=2025-11-24T20:00:00Z`);
		const href = await page.getAttribute('table#flux tbody a', 'href');
		if (!href || !href.includes('since=') || !href.includes('until=')) return `href ${href}`;
		await Promise.all([page.waitForNavigation(), page.click('table#flux tbody a')]);
		const wtext = await page.textContent('#window');
		return (wtext && wtext.includes('2025-11-24T18:00:00Z')) || `window ${wtext}`;
	});

	await step('domain-a-table-sorts-and-pages-on-the-server', async () => {
		await page.goto(`${BASE}/domain?name=flux03.example-botnet.test&since=2025-11-24T18:00:00Z&n=50`);
		await Promise.all([page.waitForNavigation(), page.click('table#a-records thead a:text-is("Count")')]);
		if (!page.url().includes('sort=count') || !page.url().includes('since=')) return `url ${page.url()}`;
		const counts = (await page.locator('table#a-records tbody tr td:nth-child(7)').allTextContents()).map(Number);
		if (counts.length !== 50) return `${counts.length} rows`;
		if (counts.some((c, i) => i && c > counts[i - 1])) return `not descending: ${counts.slice(0, 5)}`;
		const first = await page.textContent('table#a-records tbody tr td:first-child');
		await Promise.all([page.waitForNavigation(), page.click('#a-records-pages a[rel=next]')]);
		const url = page.url();
		if (!url.includes('page=2') || !url.includes('sort=count') || !url.includes('since=')) return `next: ${url}`;
		const ips = await page.locator('table#a-records tbody tr td:first-child').allTextContents();
		if (ips.includes(first)) return `page 2 repeats ${first}`;
		const more = (await page.locator('table#a-records tbody tr td:nth-child(7)').allTextContents()).map(Number);
		return (more.length === 50 && more[0] <= counts[49]) || `page 2 starts at ${more[0]} after ${counts[49]}`;
	});

	await step('window-kept-through-nav-and-search', async () => {
		await page.goto(`${BASE}/domain?name=flux03.example-botnet.test&since=2025-11-24T18:00:00Z&until=2025-11-25T12:00:00Z`);
		await page.fill('#q', '192.0.2.0/24');
		await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
		if (!page.url().includes('since=') || !page.url().includes('until=')) return `search ${page.url()}`;
		await Promise.all([page.waitForNavigation(), page.click('header nav a:text("Sensors")')]);
		const w = await page.textContent('#window');
		return (w && w.includes('2025-11-24T18:00:00Z') && w.includes('2025-11-25T12:00:00Z')) || `sensors window ${w}`;
	});

	await step('empty-table-says-why', async () => {
		await page.goto(`${BASE}/search?q=${encodeURIComponent('192.0.2.0/28')}&since=2030-01-01`);
		const t = await page.textContent('#addresses-none');
		await page.screenshot({ path: `${SHOTS}/empty-prefix.png`, fullPage: true });
		return (t && t.includes('in the time window')) || `text ${t}`;
	});

	await step('no-page-errors-or-dialogs', async () => {
		if (errors.length) return errors[0];
		return dialogs.length === 0 || `dialog: ${dialogs[0]}`;
	});

	await ctx.close();
	process.exit(fails ? 1 : 0);
})();
