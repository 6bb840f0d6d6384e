// Render many Adaptive Cards with the `adaptivecards` JS renderer (3.x) in one headless Chromium
// page, as Teams would (Microsoft Teams light host config, card version 1.5, markdown-it), and
// report per card the parse events, validation events and rendered buttons. One browser launch for
// all cards keeps the check to a few seconds on a small machine.
//
// Usage: node tools/render_cards.js cards.json [--png DIR] [--host host-config.json] [--linkify]
//   cards.json: [{"name": "help", "card": {...}}, ...]
//   stdout: [{"name", "parseEvents": [...], "validation": [...], "buttons": [...], "links": [...], "error"?}, ...]
//   --png DIR writes DIR/<name>.png for each card.
//   --linkify makes bare URLs and e-mail addresses links, as Teams does (markdown-it's linkify).
const { chromium } = require('playwright-core');
const fs = require('fs'), os = require('os'), path = require('path');

const args = process.argv.slice(2);
const opt = name => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : null; };
const cardsPath = args[0];
const pngDir = opt('--png');
const linkify = args.includes('--linkify');
const hostPath = opt('--host') || path.join(__dirname, '..', 'tests', 'cards', 'microsoft-teams-light.json');
const items = JSON.parse(fs.readFileSync(cardsPath, 'utf8'));
const hostConfig = JSON.parse(fs.readFileSync(hostPath, 'utf8'));
const AC_JS = require.resolve('adaptivecards/dist/adaptivecards.min.js');
const MD_JS = require.resolve('markdown-it/browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

(async () => {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'render-cards-'));
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 600, height: 400 }, deviceScaleFactor: 1,
  });
  try {
    await ctx.route(/^https?:\/\//, r => r.abort()); // nothing leaves the machine
    const page = ctx.pages()[0] || await ctx.newPage();
    const pageErrors = [];
    page.on('pageerror', e => pageErrors.push(e.message));
    // 560 px is about the width of a card in a Teams chat on a laptop.
    await page.setContent('<!doctype html><html><body style="margin:0;background:#F5F5F5;font-family:Segoe UI,sans-serif">' +
      '<div id="card" style="width:560px;margin:16px;background:#fff;border-radius:6px;box-shadow:0 1px 2px rgba(0,0,0,.15)"></div></body></html>');
    await page.addScriptTag({ path: MD_JS });
    await page.addScriptTag({ path: AC_JS });
    await page.evaluate(([hostConfig, linkify]) => {
      const AC = window.AdaptiveCards;
      const md = window.markdownit({ linkify });
      AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
        result.outputHtml = md.render(text); result.didProcess = true;
      };
      window.__host = new AC.HostConfig(hostConfig);
    }, [hostConfig, linkify]);

    const reports = [];
    for (const { name, card } of items) {
      pageErrors.length = 0;
      const report = await page.evaluate(card => {
        const AC = window.AdaptiveCards;
        const holder = document.getElementById('card');
        holder.innerHTML = '';
        const ac = new AC.AdaptiveCard();
        ac.hostConfig = window.__host;
        const sctx = new AC.SerializationContext(AC.Versions.v1_5);
        ac.parse(card, sctx);
        const src = s => s && s.getJsonTypeName ? s.getJsonTypeName() + (s.id ? '#' + s.id : '') : undefined;
        const ev = e => ({ source: src(e.source), phase: AC.ValidationPhase[e.phase],
                           event: AC.ValidationEvent[e.event], message: e.message });
        const parseEvents = [];
        for (let i = 0; i < sctx.eventCount; i++) parseEvents.push(ev(sctx.getEventAt(i)));
        const validation = ac.validateProperties().validationEvents.map(ev);
        const el = ac.render();
        if (el) holder.appendChild(el);
        const buttons = el ? [...el.querySelectorAll('button')].map(b => b.textContent.trim()) : [];
        const links = el ? [...el.querySelectorAll('a[href]')].map(a => a.getAttribute('href')) : [];
        return { parseEvents, validation, buttons, links, rendered: !!el };
      }, card);
      report.name = name;
      report.pageErrors = [...pageErrors];
      if (pngDir) {
        fs.mkdirSync(pngDir, { recursive: true });
        await page.locator('#card').screenshot({ path: path.join(pngDir, `${name}.png`) });
      }
      reports.push(report);
    }
    process.stdout.write(JSON.stringify(reports));
  } finally {
    await ctx.close();
    fs.rmSync(udd, { recursive: true, force: true });
  }
})().catch(e => { console.error('FAILED', e); process.exit(1); });
