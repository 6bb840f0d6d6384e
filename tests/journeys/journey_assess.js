// Journey: an engineer assesses a subscription in the personal chat by answering the bot's
// questions: types "assess", types the tenant, picks the subscription in the card's choice set and
// clicks Continue. The card turns into a progress card, then (updated by the bot later, not as the
// answer to the click) into the summary; "Show blockers" then pages forward and back.
//
// usage: node journey_assess.js <playgroundUrl> <outDir> [tenant] [subscriptionChoice]
//   tenant: default contoso.onmicrosoft.com; subscriptionChoice: text the choice contains,
//   default "Pay-As-You-Go".
// Prints (see lib.js journey()):
//   question: the bot's text question after "assess"
//   picker: {text, offered: [choice titles], picked: value shown after picking, buttons}
//   slot: {timeline: [{ms, head, text}], cardsBefore, cardsAfter, cardsAtEnd, sameMessage, pickerLeft}:
//     each card the picker's chat message showed, in order, from the click on Continue until
//     the summary, and how many chat messages there were before, after and at the end
//   progress: text of the first progress card shown; summary: {text, tables, buttons}
//   blockers: [{text, buttons}] for Show blockers, Next page, Previous page
//   marks: {stage: ms since start}; screenshots: {name: path}
'use strict';

const {
  journey, openChat, send, waitForText, waitForReplyCard, waitForCard, clickButton, cardText, cardTables, pickChoice,
  screenshot, cardScreenshot,
} = require('./lib');

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const MESSAGE = '.fai-OutputCard'; // one chat message (bubble) in the Playground
const SLOT = 'data-journey-slot';

async function buttons(card) {
  return (await card.getByRole('button').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

// Mark the chat message that holds `card` and record, in the page, each distinct card it shows
// from now on (window.__slotTimeline): the progress card and the summary arrive as updates of that
// message, and a progress card may be gone before a poll from here would see it.
async function watchSlot(page, card) {
  await card.evaluate((el, [slotAttr, message]) => {
    const slot = el.closest(message) || el;
    slot.setAttribute(slotAttr, 'assess');
    const t0 = performance.now();
    const timeline = [];
    window.__slotTimeline = timeline;
    const look = () => {
      const mine = document.querySelector(`[${slotAttr}="assess"]`);
      const text = !mine ? '(message gone)'
        : ((mine.querySelector('.ac-adaptiveCard') || {}).innerText || '(no card)').replace(/\n{2,}/g, '\n').trim();
      if (!timeline.length || timeline[timeline.length - 1].text !== text) {
        timeline.push({ ms: Math.round(performance.now() - t0), head: text.split('\n')[0], text: text.slice(0, 400) });
      }
    };
    look();
    new MutationObserver(look).observe(document.body, { childList: true, subtree: true, characterData: true });
  }, [SLOT, MESSAGE]);
}

journey(async ({ page, url, out, args }) => {
  const [tenant = 'contoso.onmicrosoft.com', choice = 'Pay-As-You-Go'] = args;
  const shots = {};
  const t0 = Date.now();
  const marks = {}; // ms since start when each stage was on screen
  const mark = (name) => { marks[name] = Date.now() - t0; };

  await openChat(page, url, 'personal');

  // 1. "assess" alone: the bot asks for the tenant in plain text.
  await send(page, 'assess');
  const question = await waitForText(page, 'Which customer tenant?');
  const questionText = (await question.innerText()).trim();
  mark('question');
  shots.question = await screenshot(page, out, '1-tenant-question');

  // 2. The tenant: a card asks which subscription, with a choice set.
  await send(page, tenant);
  const picker = await waitForReplyCard(page, tenant, 'Which subscription?');
  mark('picker');
  const pickerText = await cardText(picker);
  const pickerButtons = await buttons(picker);
  const { value: picked, offered } = await pickChoice(picker, /Subscription/, new RegExp(escape(choice)), {
    whileOpen: async () => { shots.choices = await screenshot(page, out, '2-subscription-choices'); },
  });
  shots.picker = await cardScreenshot(picker, out, '2-subscription-picked');

  // 3. Continue: the same message becomes the progress card, then the summary.
  const cardsBefore = await page.locator(MESSAGE).count();
  await watchSlot(page, picker);
  await clickButton(picker, 'Continue');
  const slotted = page.locator(`[${SLOT}="assess"] .ac-adaptiveCard`);
  try {
    // Photograph the progress card if it stays long enough; its text is in the timeline anyway.
    const progress = slotted.filter({ hasText: 'Assessing subscription' });
    await progress.waitFor({ timeout: 5000 });
    mark('progress');
    shots.progress = await cardScreenshot(progress, out, '3-progress', { timeout: 2000 });
  } catch {
    // Gone before the shot (the test then reports the missing screenshot); the timeline still
    // says whether it was shown.
  }
  // Looked for anywhere in the chat, so that a summary posted as a new message is seen and
  // reported (sameMessage false) rather than waited for in vain.
  const summary = await waitForCard(page, 'Assessment:', { timeout: 30000 });
  mark('summary');
  await page.waitForTimeout(300); // let the last update settle before reading the message list
  const timeline = await page.evaluate(() => window.__slotTimeline);
  const progressText = (timeline.find((t) => t.head.startsWith('Assessing subscription')) || {}).text || null;
  const sameMessage = await summary.evaluate((el, slotAttr) => !!el.closest(`[${slotAttr}="assess"]`), SLOT);
  const cardsAfter = await page.locator(MESSAGE).count();
  const summaryText = await cardText(summary);
  const summaryTables = await cardTables(summary);
  const summaryButtons = await buttons(summary);
  shots.summaryPage = await screenshot(page, out, '4-summary-page');
  shots.summary = await cardScreenshot(summary, out, '4-summary');
  const pickerLeft = await page.locator('.ac-adaptiveCard', { hasText: 'Which subscription?' }).count();

  // 4. Blockers, page by page, in the same message: each click is answered with the card that
  // replaces the clicked one.
  const blockers = [];
  const steps = [['Show blockers', /Page 1 of/], ['Next page', /Page 2 of/], ['Previous page', /Page 1 of/]];
  let card = summary;
  for (const [i, [button, expect]] of steps.entries()) {
    await clickButton(card, button);
    card = slotted.filter({ hasText: 'Blockers:' }).filter({ hasText: expect });
    await card.waitFor();
    mark(button);
    blockers.push({ after: button, text: await cardText(card), buttons: await buttons(card) });
    shots[`blockers${i + 1}`] = await cardScreenshot(card, out, `${5 + i}-blockers-${button.toLowerCase().replace(/ /g, '-')}`);
  }
  const cardsAtEnd = await page.locator(MESSAGE).count();

  return {
    question: questionText,
    picker: { text: pickerText, offered, picked, buttons: pickerButtons },
    slot: { timeline, cardsBefore, cardsAfter, cardsAtEnd, sameMessage, pickerLeft },
    progress: progressText,
    summary: { text: summaryText, tables: summaryTables, buttons: summaryButtons },
    blockers,
    marks,
    screenshots: shots,
  };
});
