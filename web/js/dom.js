// Building elements without innerHTML: every value is set as text, so nothing the API
// returns can become markup (and the Content-Security-Policy allows no inline script).

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

// replaceChildren that leaves out null, undefined and false (it would write "null").
export function put(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function money(value) {
  return value ? `${value.amount} ${value.currency}` : "—";
}

export function text(value) {
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

export function table(caption, headers, rows) {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
    h(
      "tbody",
      {},
      rows.length
        ? rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))
        : h("tr", {}, h("td", { colspan: headers.length }, "Nothing to show.")),
    ),
  );
}

// A labelled form field; `options` makes it a <select>.
export function field(label, name, { type = "text", value = "", options, required, ...rest } = {}) {
  const id = `field-${name}`;
  const control = options
    ? h(
        "select",
        { id, name, required },
        options.map(([optionValue, optionLabel]) =>
          h("option", { value: optionValue, selected: optionValue === value }, optionLabel),
        ),
      )
    : h("input", { id, name, type, value: value ?? "", required, ...rest });
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

export function errorList(errors) {
  return h(
    "ul",
    { class: "errors", role: "alert" },
    errors.map((error) => h("li", {}, `${error.message} (${error.code})`)),
  );
}

export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form).entries()) values[name] = value;
  return values;
}
