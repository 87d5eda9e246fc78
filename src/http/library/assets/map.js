// Where the photos were taken: a world map drawn here, with nothing from another origin. The land
// is Natural Earth's 1:110m outlines, which the server turns into one SVG path (world.svg, a
// hashed asset) in plate carrée, one unit a degree, the projection of the server's cluster grid,
// so a cluster's latitude and longitude go on the map with no projection but a scale. Clusters
// (Query.photoClusters) are read for the box in view at the level whose cells are about 50 px
// wide, again after each pan or zoom (debounced, older answers dropped). A cluster is a button:
// a big one zooms in, a small one lists its photos (photos(filter: { area: its cell })) below.
// The map pans across the antimeridian as the world repeats; a box across it is sent as it is.
import { announce, fill, h, photoCount, showError } from './dom.js';
import { pagedList, photoTile } from './tiles.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Cells this many pixels wide, as near as the server's levels allow. */
const CELL_PX = 50;
const MAX_LEVEL = 12;
/** More than this in one cluster, and not yet at the finest level: a click zooms in rather than listing them. */
const MANY = 24;
const REQUERY_MS = 250;

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** The land's path, read once per page from the asset (same origin, cached for a year under its hash). */
let land = null;
function landPath(url) {
  land ??= fetch(url)
    .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`The map could not be read (${response.status})`))))
    .then((text) => new DOMParser().parseFromString(text, 'image/svg+xml').querySelector('path')?.getAttribute('d') ?? '')
    .catch((error) => {
      // Not kept: a failure (offline, a restart) would otherwise stay for the page's life; the next view asks again.
      land = null;
      throw error;
    });
  return land;
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
/** A longitude in -180 … 180. */
const wrap = (lon) => ((((lon + 180) % 360) + 360) % 360) - 180;

/** A cluster's name, on its button and over its list of photos: "3 photos near 43.47, 11.88". */
const clusterLabel = (cluster) => `${photoCount(cluster.count)} near ${cluster.latitude.toFixed(2)}, ${cluster.longitude.toFixed(2)}`;

