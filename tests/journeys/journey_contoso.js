// Journey: the whole contoso scenario. Alex Wilber (engineer) plans the move of every resource group the
// picker offers, with every fix the plan offers, and asks for approval; his own Approve click is refused;
// Megan Bowen (approver) approves in the approvers' group chat; the final report arrives in Alex's chat.
//
// usage: node journey_contoso.js <alexPlaygroundUrl> <outDir> <meganPlaygroundUrl>
// Prints (see lib.js journey()):
//   picker: {text, buttons, offered: [choice titles], values: [group names]}
//   plan: {text, buttons, all, fixes: [{label, checked}]}; planFirstScreen, approvalFirstScreen: placeOf()
//   approvalCard, refused (with place), report (with all): {text, buttons}; requestId
//   marks: {stage: ms since start}; screenshots: {name: path}
'use strict';

const {
  journey, openChat, send, waitForReplyCard, clickButton, screenshot, cardScreenshot, watchMessage, textShowingAll,
  seen, firstScreen, stopwatch, ownApprovalRefused, approveInGroupChat,
} = require('./lib');

const CONTOSO = 'contoso.onmicrosoft.com';
const PAYG = '0c0a7050-5ab1-4000-8000-000000000001';
const CSP = '0c0a7050-c5b1-4000-8000-000000000002';
const MOVE = `move ${CONTOSO} ${PAYG} ${CSP}`;
const FINAL = /: (moved|partly moved|failed)$/;

// Every checkbox of a card as {label, checked}.
async function checkboxes(card) {
  return card.getByRole('checkbox').evaluateAll((boxes) => boxes.map((b) => ({
    label: ((b.closest('label') || b.parentElement || b).innerText || b.getAttribute('aria-label') || '').trim(),
    value: b.value, checked: b.checked,
  })));
}

journey(async ({ page: alex, ctx, url, out, args }) => {
  const [meganUrl] = args;
  if (!meganUrl) throw new Error("the approver's Playground URL is missing (third argument)");
  const shots = {};
  const { marks, mark } = stopwatch();

  // 1. Alex asks to move from Pay-As-You-Go to CSP and ticks every group the picker offers.
  await openChat(alex, url, 'personal');
  await send(alex, MOVE);
  const picker = await waitForReplyCard(alex, MOVE, 'Which resource groups?', { timeout: 40000 });
  mark('picker');
  const pickerSeen = await seen(picker);
  const offered = await checkboxes(picker);
  pickerSeen.offered = offered.map((b) => b.label);
  pickerSeen.values = offered.map((b) => b.value);
  for (const box of await picker.getByRole('checkbox').all()) await box.check();
  shots.picker = await cardScreenshot(picker, out, '1-group-picker-all-ticked');

  const request = await watchMessage(picker, 'request');
  await clickButton(picker, 'Continue');
  const confirm = request.filter({ hasText: 'Create target resource groups?' });
  await confirm.waitFor({ timeout: 30000 });
  shots.confirm = await cardScreenshot(confirm, out, '2-create-groups');
  await clickButton(confirm, 'Create groups and run dry run');
  const plan = request.filter({ hasText: 'Ask for approval' });
  await plan.waitFor({ timeout: 60000 });
  mark('plan');
  const planSeen = await seen(plan);
  planSeen.fixes = await checkboxes(plan);
  shots.plan = await cardScreenshot(plan, out, '3-move-plan');
  const planFirst = await firstScreen(alex, plan, 'Asking for approval requests all of this', out,
    '3a-move-plan-first-screen');
  shots.planFirst = planFirst.shot;
  planSeen.all = await textShowingAll(plan, { close: false });
  shots.planAll = await cardScreenshot(plan, out, '3b-move-plan-show-all');
  await clickButton(plan, 'Show less');

  // 2. He asks for approval; the approval card is posted in his chat.
  await clickButton(plan, 'Ask for approval');
  await request.filter({ hasText: 'approval needed' }).waitFor();
  const approvalCard = alex.locator('.ac-adaptiveCard', { hasText: 'approval needed' })
    .filter({ has: alex.getByRole('button', { name: 'Approve move' }) }).last();
  await approvalCard.waitFor();
  mark('requested');
  const approvalSeen = await seen(approvalCard);
  const requestId = (approvalSeen.text.match(/Move request (MR-[A-Z0-9]+)/) || [])[1];
  if (!requestId) throw new Error(`no request id in ${JSON.stringify(approvalSeen.text.slice(0, 200))}`);
  const shown = requestId.replace('-', '\u2011'); // as cards show it: a non-breaking hyphen never wraps
  shots.approvalCard = await cardScreenshot(approvalCard, out, '4-approval-card');
  const approvalFirst = await firstScreen(alex, approvalCard, 'Approving runs all of this', out,
    '4a-approval-first-screen');
  shots.approvalFirst = approvalFirst.shot;

  // 3. His own Approve click is refused, next to the button he clicked.
  const { shown: refusedSeen } = await ownApprovalRefused(approvalCard);
  shots.refusedInChat = await screenshot(alex, out, '5-own-approval-refused-in-chat');

  // 4. Megan approves in the approvers' group chat.
  await approveInGroupChat(ctx, meganUrl, requestId);
  mark('approved');

  // 5. The final report arrives in Alex's chat as a new message.
  await alex.bringToFront();
  await alex.waitForFunction(([tag, head, final]) => Array.from(document.querySelectorAll('.ac-adaptiveCard'))
    .some((c) => !c.closest(`[data-journey-message="${tag}"]`)
      && new RegExp(final).test(c.innerText.split('\n')[0].trim()) && c.innerText.startsWith(head)),
  ['approval', `Move ${shown}`, FINAL.source], { timeout: 90000 });
  mark('report');
  await alex.waitForTimeout(300);
  const reportCard = alex.locator('.ac-adaptiveCard', { hasText: `Move ${shown}:` }).last();
  const reportSeen = await seen(reportCard);
  reportSeen.all = await textShowingAll(reportCard, { close: false });
  shots.report = await cardScreenshot(reportCard, out, '6-final-report');
  shots.alexEnd = await screenshot(alex, out, '6-alex-chat');

  return {
    requestId,
    picker: pickerSeen,
    plan: planSeen,
    planFirstScreen: planFirst.place,
    approvalCard: approvalSeen,
    approvalFirstScreen: approvalFirst.place,
    refused: refusedSeen,
    report: reportSeen,
    marks,
    screenshots: shots,
  };
});
