#!/usr/bin/env node
/*
 * Drive the Microsoft 365 Agents Playground UI headless (playwright-core + Debian /usr/bin/chromium).
 *
 * Usage:  node tests/e2e/driver.mjs script.json      or      echo '<json>' | node tests/e2e/driver.mjs
 * Prints ONE JSON line on stdout: {ok, failedStep, error, steps:[{i,step,ok,ms,error?}], botMessages:[text],
 *   cards:[text], screenshots:[path]}. Exit code 0 iff ok.  (Tip: tests/support/playground_driver.py: drive()).
 *
 * Script: {
 *   "url": "http://127.0.0.1:56150/",            // Playground UI
 *   "botEndpoint": "http://127.0.0.1:3978/api/messages",  // only needed for switchUser + Action.Execute
 *   "timeoutMs": 20000,                           // default per-step wait
 *   "chat": "Personal Chat",                      // tree item to open first (aria-label), optional
 *   "screenshotOnFailure": "/tmp/e2e-fail.png",   // optional
 *   "steps": [ ... ]
 * }
 * Steps (each an object with one key; waits are explicit, with the step's "timeoutMs" or the default):
 *   {"send": "show me Jamie"}                   type in the compose box and press Send
 *   {"waitForText": "Saved"}                    a bot message (any, incl. card bodies) contains the text
 *   {"waitForText": {"contains": "Saved", "new": true, "timeoutMs": 30000}}
 *                                               "new": only messages that appeared after the last send/click
 *   {"waitForCard": {"contains": "Jamie"}}      an Adaptive Card containing the text; it becomes the current card
 *   {"waitForCard": {"contains": "Jamie", "new": true}}  only cards that appeared after the last send/click
 *   {"fill": {"label": "Name", "value": "x"}}   input in the current card (else the last card) by label,
 *   {"fill": {"placeholder": "..", "value": ..}} or placeholder, or {"index": n} (n-th input/select/textarea);
 *                                               <select> -> selectOption, checkbox -> check/uncheck ("true"/"false")
 *   {"click": "Confirm"}                        button by accessible name in the current card (else whole page)
 *   {"sendFile": {"name": "x.md", "url": "http://127.0.0.1:8000/x.md"}}
 *                                               a message with a file attached as Teams delivers it (attachment
 *                                               application/vnd.microsoft.teams.file.download.info, downloadUrl),
 *                                               posted as a custom activity (the UI has no file attach)
 *   {"openChat": "Group Chat"}                  open another chat of the tree ("Personal Chat", "Group Chat",
 *                                               "My Team - General"); later waits look at that chat's bubbles
 *   {"mention": "show me Jamie"}                a message in the Group Chat that @mentions the bot, as Teams sends
 *                                               it there (text "<at>Bot</at> …" + a mention entity), posted as a
 *                                               custom activity (a group chat only reaches a bot when mentioned)
 *   {"switchUser": "Megan Bowen"}               impersonate a mock user without restart (see README):
 *                                               subsequent sends/Submit/Execute are re-sent as that user;
 *                                               {"switchUser": null} goes back to the Playground's current user
 *   {"download": {"name": "Download CSV", "urlContains": "/exports/", "saveAs": "/tmp/x.csv"}}
 *                                               click an Action.OpenUrl (role link) in the current card, wait for the
 *                                               browser's request to the link, fetch that URL and save the body;
 *                                               result.downloads gets {url, status, contentType, saveAs}
 *   {"expectNoText": {"contains": "Error", "withinMs": 2000}}  no bot message contains it during withinMs
 *   {"screenshot": "/tmp/shot.png"}
 *   {"waitForFile": {"path": "/tmp/go", "timeoutMs": 60000}}  wait until the test creates the file: a gate that
 *                                               lets the test check the database between two steps
 *   {"sleep": 500}                              last resort
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'));
const { chromium } = require('playwright-core');

const SEL = {
  compose: '[data-lexical-editor="true"][contenteditable="true"]',
  send: 'button[aria-label="Send Message"]',
  botMessage: '.fai-OutputCard',       // one bubble per bot activity part (text and each card are separate)
  card: '.ac-adaptiveCard',
  cardInputs: 'input, textarea, select',
};

function readScript() {
  const arg = process.argv[2];
  const raw = arg ? (arg.trim().startsWith('{') ? arg : fs.readFileSync(arg, 'utf8')) : fs.readFileSync(0, 'utf8');
  return JSON.parse(raw);
}

const script = readScript();
const T = script.timeoutMs ?? 20000;
const result = { ok: false, failedStep: null, error: null, steps: [], botMessages: [], cards: [], screenshots: [],
  downloads: [] };
let browser;

function stepTimeout(v) { return (v && typeof v === 'object' && v.timeoutMs) || T; }

async function main() {
  browser = await chromium.launch({
    executablePath: script.chromium ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: script.viewportHeight ?? 1000 } });
  const base = new URL(script.url ?? 'http://127.0.0.1:56150/');
  await page.goto(base.href);
  await page.locator(SEL.compose).waitFor({ timeout: 60000 });
  // The UI fetches /_internal/v1/config (it waits for the bot endpoint) before it is usable.
  const cfg = await (await page.request.get(new URL('/_internal/v1/config', base).href, { timeout: 60000 })).json();
  if (script.chat) await page.getByRole('treeitem', { name: script.chat, exact: true }).click();

  let mark = 0;                 // bot bubble count when the last action happened
  let cardMark = 0;             // card count when the last action happened
  let currentCard = null;       // index into SEL.card
  let impersonated = null;      // user object from cfg.config.users
  const serviceUrl = script.serviceUrl ?? new URL('/_connector', `http://localhost:${base.port}`).href;
  const me = cfg.config.currentUser;
  const conv = () => ({ conversationType: 'personal', tenantId: cfg.config.tenantId, id: cfg.config.personalChat.id });
  const activityBase = (u) => ({
    id: `e2e-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`, channelId: 'msteams', serviceUrl,
    timestamp: new Date().toISOString(), locale: cfg.internalConfig?.locale ?? 'en-US',
    from: { id: u.id, name: u.name, aadObjectId: u.aadObjectId },
    recipient: { id: cfg.config.bot.id, name: cfg.config.bot.name }, conversation: conv(),
    entities: [{ type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web', timezone: 'UTC' }],
    channelData: { tenant: { id: cfg.config.tenantId } },
  });
  const postCustom = async (activity) => {
    const r = await page.request.post(new URL('/_internal/v1/customActivities', base).href, { data: activity });
    if (r.status() !== 200) throw new Error(`customActivities -> ${r.status()}`);
  };
  // While impersonating, the UI's own submit/invoke calls (which carry the Playground's current user) are
  // answered here and re-sent as the impersonated user.
  await page.route('**/_conversation/v1/{submit,invoke}', async (route) => {
    if (!impersonated) return route.continue();
    const body = JSON.parse(route.request().postData() || '{}');
    const a = { ...activityBase(impersonated), replyToId: body.replyToId };
    if (route.request().url().endsWith('/submit')) {
      await postCustom({ ...a, type: 'message', value: body.value, channelData: { ...a.channelData, source: { name: 'message' } } });
      return route.fulfill({ status: 200, body: '' });
    }
    if (!script.botEndpoint) return route.fulfill({ status: 502, json: { code: 'NoBotEndpoint' } });
    const r = await page.request.post(script.botEndpoint, {
      data: { ...a, type: 'invoke', name: body.name, value: body.value, channelData: { ...a.channelData, source: { name: 'message' } } },
      headers: { 'x-ms-agents-playground': 'true' },
    });
    if (r.status() >= 300) return route.fulfill({ status: 502, json: { code: 'UserBotError', message: `status ${r.status()}` } });
    const text = await r.text();
    let json = {};
    try { json = text ? JSON.parse(text) : {}; } catch { json = {}; }
    const { statusCode, ...rest } = json;
    return route.fulfill({ status: 200, json: rest });
  });

  const bubbles = () => page.locator(SEL.botMessage);
  const cardScope = () => (currentCard == null ? page.locator(SEL.card).last() : page.locator(SEL.card).nth(currentCard));
  const waitUntil = async (pred, timeout, what) => {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await pred();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timeout after ${timeout} ms waiting for ${what}`);
      await page.waitForTimeout(100);
    }
  };

  for (const [i, step] of script.steps.entries()) {
    const [kind, arg] = Object.entries(step)[0];
    const t0 = Date.now();
    try {
      switch (kind) {
        case 'send': {
          mark = await bubbles().count();
          cardMark = await page.locator(SEL.card).count();
          if (impersonated) {
            await postCustom({ ...activityBase(impersonated), type: 'message', text: String(arg), textFormat: 'plain' });
          } else {
            const box = page.locator(SEL.compose);
            await box.click();
            await box.fill(String(arg));
            await page.locator(SEL.send).click();
          }
          break;
        }
        case 'sendFile': {
          mark = await bubbles().count();
          cardMark = await page.locator(SEL.card).count();
          const file = {
            contentType: 'application/vnd.microsoft.teams.file.download.info', contentUrl: arg.url, name: arg.name,
            content: { downloadUrl: arg.url, uniqueId: `e2e-${Date.now()}`, fileType: path.extname(arg.name).slice(1) },
          };
          await postCustom({ ...activityBase(impersonated ?? me), type: 'message', text: '', attachments: [file] });
          break;
        }
        case 'waitForText': {
          const o = typeof arg === 'string' ? { contains: arg } : arg;
          await waitUntil(async () => {
            const texts = await bubbles().allInnerTexts();
            return texts.slice(o.new ? mark : 0).some((t) => t.includes(o.contains));
          }, stepTimeout(o), `bot text ${JSON.stringify(o.contains)}`);
          break;
        }
        case 'expectNoText': {
          const o = typeof arg === 'string' ? { contains: arg } : arg;
          const end = Date.now() + (o.withinMs ?? 2000);
          while (Date.now() < end) {
            const texts = await bubbles().allInnerTexts();
            if (texts.slice(o.new ? mark : 0).some((t) => t.includes(o.contains))) throw new Error(`unexpected text ${JSON.stringify(o.contains)}`);
            await page.waitForTimeout(100);
          }
          break;
        }
        case 'waitForCard': {
          const o = typeof arg === 'string' ? { contains: arg } : (arg ?? {});
          currentCard = await waitUntil(async () => {
            const texts = await page.locator(SEL.card).allInnerTexts();
            const from = o.new ? cardMark : 0;
            for (let k = texts.length - 1; k >= from; k--) if (!o.contains || texts[k].includes(o.contains)) return k + 1;
            return 0;
          }, stepTimeout(o), `card ${JSON.stringify(o.contains ?? '(any)')}`) - 1;
          break;
        }
        case 'fill': {
          const scope = cardScope();
          let el;
          if (arg.label) el = scope.getByLabel(arg.label, { exact: arg.exact ?? false }).first();
          else if (arg.placeholder) el = scope.getByPlaceholder(arg.placeholder).first();
          else el = scope.locator(SEL.cardInputs).nth(arg.index ?? 0);
          await el.waitFor({ timeout: stepTimeout(arg) });
          const tag = await el.evaluate((e) => e.tagName.toLowerCase() + ':' + (e.type || ''));
          if (tag.startsWith('select')) await el.selectOption(String(arg.value));
          else if (tag === 'input:checkbox' || tag === 'input:radio') await el.setChecked(String(arg.value) !== 'false');
          else await el.fill(String(arg.value));
          break;
        }
        case 'click': {
          const o = typeof arg === 'string' ? { name: arg } : arg;
          mark = await bubbles().count();
          cardMark = await page.locator(SEL.card).count();
          const inCard = cardScope().getByRole('button', { name: o.name, exact: o.exact ?? false });
          const target = (await inCard.count()) ? inCard.first() : page.getByRole('button', { name: o.name, exact: o.exact ?? false }).last();
          await target.click({ timeout: stepTimeout(o) });
          break;
        }
        case 'download': {
          const o = typeof arg === 'string' ? { name: arg } : arg;
          const want = o.urlContains ?? '/';
          const popups = [];
          const onPopup = (p) => popups.push(p);
          page.on('popup', onPopup);
          const seen = page.context().waitForEvent('request', { predicate: (r) => r.url().includes(want), timeout: stepTimeout(o) }).catch(() => null);
          // Adaptive Cards render Action.OpenUrl as a button with role "link"
          const named = { name: o.name, exact: o.exact ?? false };
          const button = cardScope().getByRole('link', named).or(cardScope().getByRole('button', named)).first();
          await button.click({ timeout: stepTimeout(o) });
          const request = await seen;
          page.off('popup', onPopup);
          if (!request) {
            const html = await button.evaluate((e) => e.outerHTML).catch(() => '?');
            throw new Error(`no request to ${want} after the click; popups: ${JSON.stringify(popups.map((p) => p.url()))}; button: ${html.slice(0, 300)}`);
          }
          const url = request.url();
          const r = await page.request.get(url);
          if (o.saveAs) fs.writeFileSync(o.saveAs, await r.body());
          result.downloads.push({ url, status: r.status(), contentType: r.headers()['content-type'] ?? '', saveAs: o.saveAs ?? null });
          break;
        }
        case 'waitForFile': {
          const o = typeof arg === 'string' ? { path: arg } : arg;
          await waitUntil(async () => fs.existsSync(o.path), stepTimeout(o), `file ${o.path}`);
          break;
        }
        case 'openChat': {
          await page.getByRole('treeitem', { name: String(arg), exact: true }).click();
          mark = 0;
          cardMark = 0;
          currentCard = null;
          break;
        }
        case 'mention': {
          mark = await bubbles().count();
          cardMark = await page.locator(SEL.card).count();
          const bot = cfg.config.bot;
          const tag = `<at>${bot.name}</at>`;
          await postCustom({
            ...activityBase(impersonated ?? me), type: 'message', text: `${tag} ${arg}`, textFormat: 'plain',
            conversation: { isGroup: true, conversationType: 'groupChat', tenantId: cfg.config.tenantId,
              id: cfg.config.groupChats[0].id, name: cfg.config.groupChats[0].name },
            entities: [{ type: 'mention', text: tag, mentioned: { id: bot.id, name: bot.name } }],
          });
          break;
        }
        case 'switchUser': {
          if (!arg || arg === me.name || arg === me.id) { impersonated = null; break; }
          impersonated = cfg.config.users.find((u) => u.name === arg || u.id === arg || u.aadObjectId === arg);
          if (!impersonated) throw new Error(`unknown mock user ${arg}`);
          break;
        }
        case 'screenshot': {
          await page.screenshot({ path: String(arg), fullPage: true });
          result.screenshots.push(String(arg));
          break;
        }
        case 'sleep': await page.waitForTimeout(Number(arg)); break;
        default: throw new Error(`unknown step ${kind}`);
      }
      result.steps.push({ i, step, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      result.steps.push({ i, step, ok: false, ms: Date.now() - t0, error: String(e.message ?? e).split('\n')[0] });
      result.failedStep = i;
      result.error = `step ${i} ${JSON.stringify(step)}: ${String(e.message ?? e).split('\n')[0]}`;
      break;
    }
  }
  result.botMessages = await bubbles().allInnerTexts();
  result.cards = await page.locator(SEL.card).allInnerTexts();
  result.ok = result.failedStep === null;
  if (!result.ok && script.screenshotOnFailure) {
    await page.screenshot({ path: script.screenshotOnFailure, fullPage: true }).catch(() => {});
    result.screenshots.push(script.screenshotOnFailure);
  }
}

try {
  await main();
} catch (e) {
  result.ok = false;
  result.error = result.error ?? String(e.message ?? e).split('\n')[0];
} finally {
  if (browser) await browser.close().catch(() => {});
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.ok ? 0 : 1;
}