export function mapView(app, worldMapUrl) {
  const params = new URLSearchParams(location.search);
  /** The view: its centre in degrees and its scale in pixels per degree (0: fit the world once the size is known). */
  let lon = Number(params.get('lon')) || 0;
  let lat = Number(params.get('lat')) || 20;
  let scale = Number(params.get('scale')) || 0;
  let clusters = [];
  let generation = 0;
  let requeryTimer = 0;
  /** The listed cluster's photos (null: none listed). */
  let areaList = null;
  let resize = null;

  const uses = [-360, 0, 360].map((dx) => svg('use', { href: '#world-land', x: dx, class: 'land-copy' }));
  const landLayer = svg('svg', { class: 'land', 'aria-hidden': 'true', preserveAspectRatio: 'none' }, ...uses);
  const clusterLayer = h('div', { class: 'clusters' });
  const surface = h(
    'div',
    {
      class: 'map-surface',
      tabindex: '0',
      role: 'group',
      'aria-roledescription': 'map',
      'aria-label': 'Map of where your photos were taken. Arrow keys move it, + and − zoom.',
    },
    landLayer,
    clusterLayer,
  );
  const zoomIn = h('button', { type: 'button', 'aria-label': 'Zoom in', onclick: () => zoomBy(2) }, '+');
  const zoomOut = h('button', { type: 'button', 'aria-label': 'Zoom out', onclick: () => zoomBy(0.5) }, '−');
  const summary = h('p', { class: 'count', 'aria-live': 'polite' });
  const listed = h('section', { class: 'area-photos', 'aria-labelledby': 'area-heading', hidden: true });

  const size = () => ({ width: surface.clientWidth || 1, height: surface.clientHeight || 1 });
  /** The least scale: the world fills the map both ways. */
  const minScale = () => Math.max(size().width / 360, size().height / 180);
  const maxScale = () => (CELL_PX * 2 ** MAX_LEVEL) / 180;
  /** The level whose cells are about CELL_PX wide (the server answers an odd one with the level below). */
  const level = () => clamp(Math.round(Math.log2((scale * 180) / CELL_PX)), 0, MAX_LEVEL);

  /** Keeps the scale in bounds, the poles from coming into view, and the centre's longitude in -180 … 180. */
  function settle() {
    scale = clamp(scale, minScale(), maxScale());
    const halfHeight = size().height / 2 / scale;
    lat = clamp(lat, -90 + halfHeight, 90 - halfHeight);
    lon = wrap(lon);
  }

  function visible() {
    const { width, height } = size();
    const halfWidth = width / 2 / scale;
    const halfHeight = height / 2 / scale;
    return { west: lon - halfWidth, east: lon + halfWidth, south: lat - halfHeight, north: lat + halfHeight };
  }

  /** The box in view as the API takes it: longitudes in -180 … 180, west above east across the antimeridian. */
  function bbox() {
    const box = visible();
    const south = clamp(box.south, -90, 90);
    const north = clamp(box.north, -90, 90);
    if (box.east - box.west >= 360) return { west: -180, east: 180, south, north };
    const west = wrap(box.west);
    let east = west + (box.east - box.west);
    if (east > 180) east -= 360;
    return { west, east, south, north };
  }

  /** A cluster's button, kept while the cluster is in the answer, so a pan moves it rather than making it again (focus stays). */
  let buttons = new Map();
  const keyOf = (cluster, shift) =>
    [cluster.bounds.west, cluster.bounds.south, cluster.count, cluster.latitude, cluster.longitude, shift].join();

  function clusterButton(cluster, shift) {
    const key = keyOf(cluster, shift);
    let button = buttons.get(key);
    if (button) return button;
    const diameter = Math.round(clamp(28 + 8 * Math.log2(cluster.count), 28, 72));
    const label = clusterLabel(cluster);
    button = h(
      'button',
      { type: 'button', class: 'cluster', 'aria-label': label, title: label, onclick: () => openCluster(cluster) },
      String(cluster.count),
    );
    button.style.width = button.style.height = `${diameter}px`;
    button.dataset.radius = String(diameter / 2);
    buttons.set(key, button);
    return button;
  }

  /** Lays the land and the clusters out for the view as it is now: no request. */
  function draw() {
    settle();
    const box = visible();
    const { width, height } = size();
    landLayer.setAttribute('viewBox', `${box.west + 180} ${90 - box.north} ${width / scale} ${height / scale}`);
    const shown = new Set();
    for (const cluster of clusters) {
      // The world repeats sideways: a cluster shows wherever a copy of its longitude is in view.
      for (const shift of [-360, 0, 360]) {
        const at = cluster.longitude + shift;
        if (at < box.west || at >= box.east) continue;
        const button = clusterButton(cluster, shift);
        const radius = Number(button.dataset.radius);
        const x = (at - box.west) * scale - radius;
        const y = (box.north - cluster.latitude) * scale - radius;
        button.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
        shown.add(button);
        if (button.parentNode !== clusterLayer) clusterLayer.append(button);
      }
    }
    for (const button of [...clusterLayer.children]) if (!shown.has(button)) button.remove();
    zoomIn.disabled = scale >= maxScale();
    zoomOut.disabled = scale <= minScale();
  }

  async function requery() {
    const asked = ++generation;
    const zoom = level();
    try {
      const data = await app.api.run('MapClusters', { bbox: bbox(), zoom });
      if (asked !== generation) return;
      clusters = data.photoClusters;
      // Buttons of cells still in the answer stay; the rest go at the next draw.
      const before = buttons;
      buttons = new Map();
      for (const cluster of clusters)
        for (const shift of [-360, 0, 360]) {
          const kept = before.get(keyOf(cluster, shift));
          if (kept) buttons.set(keyOf(cluster, shift), kept);
        }
      const total = clusters.reduce((sum, cluster) => sum + cluster.count, 0);
      summary.textContent =
        total === 0
          ? 'No geotagged photos in view.'
          : `${photoCount(total)} in view, in ${clusters.length} place${clusters.length === 1 ? '' : 's'}`;
      draw();
    } catch (error) {
      if (asked === generation) showError(error.message);
    }
  }

  /** After each change of the view: drawn at once, asked again once the owner pauses. */
  function changed() {
    draw();
    clearTimeout(requeryTimer);
    requeryTimer = setTimeout(() => {
      history.replaceState(null, '', `/library/map?lat=${lat.toFixed(4)}&lon=${lon.toFixed(4)}&scale=${scale.toPrecision(4)}`);
      requery();
    }, REQUERY_MS);
  }

  /** Zooms by `factor`, keeping the point under (x, y) (default: the centre) where it is. */
  function zoomBy(factor, x = size().width / 2, y = size().height / 2) {
    const before = visible();
    const pointLon = before.west + x / scale;
    const pointLat = before.north - y / scale;
    scale = clamp(scale * factor, minScale(), maxScale());
    lon = pointLon - (x - size().width / 2) / scale;
    lat = pointLat + (y - size().height / 2) / scale;
    changed();
  }

  function openCluster(cluster) {
    if (cluster.count > MANY && level() < MAX_LEVEL) {
      lon = cluster.longitude;
      lat = cluster.latitude;
      // Two levels finer: the cell becomes about four cells.
      scale *= 4;
      announce(`Zoomed in on ${photoCount(cluster.count)}`);
      return changed();
    }
    listPhotos(cluster);
  }

  /** The cluster's photos as the timeline's tiles, page by page, under the map. */
  function listPhotos(cluster) {
    // Another cluster's pages still on their way are dropped: they belong to a list no longer shown.
    areaList?.stop();
    const grid = h('ul', { class: 'grid' });
    const sentinel = h('p', { class: 'sentinel' }, 'Loading…');
    areaList = pagedList({
      sentinel,
      fetchPage: async (after) => (await app.api.run('AreaPhotos', { area: cluster.bounds, after })).photos,
      onPage: (page) => {
        for (const photo of page.nodes) grid.append(photoTile(photo));
        sentinel.textContent = page.pageInfo.hasNextPage ? 'Loading…' : '';
      },
    });
    fill(
      listed,
      h(
        'div',
        { class: 'view-head' },
        h('h2', { id: 'area-heading' }, clusterLabel(cluster)),
        h('button', { type: 'button', onclick: closeList }, 'Close'),
      ),
      grid,
      sentinel,
    );
    listed.hidden = false;
    areaList.restart();
    listed.scrollIntoView({ block: 'nearest' });
  }

  function closeList() {
    areaList?.stop();
    areaList = null;
    listed.hidden = true;
    listed.replaceChildren();
    surface.focus();
  }

  // Dragging moves the map; a drag that started on a cluster still clicks it when it did not move.
  let drag = null;
  surface.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, moved: false, id: event.pointerId };
  });
  surface.addEventListener('pointermove', (event) => {
    if (!drag || drag.id !== event.pointerId) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!drag.moved) surface.setPointerCapture(event.pointerId);
    drag.moved = true;
    drag.x = event.clientX;
    drag.y = event.clientY;
    lon -= dx / scale;
    lat += dy / scale;
    changed();
  });
  let justDragged = false;
  const endDrag = (event) => {
    if (!drag || drag.id !== event.pointerId) return;
    if (drag.moved) {
      // The click that ends a drag is no click on a cluster; it comes before any timer.
      justDragged = true;
      setTimeout(() => {
        justDragged = false;
      });
    }
    drag = null;
  };
  surface.addEventListener(
    'click',
    (event) => {
      if (justDragged) event.stopPropagation();
    },
    { capture: true },
  );
  surface.addEventListener('pointerup', endDrag);
  surface.addEventListener('pointercancel', endDrag);
  surface.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const rect = surface.getBoundingClientRect();
      zoomBy(2 ** clamp(-event.deltaY / 300, -1, 1), event.clientX - rect.left, event.clientY - rect.top);
    },
    { passive: false },
  );
  surface.addEventListener('keydown', (event) => {
    if (event.target !== surface) return;
    const step = 80 / scale;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const zooms = { '+': 2, '=': 2, '-': 0.5, _: 0.5 };
    if (moves[event.key]) {
      lon += moves[event.key][0];
      lat += moves[event.key][1];
      changed();
    } else if (zooms[event.key]) zoomBy(zooms[event.key]);
    else return;
    event.preventDefault();
  });

  const element = h(
    'section',
    { class: 'map-view', 'aria-labelledby': 'map-heading' },
    h('div', { class: 'view-head' }, h('h1', { id: 'map-heading' }, 'Map'), summary),
    h('div', { class: 'map-frame' }, surface, h('div', { class: 'map-zoom', role: 'group', 'aria-label': 'Zoom' }, zoomIn, zoomOut)),
    h('p', { class: 'credit' }, 'Land: Natural Earth (public domain). Places: GeoNames (CC BY 4.0).'),
    listed,
  );

  queueMicrotask(async () => {
    if (!scale) scale = minScale();
    draw();
    requery();
    resize = new ResizeObserver(() => draw());
    resize.observe(surface);
    try {
      const d = await landPath(worldMapUrl);
      landLayer.prepend(svg('defs', {}, svg('path', { id: 'world-land', d, 'vector-effect': 'non-scaling-stroke' })));
    } catch (error) {
      showError(error.message);
    }
  });

  return {
    element,
    title: 'Map',
    onChange(change) {
      // New, moved or removed photos change the counts: read the view again, once.
      if (change === null || change.photos.length > 0 || change.removedPhotoIds.length > 0) {
        clearTimeout(requeryTimer);
        requeryTimer = setTimeout(requery, REQUERY_MS);
      }
    },
    dispose() {
      generation += 1;
      clearTimeout(requeryTimer);
      areaList?.stop();
      resize?.disconnect();
    },
  };
}
