// An album's share links: make one (expiry, password, originals, metadata, location, label), copy
// its address once (the token is shown only then), see its views and state, change or revoke it.
import { announce, confirmAction, field, fill, formatDate, formValues, h, openDialog, showError } from './dom.js';

const STATES = { ACTIVE: 'Active', EXPIRED: 'Expired', REVOKED: 'Revoked' };

/** The end of the chosen day, local time, as the API's DateTime. */
function expiryOf(date) {
  return date ? new Date(`${date}T23:59:59`).toISOString() : null;
}

/** The local day an expiry falls on, as a date input holds it (the UTC date can be a day off). */
function dayOf(iso) {
  const date = new Date(iso);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

function linkOptions(link = {}) {
  return [
    field('Label (only you see it)', h('input', { name: 'label', value: link.label ?? '', autocomplete: 'off' })),
    field('Expires at the end of', h('input', { type: 'date', name: 'expires', value: link.expiresAt ? dayOf(link.expiresAt) : '' })),
    field(
      link.id ? 'New password (leave empty to keep it)' : 'Password (optional)',
      h('input', { type: 'password', name: 'password', autocomplete: 'new-password' }),
    ),
    link.hasPassword ? field('Remove the password', h('input', { type: 'checkbox', name: 'removePassword' })) : null,
    field(
      'Allow downloading originals (without location or camera data)',
      h('input', { type: 'checkbox', name: 'allowOriginals', checked: link.allowOriginals ?? false }),
    ),
    field('Show camera and exposure', h('input', { type: 'checkbox', name: 'showMetadata', checked: link.showMetadata ?? false })),
    field('Show where photos were taken', h('input', { type: 'checkbox', name: 'showLocation', checked: link.showLocation ?? false })),
  ];
}

function inputOf(values) {
  const input = {
    label: values.label,
    expiresAt: expiryOf(values.expires),
    allowOriginals: values.allowOriginals,
    showMetadata: values.showMetadata,
    showLocation: values.showLocation,
  };
  if (values.removePassword) input.password = null;
  else if (values.password) input.password = values.password;
  return input;
}

export function shareLinksSection(app, album, initial) {
  const list = h('ul', { class: 'share-links' });
  const links = new Map(initial.map((link) => [link.id, link]));

  function render() {
    fill(list, ...[...links.values()].map(row));
    if (links.size === 0) list.append(h('li', { class: 'empty' }, 'No share links yet.'));
  }

  function row(link) {
    const facts = [
      STATES[link.state],
      `${link.viewCount} view${link.viewCount === 1 ? '' : 's'}`,
      link.expiresAt ? `expires ${formatDate(link.expiresAt)}` : 'never expires',
      link.hasPassword ? 'password' : null,
      link.allowOriginals ? 'originals' : null,
      link.lastUsedAt ? `last opened ${formatDate(link.lastUsedAt, true)}` : null,
    ].filter(Boolean);
    const name = link.label || `Link ${link.tokenPrefix}…`;
    return h(
      'li',
      { class: `share-link ${link.state.toLowerCase()}` },
      h('span', { class: 'title' }, name),
      h('span', { class: 'meta' }, facts.join(' · ')),
      link.state === 'REVOKED'
        ? null
        : h(
            'span',
            { class: 'actions' },
            h('button', { type: 'button', onclick: () => edit(link) }, `Change ${name}`),
            h('button', { type: 'button', class: 'danger', onclick: () => revoke(link) }, `Revoke ${name}`),
          ),
    );
  }

  async function revoke(link) {
    const sure = await confirmAction(
      `Revoke ${link.label || 'this link'}?`,
      'It opens nothing from then on, image addresses handed out under it included. A revoked link cannot be brought back; make a new one instead.',
      'Revoke link',
    );
    if (!sure) return;
    try {
      const { shareLink } = await app.api.mutate('RevokeShareLink', { id: link.id });
      links.set(shareLink.id, shareLink);
      render();
      announce('Link revoked: it opens nothing from now on');
    } catch (error) {
      showError(error.message);
    }
  }

  function edit(link) {
    openDialog('Change share link', (close) =>
      h(
        'form',
        {
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              const { shareLink } = await app.api.mutate('UpdateShareLink', {
                input: { id: link.id, ...inputOf(formValues(event.target)) },
              });
              links.set(shareLink.id, shareLink);
              render();
              close();
              announce('Link changed');
            } catch (error) {
              showError(error.message);
            }
          },
        },
        linkOptions(link),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: close }, 'Cancel'), h('button', { type: 'submit' }, 'Save')),
      ),
    );
  }

  function create() {
    openDialog(`Share ${album.title}`, (close) => {
      const form = h(
        'form',
        {
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              const { shareLink } = await app.api.mutate('CreateShareLink', { input: { albumId: album.id, ...inputOf(formValues(form)) } });
              links.set(shareLink.id, shareLink);
              render();
              showCreated(form, shareLink, close);
            } catch (error) {
              showError(error.message);
            }
          },
        },
        linkOptions(),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: close }, 'Cancel'),
          h('button', { type: 'submit' }, 'Make link'),
        ),
      );
      return form;
    });
  }

  /** The address, shown this once: the server keeps only its hash. */
  function showCreated(form, link, close) {
    const address = new URL(link.url.replace(/^\//, ''), `${app.publicUrl}/`).href;
    const output = h('input', { readonly: true, value: address, class: 'share-url', 'aria-label': 'Share link address' });
    form.replaceWith(
      h(
        'div',
        {},
        h('p', {}, 'Anyone with this address can see the album until it expires or you revoke it. It is shown only now: copy it.'),
        output,
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                output.select();
                try {
                  await navigator.clipboard.writeText(address);
                  announce('Link copied');
                } catch {
                  // No clipboard permission: the address is selected for Ctrl+C.
                  announce('Press Ctrl+C to copy the selected address');
                }
              },
            },
            'Copy link',
          ),
          h('button', { type: 'button', onclick: close }, 'Done'),
        ),
      ),
    );
    output.focus();
    output.select();
  }

  render();
  return h(
    'section',
    { class: 'shares', 'aria-labelledby': 'shares-heading' },
    h(
      'div',
      { class: 'view-head' },
      h('h2', { id: 'shares-heading' }, 'Share links'),
      h('button', { type: 'button', onclick: create }, 'New share link'),
    ),
    list,
  );
}
