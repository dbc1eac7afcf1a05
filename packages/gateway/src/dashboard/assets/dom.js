// DOM helpers. Data only ever reaches the page through textContent and setAttribute, never as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

/** `h("div", {class: "card"}, child, "text")`: an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** Same as `h`, in the SVG namespace. */
export function s(tag, attributes = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== undefined && child !== null) element.append(child);
  }
  return element;
}

/** Sets text only when it changed, so a tick does not disturb a selection. */
export function setText(element, text) {
  const value = String(text);
  if (element.textContent !== value) element.textContent = value;
}

export function setAttr(element, name, value) {
  if (value === undefined || value === null || value === false) {
    if (element.hasAttribute(name)) element.removeAttribute(name);
    return;
  }
  const text = String(value);
  if (element.getAttribute(name) !== text) element.setAttribute(name, text);
}

/**
 * Keyed update of a container's children: reuses the view made for each key, creates views for new
 * keys, drops views of keys that went away and keeps the order of `items`.
 */
export function syncChildren(container, views, items, keyOf, create) {
  const seen = new Set();
  let previous = null;
  for (const item of items) {
    const key = keyOf(item);
    seen.add(key);
    let view = views.get(key);
    if (!view) {
      view = create(item);
      views.set(key, view);
    }
    view.update(item);
    const expected = previous ? previous.nextSibling : container.firstChild;
    if (expected !== view.element) container.insertBefore(view.element, expected);
    previous = view.element;
  }
  for (const [key, view] of views) {
    if (!seen.has(key)) {
      view.element.remove();
      views.delete(key);
    }
  }
}
