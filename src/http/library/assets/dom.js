// Building blocks for the app's views: elements, dialogs, and the two live regions that speak to
// screen readers. Plain DOM, no framework: every view is a function that returns its elements.

/** An element: attributes (a function for `on…` is a listener; false or null leaves it out), then children. */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else if (name === 'value' || name === 'checked' || name === 'textContent') node[name] = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  return fill(node, ...children);
}

/** Replaces the node's children with these; null, undefined and false are left out (DOM methods would write "null"). */
export function fill(node, ...children) {
  node.replaceChildren(
    ...children.flat(Number.POSITIVE_INFINITY).filter((child) => child !== null && child !== undefined && child !== false),
  );
  return node;
}

/** Polite news for screen readers and sighted people alike ("Album published"). */
export function announce(message) {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = '';
  // A new text node each time: the same message twice is still read twice.
  requestAnimationFrame(() => {
    status.textContent = message;
  });
}

/**
 * A failure said at once (role=alert): what went wrong, as the server's typed error put it. In an
 * open dialog it is said there, since the page behind a modal dialog is inert.
 */
export function showError(message) {
  const dialog = document.querySelector('dialog[open]');
  if (dialog) {
    let alert = dialog.querySelector('.dialog-alert');
    if (!alert) {
      alert = h('p', { class: 'dialog-alert error', role: 'alert' });
      dialog.querySelector('h2')?.after(alert);
    }
    alert.textContent = message;
    return;
  }
  const alert = document.getElementById('alert');
  if (!alert) return;
  fill(alert, h('span', {}, message), h('button', { type: 'button', onclick: () => alert.replaceChildren() }, 'Dismiss'));
}

export function clearError() {
  document.getElementById('alert')?.replaceChildren();
  document.querySelector('dialog[open] .dialog-alert')?.remove();
}

/**
 * A modal dialog: the page behind is inert while it is open (so focus stays inside), Escape
 * closes it, and focus goes back to what opened it. `build(close)` returns its content.
 */
export function openDialog(title, build) {
  const opener = document.activeElement;
  const heading = h('h2', { id: `dialog-${Math.random().toString(36).slice(2)}` }, title);
  const dialog = h('dialog', { 'aria-labelledby': heading.id });
  const close = () => dialog.close();
  dialog.append(heading, ...[build(close)].flat());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener instanceof HTMLElement) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Asks before something that cannot be undone; resolves true only if the person confirmed. */
export function confirmAction(title, detail, action) {
  return new Promise((resolve) => {
    let confirmed = false;
    const dialog = openDialog(title, (close) => [
      h('p', {}, detail),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: close }, 'Cancel'),
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            onclick: () => {
              confirmed = true;
              close();
            },
          },
          action,
        ),
      ),
    ]);
    dialog.addEventListener('close', () => resolve(confirmed));
  });
}

/** A form's fields by name, as strings and booleans (checkboxes). */
export function formValues(form) {
  const values = {};
  for (const field of form.elements) {
    if (!field.name) continue;
    values[field.name] = field.type === 'checkbox' ? field.checked : field.value;
  }
  return values;
}

let fieldCount = 0;

/**
 * A field and its label, joined by `for`: a label wrapping its control would name it with the
 * control's own value too ("Title Trip"), since a label's text includes what is embedded in it.
 */
export function field(label, input) {
  if (!input.id) input.id = `field-${++fieldCount}`;
  const caption = h('label', { for: input.id }, label);
  return h(
    'div',
    { class: input.type === 'checkbox' ? 'check' : 'field' },
    input.type === 'checkbox' ? [input, caption] : [caption, input],
  );
}

/** "1 photo", "3 photos": how every view counts photos. */
export function photoCount(n) {
  return `${n} photo${n === 1 ? '' : 's'}`;
}

export function formatDate(iso, withTime = false) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' });
}
