// The public GraphQL API, as any front end speaks it, with the browser session:
// X-Session-Transport: cookie puts the refresh token in an HttpOnly cookie the page never
// sees; the short-lived access token lives only in this module's memory.

import { REFRESH } from "./operations.js";

const ENDPOINT = "/graphql";

let accessToken = null;
let expiresAt = 0;
let refreshing = null;

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function post(query, variables, token) {
  const headers = {
    "content-type": "application/json",
    accept: "application/json",
    "x-session-transport": "cookie",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(ENDPOINT, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  if (!response.ok) throw new ApiError("HTTP_" + response.status, `The server answered ${response.status}.`);
  return response.json();
}

export function setSession(session) {
  accessToken = session.accessToken;
  expiresAt = Date.parse(session.expiresAt);
}

export function forgetSession() {
  accessToken = null;
  expiresAt = 0;
}

export function hasSession() {
  return accessToken !== null;
}

// A new access token from the cookie; false when the cookie is gone or no longer valid.
export async function refresh() {
  if (!refreshing) {
    refreshing = post(REFRESH, {}, null)
      .then((body) => {
        const payload = body.data && body.data.refreshSession;
        if (payload && payload.session) {
          setSession(payload.session);
          return true;
        }
        forgetSession();
        return false;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

// Runs an operation as the signed-in user: refreshes shortly before the access token ends
// and once more when the server says it expired. Top-level errors throw ApiError.
export async function call(query, variables = {}) {
  if (accessToken && expiresAt - Date.now() < 60_000) await refresh();
  let body = await post(query, variables, accessToken);
  if (firstCode(body) === "SESSION_EXPIRED" && (await refresh())) {
    body = await post(query, variables, accessToken);
  }
  if (body.errors && body.errors.length) {
    throw new ApiError(firstCode(body) || "ERROR", body.errors[0].message);
  }
  return body.data;
}

// For sign-in steps that need no session.
export async function anonymous(query, variables = {}) {
  const body = await post(query, variables, null);
  if (body.errors && body.errors.length) {
    throw new ApiError(firstCode(body) || "ERROR", body.errors[0].message);
  }
  return body.data;
}

function firstCode(body) {
  return body.errors && body.errors[0] && body.errors[0].extensions
    ? body.errors[0].extensions.code
    : null;
}

export function idempotencyKey() {
  return crypto.randomUUID();
}
