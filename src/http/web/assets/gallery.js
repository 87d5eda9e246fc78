// The gallery's one script: optional (every page works without it), same origin, no framework.
// It reads further pages through /graphql like any client, opens photos in a lightbox, and
// moves between photos with the keyboard (← → Esc) and by swiping.
(() => {
  const main = document.querySelector('main');
  if (!main) return;
  const kind = main.dataset.page;
  const share = main.dataset.share;

  // The document that fetches the next page, and its variables, as the server wrote them into the page.
  const nextPage = JSON.parse(document.getElementById('next-page')?.textContent || 'null');

  async function graphql(query, variables) {
    const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
    if (share) headers['x-lightbox-share'] = share;
    const response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = await response.json();
    if (!response.ok || body.errors) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
    return body.data;
  }

  function element(name, attributes = {}, children = []) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined && value !== null) node.setAttribute(key, String(value));
    for (const child of children) node.append(child);
    return node;
  }

  /** An <img> in a <picture> with its WebP twin, on its placeholder colour until it arrives. */
  function picture(photo, img, webpSrcset) {
    if (photo.placeholder?.dominantColor) img.style.backgroundColor = photo.placeholder.dominantColor;
    return element('picture', {}, [element('source', { type: 'image/webp', srcset: webpSrcset, sizes: img.sizes }), img]);
  }

  /** The same markup the server renders for an album's cover (web/html.ts coverHtml). */
  function cover(photo, href, caption) {
    const img = element('img', {
      src: photo.thumb.url,
      srcset: `${photo.thumb.url} 256w, ${photo.small.url} ${photo.small.width}w`,
      sizes: '(max-width: 40rem) 50vw, 15rem',
      width: photo.thumb.width,
      height: photo.thumb.height,
      alt: photo.description || photo.title,
      loading: 'lazy',
      decoding: 'async',
    });
    const link = element('a', { href }, [picture(photo, img, `${photo.thumbWebp.url} 256w, ${photo.smallWebp.url} ${photo.small.width}w`)]);
    link.append(caption);
    return element('li', {}, [link]);
  }

  /** The line under a photo in the lightbox, as web/html.ts captureLine writes it. */
  function captureLine(photo) {
    const taken = photo.takenAt ? photo.takenAt.replace('T', ' ').slice(0, 16) : '';
    const camera = [photo.camera?.make, photo.camera?.model].filter(Boolean).join(' ');
    return [taken, camera].filter(Boolean).join(' · ');
  }

  /**
   * The same markup the server renders for a photo of an album (web/html.ts photoTileHtml). Its
   * shape goes in through CSSOM (--r), which the page's CSP allows where a style attribute is not.
   */
  function photoTile(photo, href) {
    const { small, medium } = photo;
    // As web/html.ts justifiedSizes: a row at most 336 px tall times the photo's shape.
    const sizes = `min(100vw, ${Math.ceil((336 * small.width) / small.height)}px)`;
    const img = element('img', {
      src: small.url,
      srcset: `${small.url} ${small.width}w, ${medium.url} ${medium.width}w`,
      sizes,
      width: small.width,
      height: small.height,
      alt: photo.description || photo.title,
      loading: 'lazy',
      decoding: 'async',
    });
    const link = element(
      'a',
      {
        href,
        'data-full': photo.large.url,
        'data-srcset': photo.webp,
        'data-width': photo.large.width,
        'data-height': photo.large.height,
        'data-alt': img.alt,
        'data-title': photo.title,
        'data-line': captureLine(photo) || undefined,
        'data-download': photo.original.url,
      },
      [picture(photo, img, `${photo.smallWebp.url} ${small.width}w, ${photo.mediumWebp.url} ${medium.width}w`)],
    );
    const item = element('li', {}, [link]);
    if (small.width > 0 && small.height > 0) item.style.setProperty('--r', String(Math.round((small.width / small.height) * 100) / 100));
    return item;
  }

  function appendPage(edges) {
    const grid = main.querySelector('ul.grid');
    for (const { cursor, node } of edges) {
      if (kind === 'albums') {
        if (!node.cover) continue;
        const caption = element('span', { class: 'title' });
        caption.textContent = node.title;
        const count = element('span', { class: 'muted' });
        count.textContent = `${node.photoCount} photo${node.photoCount === 1 ? '' : 's'}`;
        const item = cover(node.cover, `/albums/${encodeURIComponent(node.id)}`, caption);
        item.firstChild.append(count);
        grid.append(item);
      } else {
        const base = kind === 'shared' ? `${location.pathname}/photos/` : '/photos/';
        const params = new URLSearchParams({ at: cursor });
        if (kind === 'album') params.set('album', main.dataset.album);
        if (main.dataset.unlock) params.set('unlock', main.dataset.unlock);
        grid.append(photoTile(node, `${base}${encodeURIComponent(node.id)}?${params}`));
      }
    }
  }

  // Infinite scroll: the "more" link is fetched through GraphQL as it comes into view.
  const pager = main.querySelector('nav.pager a[rel=next]');
  if (pager && nextPage && 'IntersectionObserver' in window) {
    let loading = false;
    let after = pager.dataset.after;
    const observer = new IntersectionObserver(
      async (entries) => {
        if (loading || !entries.some((entry) => entry.isIntersecting)) return;
        loading = true;
        try {
          const data = await graphql(nextPage.query, { ...nextPage.variables, after });
          const page = kind === 'albums' ? data.page : data.album.page;
          appendPage(page.edges);
          after = page.pageInfo.endCursor;
          if (!page.pageInfo.hasNextPage) {
            observer.disconnect();
            pager.parentElement.remove();
          } else {
            pager.href = pager.href.replace(/after=[^&]*/, `after=${encodeURIComponent(after)}`);
          }
        } catch {
          observer.disconnect(); // the link still works
        } finally {
          loading = false;
        }
      },
      { rootMargin: '600px' },
    );
    observer.observe(pager);
  }

  function onSwipe(target, left, right) {
    let startX = 0;
    let startY = 0;
    target.addEventListener(
      'touchstart',
      (event) => {
        startX = event.changedTouches[0].clientX;
        startY = event.changedTouches[0].clientY;
      },
      { passive: true },
    );
    target.addEventListener(
      'touchend',
      (event) => {
        const dx = event.changedTouches[0].clientX - startX;
        const dy = event.changedTouches[0].clientY - startY;
        if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy)) (dx < 0 ? left : right)();
      },
      { passive: true },
    );
  }

  // One photo's page: ← and → follow its previous/next links, Esc goes back to the album.
  if (kind === 'photo') {
    const go = (rel) => {
      const link = document.querySelector(`a[rel=${rel}]`);
      if (link) location.href = link.href;
    };
    document.addEventListener('keydown', (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.target instanceof HTMLInputElement) return;
      if (event.key === 'ArrowLeft') go('prev');
      else if (event.key === 'ArrowRight') go('next');
      else if (event.key === 'Escape') go('up');
    });
    onSwipe(
      main,
      () => go('next'),
      () => go('prev'),
    );
    return;
  }

  // Grids of photos: a tile opens in a lightbox that traps focus and gives it back on close. The
  // lightbox has the photo's own address (history.pushState): it can be copied or shared, a reload
  // opens the photo's page, and Back (a phone's back gesture too) closes the photo, not the album.
  if (kind !== 'album' && kind !== 'shared') return;
  const box = element('div', { class: 'lightbox', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Photo', hidden: '' });
  const image = element('img', { alt: '' });
  const caption = element('p', { class: 'title' });
  const line = element('p', { class: 'line' });
  const count = element('p', { class: 'count', 'aria-live': 'polite' });
  const previous = element('button', { type: 'button', 'aria-label': 'Previous photo' }, ['←']);
  const next = element('button', { type: 'button', 'aria-label': 'Next photo' }, ['→']);
  const download = element('a', { download: '' }, ['Download']);
  const close = element('button', { type: 'button', 'aria-label': 'Close' }, ['Close']);
  box.append(image, caption, line, count, element('div', { class: 'bar' }, [previous, next, download, close]));
  document.body.append(box);
  const total = Number(main.dataset.count);
  let current = null;
  let opener = null;

  const tiles = () => [...main.querySelectorAll('ul.grid a[data-full]')];
  const focusable = () => [previous, next, download, close].filter((control) => !control.hidden);
  /**
   * How wide the photo will show: as wide as the box lets it, or as tall, at its own aspect. The
   * browser picks the rendition from this, so a portrait photo on a wide screen does not fetch
   * the rendition a full-width photo would need.
   */
  function shownWidth(link) {
    const width = Number(link.dataset.width);
    const height = Number(link.dataset.height);
    const style = getComputedStyle(box);
    const room = box.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
    const tallest = Number.parseFloat(getComputedStyle(image).maxHeight);
    if (!(width > 0 && height > 0 && room > 0)) return '100vw';
    const fit = Math.min(room, Number.isFinite(tallest) ? (tallest * width) / height : room, width);
    return `${Math.ceil(fit)}px`;
  }
  function show(link) {
    current = link;
    image.removeAttribute('srcset');
    // The size first: a srcset set before it would start loading for the old one.
    image.sizes = shownWidth(link);
    if (link.dataset.srcset) image.srcset = link.dataset.srcset;
    image.src = link.dataset.full;
    image.alt = link.dataset.alt || '';
    caption.textContent = link.dataset.alt || '';
    line.textContent = link.dataset.line || '';
    line.hidden = !link.dataset.line;
    const at = tiles().indexOf(link) + 1;
    count.textContent = total > 0 ? `${at} of ${total}` : '';
    download.hidden = !link.dataset.download;
    if (link.dataset.download) {
      download.href = link.dataset.download;
      const extension = /\.([a-z0-9]+)(?:\?|$)/i.exec(new URL(link.dataset.download, location.href).pathname)?.[1] ?? 'jpg';
      download.download = `${(link.dataset.title || 'photo').replace(/[\\/:*?"<>|]+/g, '_')}.${extension}`;
    }
  }
  function open(link, remembered) {
    opener = link;
    // Shown before the photo is chosen: its size is measured in the open box.
    box.hidden = false;
    show(link);
    if (!remembered) history.pushState({ lightbox: link.getAttribute('href') }, '', link.href);
    document.body.style.overflow = 'hidden';
    close.focus();
  }
  /** Closes the box where it stands (Back already left the photo's address). */
  function hide() {
    box.hidden = true;
    document.body.style.overflow = '';
    // Focus goes back where it was when the dialog opened.
    opener?.focus();
  }
  /** Closing by hand goes back in history, so the album's address returns and Forward reopens the photo. */
  function shut() {
    if (history.state?.lightbox) history.back();
    else hide();
  }
  function step(by) {
    const all = tiles();
    const at = all.indexOf(current);
    const target = all[at + by];
    if (!target) return;
    show(target);
    opener = target;
    history.replaceState({ lightbox: target.getAttribute('href') }, '', target.href);
  }
  window.addEventListener('popstate', (event) => {
    const wanted = event.state?.lightbox;
    if (wanted) {
      const link = tiles().find((candidate) => candidate.getAttribute('href') === wanted);
      if (link) open(link, true);
    } else if (!box.hidden) hide();
  });
  main.addEventListener('click', (event) => {
    const link = event.target.closest?.('ul.grid a[data-full]');
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    open(link, false);
  });
  previous.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  close.addEventListener('click', shut);
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') shut();
    else if (event.key === 'ArrowLeft') step(-1);
    else if (event.key === 'ArrowRight') step(1);
    else if (event.key === 'Tab') {
      // Focus stays inside the dialog while it is open.
      const controls = focusable();
      const at = controls.indexOf(document.activeElement);
      const to = (at + (event.shiftKey ? -1 : 1) + controls.length) % controls.length;
      controls[to].focus();
      event.preventDefault();
    } else return;
    event.preventDefault();
  });
  onSwipe(
    box,
    () => step(1),
    () => step(-1),
  );
})();
