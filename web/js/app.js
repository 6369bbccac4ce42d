// The console's shell: boot (restore the session from its cookie), the role-aware
// navigation, hash routes and the idle sign-out.

import { ApiError, refresh } from "./api.js";
import { h, put } from "./dom.js";
import { auditPage } from "./pages/audit.js";
import { dashboardPage } from "./pages/dashboard.js";
import { exportsPage } from "./pages/exports.js";
import { invoicePage } from "./pages/invoice.js";
import { patientPage, patientsPage } from "./pages/patients.js";
import { enrollmentPage, signInPage } from "./pages/signin.js";
import { worklistPage } from "./pages/worklists.js";
import { can, describeIdle, isStaff, loadMe, signOut, startIdleTimer, state } from "./session.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const notice = document.getElementById("notice");

const LINKS = [
  ["#/patients", "Patients", can.patients],
  ["#/worklists/insurance", "Worklists", can.billing],
  ["#/dashboard", "Dashboard", can.reports],
  ["#/exports", "Exports", can.reports],
  ["#/audit", "Access log", can.audit],
];

const ROUTES = [
  [/^#\/patients$/, () => patientsPage()],
  [/^#\/patient\/(.+)$/, (id) => patientPage(decodeURIComponent(id))],
  [/^#\/invoice\/(.+)$/, (id) => invoicePage(decodeURIComponent(id))],
  [/^#\/worklists\/([a-z-]+)$/, (kind) => worklistPage(kind)],
  [/^#\/dashboard$/, () => dashboardPage()],
  [/^#\/exports$/, () => exportsPage()],
  [/^#\/audit$/, () => auditPage()],
];

export function say(message) {
  notice.textContent = message;
}

function show(...content) {
  put(main, ...content);
}

function homeRoute() {
  const first = LINKS.find(([, , allowed]) => allowed());
  return first ? first[0] : "#/";
}

function renderChrome() {
  put(nav,
    ...LINKS.filter(([, , allowed]) => allowed()).map(([href, label]) => {
      const current = location.hash.startsWith(href.split("/").slice(0, 2).join("/"));
      return h("a", { href, "aria-current": current ? "page" : null }, label);
    }),
  );
  renderWho();
}

function renderWho() {
  put(who,
    h("span", {}, `${state.me.email} (${state.me.roles.join(", ").toLowerCase()})`),
    h("button", { type: "button", id: "sign-out", onclick: () => endSession("You signed out.") }, "Sign out"),
  );
}

function clearChrome() {
  put(nav);
  put(who);
}

async function route() {
  if (!state.me) return;
  if (!location.hash || location.hash === "#/") {
    location.replace(homeRoute());
    return;
  }
  renderChrome();
  const match = ROUTES.map(([pattern, page]) => [location.hash.match(pattern), page]).find(([m]) => m);
  if (!match) {
    show(h("h1", {}, "Not found"), h("p", {}, "There is no such page."));
    return;
  }
  const [groups, page] = match;
  show(h("p", { class: "muted" }, "Loading…"));
  try {
    show(...(await page(...groups.slice(1))));
  } catch (error) {
    show(...failure(error));
  }
  main.focus();
}

function failure(error) {
  if (error instanceof ApiError && error.code === "FORBIDDEN") {
    return [h("h1", {}, "Not allowed"), h("p", { role: "alert" }, "Your role may not see or do this.")];
  }
  if (error instanceof ApiError && (error.code === "UNAUTHENTICATED" || error.code === "SESSION_EXPIRED")) {
    endSession("Your session ended. Sign in again.");
    return [];
  }
  return [h("h1", {}, "Something went wrong"), h("p", { role: "alert" }, error.message)];
}

async function endSession(message) {
  await signOut();
  clearChrome();
  say(message);
  showSignIn();
}

function showSignIn() {
  show(...signInPage(signedIn));
}

async function signedIn() {
  say("");
  const me = await loadMe();
  if (!isStaff()) {
    await signOut();
    say("This console is for billing staff. Patients use the app.");
    showSignIn();
    return;
  }
  startIdleTimer(() =>
    endSession(
      `You were signed out automatically after ${describeIdle(state.idleSeconds)} without activity.`,
    ),
  );
  if (!me.mfaEnabled) {
    clearChrome();
    renderWho();
    show(...enrollmentPage(signedIn));
    return;
  }
  await route();
}

async function boot() {
  try {
    const config = await (await fetch("config.json", { credentials: "same-origin" })).json();
    state.idleSeconds = config.idleSeconds;
  } catch {
    // keep the default
  }
  window.addEventListener("hashchange", route);
  if (await refresh()) {
    await signedIn();
  } else {
    showSignIn();
  }
}

boot();
