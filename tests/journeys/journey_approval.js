// Journey: an engineer asks to move two resource groups, an approver approves, the move runs.
// Two people, two Playgrounds on the same bot (the Playground has one current user per process):
// the first URL is Alex Wilber's (engineer), the second Megan Bowen's (approver).
//
//  1. Alex, personal chat: the one-line `move` names tenant, source, target and groups; the bot
//     asks to create the target groups; "Create groups and run dry run" turns that card into the
//     move plan; "Ask for approval" turns it into the request (his view: "Cancel request") and
//     the bot posts the approval card in the same chat (Approve move / Reject: the Playground
//     shows no user-specific views, and with no approver known yet the shared card carries the
//     buttons).
//  2. Alex clicks "Approve move" on his own request: refused, nothing changes.
//  3. Megan, in the group chat "Migration approvers": `@CSP status MR-...` answers with the request
//     and her buttons; she clicks "Approve move".
//  4. Alex's approval card updates in place (moving, then moved) and a final report arrives.
//  5. Megan clicks "Refresh status" and sees the move done.
//
// usage: node journey_approval.js <alexPlaygroundUrl> <outDir> <meganPlaygroundUrl> [moveCommand]
// Prints (see lib.js journey()):
//   confirm, plan, requested, approvalCard, refused, meganRequest, meganAfter, meganRefreshed,
//   final (the approval card at the end), report: {text, buttons} of each card; requestId; planId
//   requestMessage: {timeline}: each card the message answering Alex's move command showed, from
//     the click on "Create groups and run dry run" to the request
//   approvalMessage: {timeline}: each card the posted approval card's message showed, from Alex's
//     own click on "Approve move" to the end
//   reportInApprovalMessage: whether the report replaced the approval card instead of coming as
//     a new message
//   messages: {beforeAsk, afterAsk, afterRefusal, atEnd}: chat messages in Alex's chat
//   marks: {stage: ms since start}; screenshots: {name: path}
'use strict';

const {
  journey, openChat, send, waitForReplyCard, clickButton, screenshot, cardScreenshot, watchMessage, messageTimeline,
  inMessage, messageCount, textShowingAll, seen, firstScreen, stopwatch, ownApprovalRefused, approveInGroupChat,
} = require('./lib');

const CONTOSO = 'contoso.onmicrosoft.com';
const PAYG = '0c0a7050-5ab1-4000-8000-000000000001';
const CSP = '0c0a7050-c5b1-4000-8000-000000000002';
// rg-integration: Azure's dry run refuses it (a running SSIS runtime), so the plan says why it is left out.
const MOVE = `move ${CONTOSO} ${PAYG} ${CSP} rg-web-prod,rg-vm-app,rg-integration`;

