// Shared Playwright helpers for journeys through the Microsoft 365 Agents Playground.
//
// A journey is `node journey_x.js <playgroundUrl> <outDir> [args...]`. It must print one JSON
// object on its last stdout line (tests/support/playground.py run_journey() parses it) and exit
// non-zero on failure; `journey()` below does both and saves failure.png on error.
//
//   const { journey, openChat, send, waitForReplyCard, clickButton, cardText, screenshot } = require('./lib');
//   journey(async ({ page, url, out, args }) => {
//     await openChat(page, url);
//     await send(page, 'help');
//     const card = await waitForReplyCard(page, 'help', 'CSP migration');
//     return { text: await cardText(card), screenshot: await screenshot(page, out, 'help') };
//   });
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEFAULT_TIMEOUT = Number(process.env.JOURNEY_STEP_TIMEOUT_MS || 20000);
// Everything the UI needs is served by the Playground on loopback; anything else (Segoe UI
// fonts from an Office CDN) is aborted so runs stay offline and deterministic.
const OUTSIDE = /^(?!(?:https?|wss?):\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?\/)[a-z][a-z0-9+.-]*:\/\//i;

// Chat names as the Playground shows them in its left rail (from .m365agentsplayground.yml:
// the personal chat is always "Personal Chat"; group chat and channel use the configured names).
const CHATS = {
  personal: 'Personal Chat',
  group: 'Migration approvers',
  channel: 'Partner Engineering - General',
};

