// Signing in (password, then the authenticator's code) and a first-time enrollment of
// the authenticator, whose QR code is drawn here by the vendored encoder.

import qrcode from "../../vendor/qrcode-generator/qrcode.mjs";
import { ApiError, anonymous, call, setSession } from "../api.js";
import { errorList, field, formValues, h, put, svg } from "../dom.js";
import { CONFIRM_TOTP, LOGIN, START_TOTP, VERIFY_MFA } from "../operations.js";

export function signInPage(onSignedIn) {
  const messages = h("div", { "aria-live": "assertive" });
  const form = h(
    "form",
    { class: "card signin", id: "sign-in" },
    h("h1", {}, "Sign in"),
    field("Email", "email", { type: "email", autocomplete: "username", required: true }),
    field("Password", "password", { type: "password", autocomplete: "current-password", required: true }),
    messages,
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { email, password } = formValues(form);
    put(messages);
    try {
      const { login } = await anonymous(LOGIN, { email, password });
      if (login.errors.length) {
        put(messages, errorList(login.errors));
      } else if (login.mfaRequired) {
        form.replaceWith(codeForm(login.mfaTicket, onSignedIn));
      } else {
        setSession(login.session);
        await onSignedIn();
      }
    } catch (error) {
      put(messages, errorList([{ code: error.code || "ERROR", message: error.message }]));
    }
  });
  return [form];
}

function codeForm(ticket, onSignedIn) {
  const messages = h("div", { "aria-live": "assertive" });
  const form = h(
    "form",
    { class: "card signin", id: "mfa" },
    h("h1", {}, "Two-step verification"),
    h("p", {}, "Type the 6-digit code your authenticator app shows, or a recovery code."),
    field("Code", "code", { autocomplete: "one-time-code", inputmode: "numeric", required: true }),
    messages,
    h("button", { type: "submit" }, "Verify"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    put(messages);
    const { code } = formValues(form);
    try {
      const { verifyMfa } = await anonymous(VERIFY_MFA, { ticket, code: code.trim() });
      if (verifyMfa.errors.length) {
        put(messages, errorList(verifyMfa.errors));
        return;
      }
      setSession(verifyMfa.session);
      await onSignedIn();
    } catch (error) {
      put(messages, errorList([{ code: error.code || "ERROR", message: error.message }]));
    }
  });
  setTimeout(() => form.querySelector("input").focus(), 0);
  return form;
}

export function enrollmentPage(onEnrolled) {
  const area = h("section", { id: "enrollment" }, h("p", { class: "muted" }, "Preparing your authenticator…"));
  start(area, onEnrolled);
  return [h("h1", {}, "Set up two-step verification"), area];
}

async function start(area, onEnrolled) {
  try {
    const { startTotpEnrollment: started } = await call(START_TOTP);
    if (started.errors.length) {
      put(area, errorList(started.errors));
      return;
    }
    const messages = h("div", { "aria-live": "assertive" });
    const form = h(
      "form",
      { id: "confirm-enrollment" },
      field("Code from the app", "code", { autocomplete: "one-time-code", inputmode: "numeric", required: true }),
      messages,
      h("button", { type: "submit" }, "Confirm"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { code } = formValues(form);
      const { confirmTotpEnrollment: confirmed } = await call(CONFIRM_TOTP, { code: code.trim() });
      if (confirmed.errors.length) {
        put(messages, errorList(confirmed.errors));
        return;
      }
      put(area,
        h("h2", {}, "Recovery codes"),
        h("p", {}, "Keep these somewhere safe. Each works once, if you lose your authenticator. They are shown only now."),
        h("ul", { class: "codes", id: "recovery-codes" }, confirmed.recoveryCodes.map((c) => h("li", {}, c))),
        h("button", { type: "button", id: "enrollment-done", onclick: () => onEnrolled() }, "I saved them, continue"),
      );
    });
    put(area,
      h("p", {}, "Your role needs an authenticator app before anything else. Scan this code with it:"),
      h("figure", { class: "qr" }, qrSvg(started.provisioningUri), h("figcaption", { class: "muted" }, "QR code of your authenticator key")),
      h("p", {}, "Or type this key into the app: ", h("code", { id: "totp-secret" }, started.secret)),
      form,
    );
  } catch (error) {
    put(area, errorList([{ code: error instanceof ApiError ? error.code : "ERROR", message: error.message }]));
  }
}

function qrSvg(text) {
  const code = qrcode(0, "M");
  code.addData(text);
  code.make();
  const count = code.getModuleCount();
  const quiet = 4;
  const size = count + quiet * 2;
  const cells = [];
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (code.isDark(row, col)) {
        cells.push(svg("rect", { x: col + quiet, y: row + quiet, width: 1, height: 1 }));
      }
    }
  }
  return svg(
    "svg",
    { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": "QR code for your authenticator app", "shape-rendering": "crispEdges" },
    svg("rect", { x: 0, y: 0, width: size, height: size, fill: "#fff" }),
    svg("g", { fill: "#000" }, cells),
  );
}