journey(async ({ page: alex, ctx, url, out, args }) => {
  const [meganUrl, command = MOVE] = args;
  if (!meganUrl) throw new Error("the approver's Playground URL is missing (third argument)");
  const shots = {};
  const { marks, mark } = stopwatch();

  // 1. Alex plans the move in the personal chat.
  await openChat(alex, url, 'personal');
  await send(alex, command);
  const confirm = await waitForReplyCard(alex, command, 'Create target resource groups?', { timeout: 30000 });
  mark('confirm');
  const confirmSeen = await seen(confirm);
  shots.confirm = await cardScreenshot(confirm, out, '1-create-groups');

  const request = await watchMessage(confirm, 'request');
  await clickButton(confirm, 'Create groups and run dry run');
  const plan = request.filter({ hasText: 'Ask for approval' });
  await plan.waitFor({ timeout: 40000 });
  mark('plan');
  const planSeen = await seen(plan);
  shots.plan = await cardScreenshot(plan, out, '2-move-plan');
  const planFirst = await firstScreen(alex, plan, 'Asking for approval requests all of this', out,
    '2a-move-plan-first-screen');
  shots.planFirst = planFirst.shot;
  planSeen.all = await textShowingAll(plan, { close: false });
  shots.planAll = await cardScreenshot(plan, out, '2b-move-plan-show-all');
  await clickButton(plan, 'Show less');

  const beforeAsk = await messageCount(alex);
  await clickButton(plan, 'Ask for approval');
  const requested = request.filter({ hasText: 'approval needed' });
  await requested.waitFor();
  const approvalCard = alex.locator('.ac-adaptiveCard', { hasText: 'approval needed' })
    .filter({ has: alex.getByRole('button', { name: 'Approve move' }) }).last();
  await approvalCard.waitFor();
  mark('requested');
  const requestedSeen = await seen(requested);
  const requestId = (requestedSeen.text.match(/Move request (MR-[A-Z0-9]+)/) || [])[1];
  if (!requestId) throw new Error(`no request id in ${JSON.stringify(requestedSeen.text.slice(0, 200))}`);
  const shown = requestId.replace('-', '\u2011'); // as cards show it: a non-breaking hyphen never wraps
  const approvalSeen = await seen(approvalCard);
  const afterAsk = await messageCount(alex);
  shots.requested = await cardScreenshot(requested, out, '3-request-requester-view');
  shots.approvalCard = await cardScreenshot(approvalCard, out, '4-approval-card');
  shots.alexPage = await screenshot(alex, out, '4-alex-chat');
  const approvalFirst = await firstScreen(alex, approvalCard, 'Approving runs all of this', out,
    '4a-approval-first-screen');
  shots.approvalFirst = approvalFirst.shot;

  // 2. Alex tries to approve his own request.
  const { approval, refused, shown: refusedSeen } = await ownApprovalRefused(approvalCard);
  mark('refused');
  shots.refusedInChat = await screenshot(alex, out, '5a-own-approval-refused-in-chat');
  const afterRefusal = await messageCount(alex);
  shots.refused = await cardScreenshot(refused, out, '5-own-approval-refused');

  // 3. Megan opens the request in the approvers' group chat and approves it.
  let meganRequest;
  const { page: megan, decided, after: afterClick } = await approveInGroupChat(ctx, meganUrl, requestId, {
    beforeClick: async (card) => {
      mark('meganRequest');
      meganRequest = await seen(card);
      shots.meganRequest = await cardScreenshot(card, out, '6-approver-view');
    },
  });
  mark('approved');
  const meganAfter = await seen(afterClick);
  shots.meganAfter = await cardScreenshot(afterClick, out, '7-approver-after-click');
  shots.meganPage = await screenshot(megan, out, '7-megan-chat');

  // 4. Alex's approval card follows the move in place; the report arrives as a new message.
  await alex.bringToFront();
  const moving = approval.filter({ hasText: `Move ${shown}: moving` });
  try {
    await moving.waitFor({ timeout: 15000 });
    await alex.waitForTimeout(250); // the Playground re-renders a replaced card in two passes
    await moving.scrollIntoViewIfNeeded({ timeout: 2000 });
    // The whole window: a shot of just this card, taken while the bot updates it, comes out in
    // the wrong fonts and layout (Chromium captures it beyond the viewport).
    shots.moving = await screenshot(alex, out, '8-alex-chat-moving');
  } catch {
    // Too quick to photograph; the timeline says whether it was shown.
  }
  const done = approval.filter({ hasText: `Move ${shown}: moved` });
  await done.waitFor({ timeout: 60000 });
  mark('moved');
  // The report: a second card saying "moved", outside the approval card's message (it comes
  // after it in the chat, so it is the last one).
  await alex.waitForFunction(([tag, head]) => Array.from(document.querySelectorAll('.ac-adaptiveCard'))
    .some((c) => c.innerText.includes(head) && !c.closest(`[data-journey-message="${tag}"]`)),
  ['approval', `Move ${shown}: moved`], { timeout: 20000 });
  mark('report');
  await alex.waitForTimeout(300); // let the last update settle before reading the message list
  const reportCard = alex.locator('.ac-adaptiveCard', { hasText: `Move ${shown}: moved` }).last();
  const reportSeen = await seen(reportCard);
  reportSeen.all = await textShowingAll(reportCard);
  const reportInApprovalMessage = await inMessage(reportCard, 'approval');
  const finalSeen = await seen(done);
  finalSeen.all = await textShowingAll(done);
  shots.moved = await cardScreenshot(done, out, '9-approval-card-moved');
  shots.report = await cardScreenshot(reportCard, out, '10-final-report');
  shots.alexEnd = await screenshot(alex, out, '10-alex-chat');
  const atEnd = await messageCount(alex);

  // 5. Megan refreshes her card.
  await megan.bringToFront();
  await clickButton(decided, 'Refresh status');
  const refreshed = decided.filter({ hasText: `Move ${shown}: moved` });
  await refreshed.waitFor();
  mark('meganRefreshed');
  const meganRefreshed = await seen(refreshed);
  shots.meganRefreshed = await cardScreenshot(refreshed, out, '11-approver-refreshed');

  return {
    requestId,
    planId: (planSeen.text.match(/Move plan (MR-[A-Z0-9]+)/) || [])[1] || null,
    confirm: confirmSeen,
    plan: planSeen,
    planFirstScreen: planFirst.place,
    approvalFirstScreen: approvalFirst.place,
    requested: requestedSeen,
    approvalCard: approvalSeen,
    refused: refusedSeen,
    meganRequest,
    meganAfter,
    meganRefreshed,
    final: finalSeen,
    report: reportSeen,
    reportInApprovalMessage,
    requestMessage: { timeline: await messageTimeline(alex, 'request') },
    approvalMessage: { timeline: await messageTimeline(alex, 'approval') },
    messages: { beforeAsk, afterAsk, afterRefusal, atEnd },
    marks,
    screenshots: shots,
  };
});
