// Who is signed in, what their roles let the console show, and the idle sign-out.

import { call, forgetSession, hasSession } from "./api.js";
import { LOGOUT, ME } from "./operations.js";

const STAFF_ROLES = ["billing_staff", "accountant", "admin", "auditor"];
const ACTIVITY = ["keydown", "mousedown", "mousemove", "pointerdown", "wheel", "touchstart", "input"];

export const state = { me: null, idleSeconds: 900 };

export function roles() {
  return state.me ? state.me.roles.map((role) => role.toLowerCase()) : [];
}

function hasRole(...wanted) {
  return roles().some((role) => wanted.includes(role));
}

// What each page needs; the server refuses the rest anyway (FORBIDDEN).
export const can = {
  patients: () => hasRole("billing_staff", "admin"),
  act: () => hasRole("billing_staff", "admin"),
  billing: () => hasRole("billing_staff", "accountant", "admin"),
  reports: () => hasRole("billing_staff", "accountant", "admin"),
  audit: () => hasRole("auditor"),
};

export function isStaff() {
  return hasRole(...STAFF_ROLES);
}

export async function loadMe() {
  const data = await call(ME);
  state.me = data.me;
  return state.me;
}

export async function signOut() {
  stopIdleTimer();
  if (hasSession()) {
    try {
      await call(LOGOUT);
    } catch {
      // the session may already have ended on the server; the page forgets it anyway
    }
  }
  forgetSession();
  state.me = null;
}

let idleTimer = null;
let onIdle = null;

function restartIdleTimer() {
  if (!onIdle) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(onIdle, state.idleSeconds * 1000);
}

export function startIdleTimer(callback) {
  onIdle = callback;
  for (const name of ACTIVITY) document.addEventListener(name, restartIdleTimer, { passive: true });
  restartIdleTimer();
}

export function stopIdleTimer() {
  clearTimeout(idleTimer);
  onIdle = null;
  for (const name of ACTIVITY) document.removeEventListener(name, restartIdleTimer);
}

export function describeIdle(seconds) {
  if (seconds % 60 === 0) {
    const minutes = seconds / 60;
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}
