// Journey: an engineer opens the personal chat with the bot, types "help" and gets the help card.
// usage: node journey_help.js <playgroundUrl> <outDir>
// Prints {text, facts: [[title, value]], buttons, screenshots: {page, card}, ...} (see lib.js journey()).
'use strict';

const path = require('path');
const { journey, openChat, send, waitForReplyCard, cardText, cardFacts, screenshot } = require('./lib');

journey(async ({ page, url, out }) => {
  await openChat(page, url, 'personal');
  await send(page, 'help');
  const card = await waitForReplyCard(page, 'help', 'CSP migration');
  await card.scrollIntoViewIfNeeded();
  const buttons = (await card.getByRole('button').allInnerTexts()).map((t) => t.trim());
  const cardShot = path.join(out, 'help-card.png');
  await card.screenshot({ path: cardShot });
  return {
    text: await cardText(card),
    facts: await cardFacts(card),
    buttons,
    screenshots: { page: await screenshot(page, out, 'help-page'), card: cardShot },
  };
});