async function launch({ viewport = { width: 1400, height: 900 } } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
  const blocked = [];
  await ctx.route(OUTSIDE, (route) => { blocked.push(route.request().url()); return route.abort(); });
  ctx.setDefaultTimeout(DEFAULT_TIMEOUT);
  const page = ctx.pages()[0] || await ctx.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // Pages a journey opens later (another person's Playground) report theirs too.
  ctx.on('page', (other) => other.on('pageerror', (e) => pageErrors.push(String(e))));
  const close = async () => {
    await ctx.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { ctx, page, blocked, pageErrors, close };
}

function composeBox(page) {
  // In a channel the new-post box comes first, then one reply box per thread.
  return page.locator('[role="textbox"][contenteditable="true"]').first();
}

// Load the Playground and open a chat: 'personal' (default), 'group', 'channel', or a rail label.
async function openChat(page, url, chat = 'personal') {
  await page.goto(url, { waitUntil: 'load' });
  await composeBox(page).waitFor();
  const label = CHATS[chat] || chat;
  if (label !== CHATS.personal) {
    await page.locator(`[aria-label="${label}"]`).first().click();
    await composeBox(page).waitFor();
  }
}

// Type a message and send it. In group chats and channels the bot only hears @mentions: pass
// { mention: 'CSP' } to type "@CSP", pick the bot from the typeahead menu, then type the text.
// Chats have a "Send Message" button, channels a "Post" button.
async function send(page, text, { mention } = {}) {
  const box = composeBox(page);
  await box.click();
  if (mention) {
    await page.keyboard.type(`@${mention}`);
    await page.locator('[aria-label="Typeahead menu"] [role="menuitem"]', { hasText: mention }).first().click();
    await page.keyboard.type(' ');
  }
  await page.keyboard.type(text);
  await page.locator('button[aria-label="Send Message"]').or(page.getByRole('button', { name: /^Post$/ })).click();
}

// The newest Adaptive Card whose text contains `hasText` (string or RegExp).
async function waitForCard(page, hasText, { timeout = DEFAULT_TIMEOUT } = {}) {
  const card = page.locator('.ac-adaptiveCard', { hasText }).last();
  await card.waitFor({ timeout });
  return card;
}

// The bot's answer to a message we sent: the newest card containing `hasText` (a string) that
// comes after our own `sentText` bubble in the chat. Cards already on screen (the welcome card
// the bot posts on every page load) do not count, so this fails if the bot ignores `sentText`.
async function waitForReplyCard(page, sentText, hasText, { timeout = DEFAULT_TIMEOUT } = {}) {
  try {
    await page.waitForFunction(([sent, needle]) => {
      const bubbles = Array.from(document.querySelectorAll('body *')).filter((e) => e.childElementCount === 0
        && e.textContent.trim() === sent && !e.closest('.ac-adaptiveCard, [contenteditable]'));
      const mine = bubbles[bubbles.length - 1];
      if (!mine) return false;
      return Array.from(document.querySelectorAll('.ac-adaptiveCard')).some((card) => card.innerText.replace(/\u2011/g, '-').replace(/\u2060/g, '').includes(needle)
        && (mine.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_FOLLOWING));
    }, [sentText, hasText], { timeout });
  } catch (err) {
    throw new Error(`no card containing ${JSON.stringify(hasText)} after our message ${JSON.stringify(sentText)}`
      + ` within ${timeout} ms (${err.message.split('\n')[0]})`);
  }
  return page.locator('.ac-adaptiveCard', { hasText }).last();
}

// The newest plain-text bot message containing `text`.
async function waitForText(page, text, { timeout = DEFAULT_TIMEOUT } = {}) {
  const el = page.getByText(text).last();
  await el.waitFor({ timeout });
  return el;
}

async function clickButton(card, name) {
  await card.getByRole('button', { name }).click();
}

// Choose `option` (string or RegExp) in a card's Input.ChoiceSet labelled `label`, as a user
// would: the Playground renders a compact choice set as a Fluent combobox (a text input with a
// popup listbox), older renderers as a native <select>. Returns the value the input now shows
// and the titles that were offered. `whileOpen(listbox)` runs while the list is open (a screenshot).
async function pickChoice(card, label, option, { whileOpen } = {}) {
  const page = card.page();
  const combo = card.getByRole('combobox', { name: label });
  if (await combo.evaluate((e) => e.tagName === 'SELECT')) {
    const offered = (await combo.locator('option').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    const wanted = offered.find((t) => (option instanceof RegExp ? option.test(t) : t === option));
    if (!wanted) throw new Error(`no choice ${option} in ${JSON.stringify(offered)}`);
    await combo.selectOption({ label: wanted });
    return { value: await combo.evaluate((e) => e.options[e.selectedIndex].text), offered };
  }
  await combo.click();
  const controls = await combo.getAttribute('aria-controls');
  const listbox = controls ? page.locator(`[id="${controls}"]`) : page.getByRole('listbox').last();
  await listbox.waitFor();
  const offered = (await listbox.getByRole('option').allInnerTexts()).map((t) => t.trim());
  if (whileOpen) await whileOpen(listbox);
  await listbox.getByRole('option', { name: option }).first().click();
  await listbox.waitFor({ state: 'hidden' });
  return { value: await combo.inputValue(), offered };
}

// Rows of every Table element in a card, as arrays of cell texts (header row first).
async function cardTables(card) {
  return card.evaluate((root) => Array.from(root.querySelectorAll('[role="table"]')).map((table) => Array.from(
    table.querySelectorAll('[role="row"]'),
  ).map((row) => Array.from(row.querySelectorAll('[role="cell"], [role="columnheader"]')).map((c) => c.innerText.replace(/\u2011/g, '-').replace(/\u2060/g, '').trim()))));
}

// Screenshot of one card, all of it however tall. The chat is a scrolling pane inside a fixed
// layout, so a card taller than the pane cannot be captured by scrolling: the window is made tall
// enough for the card for the shot, then restored.
async function cardScreenshot(card, outDir, name, { timeout = DEFAULT_TIMEOUT } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}.png`);
  const page = card.page();
  const viewport = page.viewportSize();
  const box = await card.boundingBox({ timeout });
  const room = viewport.height - 250; // header and compose box take the rest
  try {
    if (box && box.height > room) {
      await page.setViewportSize({ width: viewport.width, height: Math.ceil(box.height) + 300 });
    }
    await card.scrollIntoViewIfNeeded({ timeout });
    await card.screenshot({ path: file, timeout });
  } finally {
    if (box && box.height > room) await page.setViewportSize(viewport);
  }
  return file;
}

// Card text as a user reads it; request ids, shown with a non-breaking hyphen (U+2011), read with a plain one;
// word joiners (U+2060, invisible: they keep names from becoming links) are not read.
async function cardText(card) {
  return (await card.innerText()).replace(/\u2011/g, '-').replace(/\u2060/g, '').replace(/[ \t]+/g, ' ').replace(/\n{2,}/g, '\n').trim();
}

// FactSet rows of a card as [title, value] pairs. The Playground renders a FactSet as a grid of
// sibling cells (title, value, title, value...), so innerText alone loses the pairing.
async function cardFacts(card) {
  return card.evaluate((root) => Array.from(root.querySelectorAll('.ac-fact-title')).map((title) => {
    const value = title.nextElementSibling;
    const text = value && value.classList.contains('ac-fact-value') ? value.innerText.replace(/\u2011/g, '-').replace(/\u2060/g, '').trim() : '';
    return [title.innerText.replace(/\u2060/g, '').trim(), text];
  }));
}

// Where the innermost element of `card` that shows `text` sits, and whether the reader sees it now (inside the
// chat pane on screen): {top, bottom} in px from the card's top, inView; and with `button` (a title) the top
// of that button, so a test can tell how far the text is from it. null when nothing shows `text`.
async function placeOf(card, text, { button } = {}) {
  return card.evaluate((root, [needle, name]) => {
    const shows = (e) => e.innerText && e.innerText.replace(/\u2060/g, '').includes(needle);
    const all = Array.from(root.querySelectorAll('*')).filter(shows);
    const el = all.filter((e) => !Array.from(e.children).some(shows)).pop();
    if (!el) return null;
    const card = root.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    let pane = el.parentElement;
    while (pane && !(pane.scrollHeight > pane.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(pane).overflowY))) {
      pane = pane.parentElement;
    }
    const view = pane ? pane.getBoundingClientRect() : { top: 0, bottom: window.innerHeight };
    const out = { top: Math.round(box.top - card.top), bottom: Math.round(box.bottom - card.top),
      cardHeight: Math.round(card.height), inView: box.top >= view.top - 1 && box.bottom <= view.bottom + 1 };
    if (name) {
      const b = Array.from(root.querySelectorAll('button')).find((x) => x.innerText.trim() === name);
      out.buttonTop = b ? Math.round(b.getBoundingClientRect().top - card.top) : null;
    }
    return out;
  }, [text, button || null]);
}

// The card's text with its "Show all" part open (Action.ToggleVisibility, done by the renderer itself);
// "Show less" closes it again afterwards. Cards without "Show all" are read as they are.
async function textShowingAll(card, { close = true } = {}) {
  const open = card.getByRole('button', { name: 'Show all', exact: true });
  if (!(await open.count())) return cardText(card);
  await open.click();
  const less = card.getByRole('button', { name: 'Show less', exact: true });
  await less.waitFor();
  const text = await cardText(card);
  if (close) {
    await less.click();
    await open.waitFor();
  }
  return text;
}

// A card's text and button titles.
async function seen(card) {
  return { text: await cardText(card), buttons: await cardButtons(card) };
}

// Where `needle` sits on the card's first screen (its top scrolled to the top of the chat), with a shot of it.
async function firstScreen(page, card, needle, out, name) {
  await card.evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(200);
  const place = await placeOf(card, needle);
  const shot = await screenshot(page, out, name);
  return { place, shot };
}

async function screenshot(page, outDir, name) {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

// Button titles of a card, in order.
async function cardButtons(card) {
  return (await card.getByRole('button').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

// One chat message (bubble) in the Playground; its card is replaced in place when the bot answers
// a click or updates the activity.
const MESSAGE = '.fai-OutputCard';

// Follow the chat message that holds `card` under the name `tag`: from now on every distinct card
// it shows is recorded in the page (a short-lived state may be gone before a poll would see it).
// Returns a locator for the card in that message; messageTimeline() reads what it showed.
async function watchMessage(card, tag) {
  await card.evaluate((el, [name, message]) => {
    const slot = el.closest(message) || el;
    slot.setAttribute('data-journey-message', name);
    const t0 = performance.now();
    const timeline = [];
    window.__journeyTimelines = window.__journeyTimelines || {};
    window.__journeyTimelines[name] = timeline;
    const look = () => {
      const mine = document.querySelector(`[data-journey-message="${name}"]`);
      const text = !mine ? '(message gone)'
        : ((mine.querySelector('.ac-adaptiveCard') || {}).innerText || '(no card)').replace(/\u2011/g, '-').replace(/\u2060/g, '').replace(/\n{2,}/g, '\n').trim();
      if (!timeline.length || timeline[timeline.length - 1].text !== text) {
        timeline.push({ ms: Math.round(performance.now() - t0), head: text.split('\n')[0], text: text.slice(0, 600) });
      }
    };
    look();
    new MutationObserver(look).observe(document.body, { childList: true, subtree: true, characterData: true });
  }, [tag, MESSAGE]);
  return card.page().locator(`[data-journey-message="${tag}"] .ac-adaptiveCard`);
}

// [{ms, head, text}] for a message followed with watchMessage(): each card it showed, in order.
async function messageTimeline(page, tag) {
  return page.evaluate((name) => (window.__journeyTimelines || {})[name] || [], tag);
}

// Whether `card` is in the message followed as `tag`.
async function inMessage(card, tag) {
  return card.evaluate((el, name) => !!el.closest(`[data-journey-message="${name}"]`), tag);
}

// Number of chat messages on screen.
async function messageCount(page) {
  return page.locator(MESSAGE).count();
}

// Milestones of a journey: mark(name) records the ms since start under marks[name].
function stopwatch() {
  const t0 = Date.now();
  const marks = {};
  return { marks, mark: (name) => { marks[name] = Date.now() - t0; } };
}

// The requester clicks "Approve move" on the approval card of his own request: the card is followed as
// message 'approval'; returns it, the refusal card, and what the refusal shows (its place next to the
// remaining button "Cancel request", as he sees it right after the click).
async function ownApprovalRefused(approvalCard) {
  const approval = await watchMessage(approvalCard, 'approval');
  await clickButton(approval, 'Approve move');
  const refused = approval.filter({ hasText: 'Not allowed' });
  await refused.waitFor();
  await approvalCard.page().waitForTimeout(300); // the Playground re-renders a replaced card in two passes
  const shown = await seen(refused);
  shown.place = await placeOf(refused, 'Not allowed', { button: 'Cancel request' });
  return { approval, refused, shown };
}

// The approver, in her own Playground (`approverUrl`), opens request `requestId` in the approvers' group chat
// with `status <id>` and clicks "Approve move"; `beforeClick(card)` runs on her card first (a screenshot).
// Returns her page, her card followed as message 'decision', and that card after the click.
async function approveInGroupChat(ctx, approverUrl, requestId, { beforeClick } = {}) {
  const page = await ctx.newPage();
  await openChat(page, approverUrl, 'group');
  await send(page, `status ${requestId}`, { mention: 'CSP' });
  // Her message shows the mention as a pill, so it is not matched by its text: her Playground has no other
  // card about this request. Cards show request ids with a non-breaking hyphen.
  const card = await waitForCard(page, `Move request ${requestId.replace('-', '\u2011')}`);
  await card.getByRole('button', { name: 'Approve move' }).waitFor();
  if (beforeClick) await beforeClick(card);
  const decided = await watchMessage(card, 'decision');
  await clickButton(decided, 'Approve move');
  const after = decided.filter({ hasNotText: 'approval needed' });
  await after.waitFor();
  return { page, card, decided, after };
}

// Run a journey body with a fresh browser; print its result as the last stdout line.
function journey(body) {
  const [url, out = '.', ...args] = process.argv.slice(2);
  if (!url) {
    console.error('usage: node <journey.js> <playgroundUrl> <outDir> [args...]');
    process.exit(2);
  }
  const t0 = Date.now();
  (async () => {
    const browser = await launch();
    try {
      const result = await body({ page: browser.page, ctx: browser.ctx, url, out, args });
      process.stdout.write(JSON.stringify({
        ...result, elapsedMs: Date.now() - t0, blockedRequests: browser.blocked, pageErrors: browser.pageErrors,
      }) + '\n');
    } catch (err) {
      const shot = await screenshot(browser.page, out, 'failure').catch(() => null);
      console.error(`journey failed after ${Date.now() - t0} ms: ${err && err.stack || err}`);
      if (shot) console.error(`screenshot: ${shot}`);
      // A journey with a second page (another person's Playground) gets failure-2.png etc. too.
      for (const [i, other] of browser.ctx.pages().filter((p) => p !== browser.page).entries()) {
        const more = await screenshot(other, out, `failure-${i + 2}`).catch(() => null);
        if (more) console.error(`screenshot: ${more}`);
      }
      process.exitCode = 1;
    } finally {
      await browser.close();
    }
  })().catch((err) => { console.error(err); process.exit(1); });
}

module.exports = {
  CHATS, MESSAGE, launch, openChat, composeBox, send, waitForCard, waitForReplyCard, waitForText, clickButton, cardText,
  cardFacts, cardTables, cardButtons, pickChoice, screenshot, cardScreenshot, watchMessage, messageTimeline, inMessage,
  messageCount, journey, placeOf, textShowingAll, seen, firstScreen, stopwatch, ownApprovalRefused,
  approveInGroupChat,
};
