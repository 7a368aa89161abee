// The map page's logic: class schemes, ranked lists, labels, texts and the page's state, read from the HTTP API the
// OGC clients use. No map-library call here: drawing goes through the view of map-maplibre.js or map-leaflet.js
// (CGMapView). A view with `tiled` set (MapLibre) draws buildings, facilities and the network from the vector tiles
// and colours buildings by the tiles' coverage properties; the page then counts them with numberMatched instead of
// loading them, and the modes that need per-building figures (minutes, compare, moves) hand the view a colour per
// building id from the JSON endpoints (the tiles carry ids), applied as feature state.
//
// For automated browser checks the page keeps its state on <div id="status">: data-communities, data-grids,
// data-buildings, data-facilities (features loaded), data-network and data-isochrones (once loaded), data-errors
// (script errors, console.error calls and failed requests, each listed in the element's text), data-ready="true"
// once the main layers, the coverage and the view the address asks for have loaded (with or without errors),
// data-lang, data-crs (the coordinates asked for), data-theme, data-worst (the ranked grid codes), data-classes
// (grid code -> class index, JSON), data-community-classes (the same for the communities in the view's tiles, on tiles
// only), data-focus and data-view (the grid zoomed to and the view's [west, south, east,
// north] then), data-reached (households per contour), data-labels (grid labels shown), data-building-mode and,
// per mode, data-minutes-reached, data-changed, data-moves; data-library (maplibre or leaflet), data-load-ms
// (milliseconds from the start of navigation until the page was ready: the legend filled and, on tiles, the first
// view's tiles drawn), data-tiles-drawn, data-communities-drawn and data-grids-drawn (building, community and grid
// features drawn from tiles then), data-first-draw-ms and
// data-first-drawn (the same for the first time the view stood with its tiles drawn, before the figures had loaded);
// on tiles also data-zoom (the view's zoom then) and, below zoom 12, data-cells-drawn (the cells of merged buildings
// and the buildings on their own drawn), data-cell-households and data-cell-met (their households, and those meeting
// the theme's level), data-cell-sample (up to 200 of them as {cell, households, met, colour}, the colour the map
// gives their fill);
// data-cases (cases loaded),
// data-case and data-case-events (the case whose history is shown, and its number of events).
//
// The address's fragment holds the view (links and selects change it): lang=en, theme=level:15 or
// theme=requirement:15:school, buildings=best|minutes:CATEGORY|compare|moves, compare=A,B (coverage runs),
// run=N (grid run), grid=CODE (zoom to a grid), at=LON,LAT (isochrones from there, as a click draws them),
// case=CODE (a case's history, as a click on it shows it), zoom=Z (on tiles, the first view at that zoom on its centre).
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("config").textContent);
  const statusBox = document.getElementById("status");
  const errorList = document.getElementById("errors");
  const $ = (id) => document.getElementById(id);

  // ---- Class schemes and colours (one definition, shown in the legends) ----
  // Grids: classes of the share of households meeting the chosen level or requirement, at the breaks the server's
  // summary states (/coverage/summary: equal intervals of 20 percentage points), one colour each.
  const shareColours = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"];
  const noHouseholdsColour = "#cfcfcf";
  function shareBreaks() { return (data.coverage && data.coverage.classes && data.coverage.classes.breaks) || []; }
  function shareClass(share) {
    const breaks = shareBreaks();
    let index = 0;
    while (index < breaks.length && share >= breaks[index]) index += 1;
    return index;
  }
  // Buildings: best level met (shortest minutes first), then none met and no result.
  const levelColours = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fdae61"];
  const notMetColour = "#d73027", noResultColour = "#9e9e9e";
  // Walking minutes: up to each level's minutes, then up to 30, then beyond; unreached apart.
  const minuteColours = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"];
  const unreachedColour = "#7b3294";
  const compareColours = { gained: "#1a9641", lost: "#d7191c", gainedAndLost: "#7b3294", unchanged: "#e6e6e6" };
  const movedColour = "#ff7f00", notMovedColour = "#e6e6e6";
  const categoryColours = {
    clinic: "#e41a1c", pharmacy: "#f781bf", school: "#377eb8", kindergarten: "#00a5bb", elderly_care: "#984ea3",
    grocery: "#ff7f00", community_service: "#a65628", rail_station: "#222222", transit_stop: "#b8a000",
  };
  const otherColour = "#777777";
  const contourPalette = ["#08519c", "#3182bd", "#9ecae1", "#c6dbef", "#deebf7"];

  // ---- Texts ----
  let lang = "zh-CN";
  function text(key, values) {
    const table = window.CGI18N[lang];
    let value = key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), table);
    if (value === undefined) value = key;
    return String(value).replace(/\{(\w+)\}/g, (_, name) => (values && values[name] !== undefined ? values[name] : "{" + name + "}"));
  }
  function number(value, digits) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    return Number(value).toLocaleString(lang, { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 });
  }
  function percent(share) { return (share * 100).toFixed(1); }
  function categoryName(category) { return text("categories." + category) === "categories." + category ? category : text("categories." + category); }
  // A requirement's name as the profile labels it ("primary school (小学)"): the Chinese part in Chinese.
  function requirementName(requirement) {
    const label = requirement.label || "";
    const match = /^(.*?)\s*\(([^)]*)\)\s*$/.exec(label);
    if (match) return lang === "zh-CN" ? match[2] : match[1];
    return label || categoryName(requirement.category);
  }
  function escapeHTML(value) {
    return String(value ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
  }
  function swatch(colour) { return '<span class="swatch" style="background:' + colour + '"></span>'; }
  function minutesText(m) { return String(m); }

  // ---- Status for automated checks ----
  const counts = { communities: 0, grids: 0, buildings: 0, facilities: 0 };
  let errorCount = 0;
  function recordError(message) {
    errorCount += 1;
    statusBox.dataset.errors = String(errorCount);
    const item = document.createElement("li");
    item.textContent = message;
    errorList.appendChild(item);
  }
  const consoleError = console.error.bind(console);
  console.error = (...args) => { recordError(args.map(String).join(" ")); consoleError(...args); };
  window.addEventListener("error", (e) => recordError(text("scriptError", { message: e.message || e.type })));
  window.addEventListener("unhandledrejection", (e) => recordError(text("scriptError", { message: (e.reason && e.reason.message) || e.reason })));
  function showCount(layer, n) {
    counts[layer] = n;
    statusBox.dataset[layer] = String(n);
    renderSummary();
  }
  function renderSummary() { $("summary").textContent = text("counts", counts); }

  // ---- Requests ----
  const crs = config.basemap && config.basemap.gcj02 ? "urn:communitygrid:crs:gcj02" : null;
  // priority "low": after the requests the view waits for (the browser opens six connections to the server).
  async function fetchJSON(url, signal, priority) {
    const response = await fetch(url, { headers: { Accept: "application/geo+json, application/json" }, signal, priority: priority || "auto" });
    if (!response.ok) {
      let detail = "";
      try { const body = await response.json(); detail = body.detail || body.message || body.title || ""; } catch (_) {}
      const error = new Error(url + ": HTTP " + response.status + (detail ? " " + detail : ""));
      error.status = response.status;
      error.detail = detail;
      throw error;
    }
    return response.json();
  }
  // Follows rel=next links until the collection is exhausted, handing each page over as it arrives.
  async function loadCollection(url, onPage) {
    let features = [];
    let next = new URL(url + (crs ? (url.includes("?") ? "&" : "?") + "crs=" + encodeURIComponent(crs) : ""), location.href);
    for (let page = 0; next && page < 500; page += 1) {
      const body = await fetchJSON(next);
      const batch = body.features || [];
      features = features.concat(batch);
      onPage(batch, features.length);
      const link = (body.links || []).find((l) => l.rel === "next");
      next = link && batch.length > 0 ? new URL(link.href, next) : null;
    }
    return features;
  }

  // ---- Geometry helpers (plain GeoJSON, no map library) ----
  function extend(box, coordinates) {
    if (typeof coordinates[0] === "number") {
      box[0] = Math.min(box[0], coordinates[0]); box[1] = Math.min(box[1], coordinates[1]);
      box[2] = Math.max(box[2], coordinates[0]); box[3] = Math.max(box[3], coordinates[1]);
    } else for (const part of coordinates) extend(box, part);
    return box;
  }
  function boxOf(features) {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    for (const f of features) if (f.geometry) extend(box, f.geometry.coordinates);
    return box[0] <= box[2] ? box : null;
  }

  // ---- Page state ----
  const data = { communities: [], grids: [], buildings: [], facilities: [], coverage: null, coverageRows: null, coverageRuns: [], gridRuns: [],
                 minutes: null, comparison: null, moves: null, runGrids: [], isochrones: null, cases: [], caseDetail: null,
                 facilityCounts: null };
  const state = { theme: null, buildings: "best", compare: null, run: null, grid: null, at: null, case: null };
  let view = null;

  // data.coverage is the latest run's summary (/coverage/summary: the run, its summary, per theme the classes and
  // the worst grids); a view drawing grids as GeoJSON (Leaflet) also reads every grid's row (/coverage) to shade
  // them, and a tiled view reads each grid's figures from its tile. Coverage rows by grid code are made once per answer.
  let rowsOf = null, rowsByCode = new Map();
  function gridRows() {
    if (rowsOf !== data.coverageRows) {
      rowsByCode = new Map();
      for (const row of (data.coverageRows && data.coverageRows.grids) || []) rowsByCode.set(row.code, row);
      rowsOf = data.coverageRows;
    }
    return rowsByCode;
  }
  // The summary's entry for the theme: its tile properties, class counts and worst grids.
  function summaryTheme(theme) {
    return theme && data.coverage ? (data.coverage.themes || []).find((t) => t.key === theme.key) || null : null;
  }
  // The theme's figure from a grid's tile properties.
  function tileFigure(p, theme) {
    const entry = summaryTheme(theme);
    if (!entry || p[entry.share_property] === undefined) return null;
    const households = p[data.coverage.classes.households_property];
    return { share: p[entry.share_property], covered: p[entry.households_property], households, uncovered: households - p[entry.households_property] };
  }
  function themes() {
    const list = [];
    for (const level of (data.coverage && data.coverage.summary.levels) || []) {
      list.push({ key: "level:" + level.minutes, minutes: level.minutes });
      for (const r of level.requirements || []) list.push({ key: "requirement:" + level.minutes + ":" + r.category, minutes: level.minutes, requirement: r });
    }
    return list;
  }
  function themeFigure(row, theme) {
    if (!row || !theme) return null;
    const level = (row.levels || []).find((l) => l.minutes === theme.minutes);
    if (!level) return null;
    const item = theme.requirement ? (level.requirements || []).find((r) => r.category === theme.requirement.category) : level;
    if (!item) return null;
    return { share: item.share, covered: item.households_covered, households: row.households, uncovered: row.households - item.households_covered };
  }
  function currentTheme() { return themes().find((t) => t.key === state.theme) || null; }
  function missingCategories() {
    const summary = data.coverage && data.coverage.summary;
    const missing = new Set((data.coverage && data.coverage.categories_without_facilities) || []);
    if (summary && summary.facilities_placed) for (const [c, n] of Object.entries(summary.facilities_placed)) if (n === 0) missing.add(c);
    return missing;
  }
  function themeName(theme) {
    if (!theme.requirement) return text("themeLevel", { minutes: minutesText(theme.minutes) });
    const name = text("themeRequirement", { minutes: minutesText(theme.minutes), category: requirementName(theme.requirement), limit: number(theme.requirement.limit_m) });
    return missingCategories().has(theme.requirement.category) ? name + " — " + text("noFacility") : name;
  }
  // Grids ranked worst first (lowest share, then most households not covered, then code; none without households):
  // the summary's ten, ranked by the server.
  function rankedGrids() {
    const entry = summaryTheme(currentTheme());
    return ((entry && entry.grids.worst) || []).map((g) => ({ code: g.code, name: g.name || "", share: g.share, uncovered: g.uncovered }));
  }
  function gridClass(code) {
    const figure = themeFigure(gridRows().get(code), currentTheme());
    if (!figure || figure.households <= 0) return null;
    return shareClass(figure.share);
  }
  // A tiled grid's or community's class from its tile properties (the same figures /coverage gives, the same classes).
  function tileAreaClass(p) {
    const figure = tileFigure(p, currentTheme());
    if (!figure || !(figure.households > 0)) return null;
    return shareClass(figure.share);
  }

  // ---- Styles and tooltips handed to the view ----
  function gridStyle(f) {
    const cls = data.coverage ? gridClass(f.properties.code) : null;
    const focused = state.grid === f.properties.code;
    // Fainter under the before/after views, whose building colours carry the figures.
    const faint = modeKind() === "compare" || modeKind() === "moves";
    return { stroke: focused ? "#000000" : "#6a4c93", weight: focused ? 3 : 1.5, dash: focused ? null : "4 3",
             fill: data.coverage ? (cls === null ? noHouseholdsColour : shareColours[cls]) : "#6a4c93",
             fillOpacity: data.coverage ? (faint ? 0.2 : 0.55) : 0.03 };
  }
  // A tiled view's grid shading: the theme's share property on the tiles, in the classes' colours.
  function gridAreaStyle() {
    const entry = summaryTheme(currentTheme());
    const faint = modeKind() === "compare" || modeKind() === "moves";
    return { stroke: "#6a4c93", weight: 1.5, dash: [4, 3], focus: state.grid, focusStroke: "#000000", focusWeight: 3,
             shares: entry ? { property: entry.share_property, households: data.coverage.classes.households_property, breaks: shareBreaks(),
                               colours: shareColours, none: noHouseholdsColour } : null,
             fill: "#6a4c93", fillOpacity: entry ? (faint ? 0.2 : 0.55) : 0.03 };
  }
  // Grids are drawn from zoom 12, the first zoom whose tiles hold them (below it a city's grids are a few pixels each);
  // below it the communities are shaded by the same theme, from their own figures.
  const gridsFromZoom = 12;
  // Buildings are drawn one by one from zoom 13, where every tile carries each building's coverage; below it the tiles
  // merge buildings under a cell (16 pixels) into cells that carry sums, which the building legend's colours do not
  // describe. Below gridsFromZoom the cells, and the large buildings drawn on their own, are shaded by the share of
  // their households meeting the theme, as areas are (cellStyle), under the communities; from it the grids, shaded
  // the same way, stand for them: a city's first view (zoom 12) then asks for no building tile, which needs the
  // buildings' point index the server reads after start (the first page after a start took 11 s instead of 2.7 s on
  // the 1 M-building city with cells at zoom 12). Facilities are drawn from zoom 13: a
  // low-zoom tile of a city holds tens of thousands of them (37,000 in one zoom-9 tile of the 1 M-building city), more
  // icons than MapLibre's symbol layer takes in one tile (32,768: past it every frame throws and the map never
  // finishes drawing).
  const buildingsFromZoom = 13;
  const facilitiesFromZoom = 13;
  const cellsBelowZoom = gridsFromZoom;
  // Cells below cellsBelowZoom: the theme's share from a cell's sums (its households meeting the level or the
  // requirement, the summary theme's cell_property, of its households). A building drawn on its own is a cell of
  // one: for a level its levels met say whether its households count, for a requirement it carries the figure itself.
  const cellColour = "#8d99ae";
  function cellStyle() {
    const theme = currentTheme();
    if (!theme || !summaryTheme(theme)) return { fill: cellColour, fillOpacity: 0.35, shares: null };
    return { fillOpacity: 0.8, shares: { cellProperty: "buildings", households: "households", met: cellMetProperty(theme),
                                         levels: theme.requirement ? null : "coverage_levels_met", minutes: minutesText(theme.minutes),
                                         breaks: shareBreaks(), colours: shareColours, none: noHouseholdsColour } };
  }
  function cellMetProperty(theme) { return summaryTheme(theme).cell_property; }
  // A cell's households and those meeting the theme (a building drawn on its own: all of them or none).
  function cellFigures(p) {
    const theme = currentTheme();
    const households = Number(p.households) || 0;
    if (!theme || !summaryTheme(theme)) return { cell: p.buildings !== undefined, households, met: null };
    const met = p.buildings !== undefined || theme.requirement ? (p[cellMetProperty(theme)] ?? null)
      : p.coverage_levels_met === undefined ? null : String(p.coverage_levels_met).split(",").includes(minutesText(theme.minutes)) ? households : 0;
    return { cell: p.buildings !== undefined, households, met: met === null ? null : Number(met) };
  }
  function cellTooltip(f) {
    const p = f.properties;
    if (p.buildings === undefined) return buildingTooltip(f);
    const figure = cellFigures(p);
    let html = "<b>" + text("cellTitle", { n: number(p.buildings) }) + "</b><br>" + text("tooltipHouseholds") + "：" + number(figure.households);
    if (figure.met !== null && figure.households > 0) {
      html += "<br>" + text("tooltipShare") + "：" + percent(figure.met / figure.households) + " %<br>" + text("tooltipUncovered") + "：" + number(figure.households - figure.met);
    }
    return html;
  }
  function communityAreaStyle() {
    const entry = summaryTheme(currentTheme());
    if (!entry) return { stroke: "#2f3e46", weight: 3, fill: "#2f3e46", fillOpacity: 0.02, shares: null };
    // Lighter than the grids' shading: below gridsFromZoom it lies over the cells, whose own shares show through; the
    // outline thin where a community is a few pixels across.
    return { stroke: "#2f3e46", weight: ["interpolate", ["linear"], ["zoom"], 9, 0.5, 12, 3], fill: "#2f3e46", fillOpacity: 0.35,
             fadeFromZoom: gridsFromZoom, fadedOpacity: 0.02,
             shares: { property: entry.share_property, households: data.coverage.classes.households_property, breaks: shareBreaks(),
                       colours: shareColours, none: noHouseholdsColour } };
  }
  function gridTooltip(f) {
    const p = f.properties;
    const figure = view.tiled ? tileFigure(p, currentTheme()) : themeFigure(gridRows().get(p.code), currentTheme());
    let html = "<b>" + escapeHTML(p.name || "") + "</b><br>" + text("tooltipGrid") + " " + escapeHTML(p.code);
    if (figure) {
      html += "<br>" + text("tooltipShare") + "：" + percent(figure.share) + " %<br>" + text("tooltipHouseholds") + "：" + number(figure.households) +
        "<br>" + text("tooltipUncovered") + "：" + number(figure.uncovered);
    }
    return html;
  }
  // A grid's label: its name and code, placed at the middle of the widest stretch across the polygon (a scan line
  // at a few heights), so it lies inside even an L-shaped grid; the view shows it only where that stretch holds it.
  function gridLabel(f) {
    const place = labelPlacement(f);
    return place ? { text: (f.properties.name || "") + "\n" + f.properties.code, ...place } : null;
  }
  function labelPlacement(f) {
    const box = boxOf([f]);
    if (!box || !f.geometry) return null;
    const polygons = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.type === "MultiPolygon" ? f.geometry.coordinates : [];
    const rings = polygons.flat();
    let best = null;
    for (const fraction of [0.5, 0.35, 0.65, 0.2, 0.8]) {
      const lat = box[1] + (box[3] - box[1]) * fraction;
      const crossings = [];
      for (const ring of rings) {
        for (let i = 0; i + 1 < ring.length; i += 1) {
          const [x1, y1] = ring[i], [x2, y2] = ring[i + 1];
          if ((y1 <= lat) !== (y2 <= lat)) crossings.push(x1 + (lat - y1) / (y2 - y1) * (x2 - x1));
        }
      }
      crossings.sort((a, b) => a - b);
      for (let i = 0; i + 1 < crossings.length; i += 2) {
        const width = crossings[i + 1] - crossings[i];
        if (!best || width > best.east - best.west) best = { lon: (crossings[i] + crossings[i + 1]) / 2, lat, west: crossings[i], east: crossings[i + 1], south: box[1], north: box[3] };
      }
    }
    return best;
  }
  function bestLevel(p) {
    if (p.coverage_met === null || p.coverage_met === undefined) return null;
    const met = String(p.coverage_levels_met || "").split(",").filter((s) => s !== "").map(Number).filter(Number.isFinite);
    return met.length ? Math.min(...met) : Infinity;
  }
  function minuteClass(minutes) {
    const bounds = config.minutes.concat([30]);
    for (let i = 0; i < bounds.length; i += 1) if (minutes <= bounds[i]) return Math.min(i, minuteColours.length - 2);
    return minuteColours.length - 1;
  }
  function buildingColour(f) {
    const p = f.properties;
    switch (modeKind()) {
      case "minutes": {
        if (!data.minutes || p.coverage_run !== data.minutes.run) return noResultColour;
        const m = data.minutes.byBuilding.get(f.id);
        if (m !== undefined) return minuteColours[minuteClass(m.minutes)];
        return data.minutes.unreached.has(f.id) ? unreachedColour : noResultColour;
      }
      case "compare": {
        const change = data.comparison && data.comparison.byBuilding.get(f.id);
        if (!change) return compareColours.unchanged;
        return change.gained.length && change.lost.length ? compareColours.gainedAndLost : change.gained.length ? compareColours.gained : compareColours.lost;
      }
      case "moves":
        return data.moves && data.moves.byBuilding.has(f.id) ? movedColour : notMovedColour;
      default: {
        const best = bestLevel(p);
        if (best === null) return noResultColour;
        if (best === Infinity) return notMetColour;
        const index = config.minutes.indexOf(best);
        return levelColours[Math.max(0, Math.min(index, levelColours.length - 1))];
      }
    }
  }
  function buildingStyle(f) {
    const colour = buildingColour(f);
    return { stroke: colour, weight: 0.6, fill: colour, fillOpacity: 0.75 };
  }
  // The best-level colours as rules on the tiles' properties (the same rule as bestLevel): no coverage_met → no
  // result; else the first of the profile's minutes listed in coverage_levels_met; else none met.
  function buildingTileRules() {
    return { missing: { property: "coverage_met", colour: noResultColour },
             tokens: { property: "coverage_levels_met", items: config.minutes.map((m, i) => [String(m), levelColours[Math.min(i, levelColours.length - 1)]]) },
             otherwise: notMetColour };
  }
  // For a tiled view: the colour of each building the mode names, by id, and the colour of the others; null colours
  // for the best level, which the tiles' own properties give.
  function buildingColourMap() {
    switch (modeKind()) {
      case "minutes": {
        const colours = new Map();
        if (data.minutes) {
          for (const [id, b] of data.minutes.byBuilding) colours.set(id, minuteColours[minuteClass(b.minutes)]);
          for (const id of data.minutes.unreached) colours.set(id, unreachedColour);
        }
        return { key: "minutes:" + (data.minutes ? data.minutes.category + ":" + data.minutes.run : ""), colours, fallback: noResultColour };
      }
      case "compare": {
        const colours = new Map();
        for (const [id, change] of (data.comparison && data.comparison.byBuilding) || []) {
          colours.set(id, change.gained.length && change.lost.length ? compareColours.gainedAndLost : change.gained.length ? compareColours.gained : compareColours.lost);
        }
        return { key: "compare:" + (data.comparison ? data.comparison.key : ""), colours, fallback: compareColours.unchanged };
      }
      case "moves": {
        const colours = new Map();
        for (const id of (data.moves && data.moves.byBuilding.keys()) || []) colours.set(id, movedColour);
        return { key: "moves:" + (data.moves ? data.moves.run : ""), colours, fallback: notMovedColour };
      }
      default:
        return { key: "best", colours: null, fallback: null };
    }
  }
  function restyleBuildings() {
    if (!view.tiled) { view.restyle("buildings"); return; }
    const map = buildingColourMap();
    view.colourFeatures("buildings", map.key, map.colours, map.fallback);
  }
  function changeText(items) {
    return items.length ? items.map((c) => text("compareRequirement", { minutes: c.minutes, category: c.category ? categoryName(c.category) : "" })
      .replace(/ · $/, "")).join(text("listSeparator")) : text("none");
  }
  function buildingTooltip(f) {
    const p = f.properties;
    let html = (p.name ? "<b>" + escapeHTML(p.name) + "</b><br>" : "") + text("tooltipHouseholds") + "：" + escapeHTML(p.households ?? "?") +
      "<br>" + text("tooltipGrid") + "：" + escapeHTML(p.grid_code ?? "—");
    const best = bestLevel(p);
    html += "<br>" + text("tooltipLevels") + "：" + (best === null ? text("noResult") : best === Infinity ? text("noLevelMet")
      : String(p.coverage_levels_met).split(",").map((m) => text("minutesUnit", { minutes: m })).join(text("listSeparator")));
    const kind = modeKind();
    if (kind === "minutes" && data.minutes) {
      const m = data.minutes.byBuilding.get(f.id);
      html += "<br>" + text("tooltipMinutes") + "（" + escapeHTML(categoryName(data.minutes.category)) + "）：" +
        (m ? number(m.minutes, 1) : data.minutes.unreached.has(f.id) ? text("unreached") : text("noResult"));
    }
    if (kind === "compare" && data.comparison) {
      const change = data.comparison.byBuilding.get(f.id);
      html += "<br>" + (change ? text("tooltipChanges", { gained: changeText(change.gained), lost: changeText(change.lost) }) : text("unchanged"));
    }
    if (kind === "moves" && data.moves) {
      const move = data.moves.byBuilding.get(f.id);
      html += "<br>" + (move ? text("tooltipMove", { from: escapeHTML(move.from), to: escapeHTML(move.to) }) : text("notMoved"));
    }
    return html;
  }
  function facilityIcon(f) {
    const category = f.properties.category;
    const glyph = text("categoryIcons." + category);
    const colour = categoryColours[category] || otherColour;
    const shown = glyph.startsWith("categoryIcons.") ? "?" : glyph;
    return { html: '<span class="facility-icon" style="background:' + colour + '">' + escapeHTML(shown) + "</span>", glyph: shown, colour, shape: "circle" };
  }
  // Cases: the fill is the running step's deadline light, the character the state.
  const lightColours = { green: "#1a9641", yellow: "#f2c200", red: "#d7191c", none: "#9e9e9e" };
  const caseStates = ["registered", "dispatched", "handling", "handled", "checking", "returned", "suspended", "closed", "void"];
  function caseLight(p) { return p.light && lightColours[p.light] ? p.light : "none"; }
  function caseGlyph(state) {
    const name = text("caseStates." + state);
    return lang === "zh-CN" ? [...name][0] : name.slice(0, 1).toUpperCase();
  }
  function caseIcon(f) {
    const colour = lightColours[caseLight(f.properties)];
    const glyph = caseGlyph(f.properties.state);
    return { html: '<span class="case-icon" style="background:' + colour + '" data-case="' + escapeHTML(f.properties.code) + '">' + escapeHTML(glyph) + "</span>",
             glyph, colour, shape: "square" };
  }
  function caseTooltip(f) {
    const p = f.properties;
    return "<b>" + escapeHTML(text("caseTitle", { code: p.code })) + "</b><br>" + escapeHTML(p.description || "") + "<br>" +
      escapeHTML(text("caseFacts", { category: p.category, state: text("caseStates." + p.state), grid: p.grid_code || "—" })) + "<br>" +
      escapeHTML(text("caseLights." + caseLight(p)));
  }
  function facilityTooltip(f) {
    return escapeHTML(f.properties.name || text("unnamed")) + "<br>" + escapeHTML(categoryName(f.properties.category));
  }
  function communityTooltip(f) {
    return escapeHTML(f.properties.name || "") + "<br>" + text("tooltipCommunity") + " " + escapeHTML(f.properties.code);
  }
  const contourColour = (m) => contourPalette[Math.max(0, Math.min(config.minutes.indexOf(m) < 0 ? contourPalette.length - 1 : config.minutes.indexOf(m), contourPalette.length - 1))];

  // ---- Panels ----
  function modeKind() { return state.buildings.split(":")[0]; }
  function hrefWith(changes) {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined) params.delete(key); else params.set(key, value);
    }
    return "#" + params.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
  }
  function setHash(changes) { location.hash = hrefWith(changes); }

  function renderStaticTexts() {
    document.documentElement.lang = lang;
    document.title = text("title") + " · CommunityGrid";
    $("title").textContent = text("title");
    $("header").textContent = text("header", { minutes: config.minutes.join(text("listSeparator")), profile: config.profile, speed: config.speed });
    const toggle = $("lang-toggle");
    toggle.textContent = text("langToggle");
    toggle.lang = lang === "zh-CN" ? "en" : "zh-CN";
    toggle.setAttribute("href", hrefWith({ lang: lang === "zh-CN" ? "en" : null }));
    // The other library's page, at the same view.
    const library = $("lib-toggle");
    const other = (library.dataset.base ??= library.getAttribute("href") || "");
    library.hidden = !other;
    if (other) {
      library.textContent = text("libToggle." + (config.library === "maplibre" ? "leaflet" : "maplibre"));
      library.setAttribute("href", other + location.hash);
    }
    statusBox.dataset.library = config.library || "leaflet";
    $("panel").setAttribute("aria-label", text("panel"));
    $("map").setAttribute("aria-label", text("mapRegion"));
    $("theme-heading").textContent = text("themeHeading");
    $("worst-heading").textContent = text("worstHeading");
    $("buildings-heading").textContent = text("buildingsHeading");
    $("facilities-heading").textContent = text("facilitiesHeading");
    // Which zooms draw buildings and facilities from tiles (a tiled view only; Leaflet draws every feature).
    const tiled = Boolean(view && view.tiled);
    $("building-zoom-note").hidden = !tiled;
    $("building-zoom-note").textContent = tiled ? text("buildingsFromZoom", { zoom: buildingsFromZoom }) + " " +
      text("cellsShared", { zoom: cellsBelowZoom }) : "";
    $("facility-zoom-note").hidden = !tiled;
    $("facility-zoom-note").textContent = tiled ? text("facilitiesFromZoom", { zoom: facilitiesFromZoom }) : "";
    $("isochrone-heading").textContent = text("isochroneHeading");
    $("cases-heading").textContent = text("casesHeading");
    $("compare-a-label").textContent = text("compareBefore");
    $("compare-b-label").textContent = text("compareAfter");
    $("run-label").textContent = text("layers.runGrids");
    statusBox.dataset.lang = lang;
    statusBox.dataset.crs = crs || "CRS84";
    renderSummary();
  }

  function renderTheme() {
    const select = $("theme");
    const list = themes();
    select.innerHTML = list.map((t) => '<option value="' + escapeHTML(t.key) + '"' + (t.key === state.theme ? " selected" : "") + ">" + escapeHTML(themeName(t)) + "</option>").join("");
    select.disabled = list.length === 0;
    const classes = $("classes");
    if (!data.coverage) {
      classes.innerHTML = "";
      $("scheme").textContent = "";
      $("coverage-note").textContent = text("noRun");
      statusBox.dataset.classes = "{}";
      return;
    }
    // The legend's counts are the summary's: every stored grid, not only those in view.
    const entry = summaryTheme(currentTheme());
    const perClass = (entry && entry.grids.classes) || new Array(shareColours.length).fill(0);
    const noHouseholds = entry ? entry.grids.no_households : 0;
    const edges = [0].concat(shareBreaks(), [1]);
    classes.innerHTML = shareColours.map((colour, i) => '<li data-class="' + i + '" data-count="' + perClass[i] + '">' + swatch(colour) +
      text("classRange", { from: Math.round(edges[i] * 100), to: Math.round(edges[i + 1] * 100) }) + "（" + text("classCount", { n: perClass[i] }) + "）</li>").reverse().join("") +
      '<li data-class="none" data-count="' + noHouseholds + '">' + swatch(noHouseholdsColour) + text("noHouseholds") + "（" + text("classCount", { n: noHouseholds }) + "）</li>";
    $("scheme").textContent = text("scheme");
    const run = data.coverage.run || {};
    $("coverage-note").textContent = text("runNote", { id: run.id, date: String(run.created_at || "").slice(0, 10), profile: run.profile }) +
      (data.coverage.stale ? " " + text("staleRun", { id: run.id, layers: (data.coverage.changed_since || []).join(text("listSeparator")) }) : "");
    statusBox.dataset.theme = state.theme || "";
    renderShownClasses();
  }

  // data-classes: each grid's class as drawn. GeoJSON grids: every grid, from its /coverage row; tiled grids: those
  // in the view's tiles, from their tile properties.
  function renderShownClasses() {
    const byGrid = {};
    if (view && view.tiled) {
      for (const p of view.tileFeatures("grids")) byGrid[p.code] = tileAreaClass(p);
      const byCommunity = {};
      for (const p of view.tileFeatures("communities")) byCommunity[p.code] = tileAreaClass(p);
      statusBox.dataset.communityClasses = JSON.stringify(byCommunity);
    } else {
      for (const f of data.grids) byGrid[f.properties.code] = gridClass(f.properties.code);
    }
    statusBox.dataset.classes = JSON.stringify(byGrid);
  }

  function renderWorst() {
    const list = rankedGrids().slice(0, 10);
    $("worst").innerHTML = list.length ? list.map((g) => '<li data-code="' + escapeHTML(g.code) + '"' + (g.code === state.grid ? ' class="focused"' : "") +
      '><a href="' + escapeHTML(hrefWith({ grid: g.code })) + '">' + escapeHTML(g.name || g.code) + " <small>" + escapeHTML(g.code) + '</small></a><br><span class="share">' +
      text("worstItem", { share: percent(g.share), uncovered: number(g.uncovered) }) + "</span></li>").join("")
      : (data.coverage ? "<li>" + text("worstNone") + "</li>" : "");
    statusBox.dataset.worst = list.map((g) => g.code).join(",");
  }

  function renderBuildingControls() {
    const select = $("building-mode");
    const profileCategories = [];
    for (const level of (data.coverage && data.coverage.summary.levels) || []) for (const r of level.requirements || []) if (!profileCategories.includes(r.category)) profileCategories.push(r.category);
    const missing = missingCategories();
    const options = [["best", text("modeBest")]]
      .concat(profileCategories.map((c) => ["minutes:" + c, text("modeMinutes", { category: categoryName(c) }) + (missing.has(c) ? " — " + text("noFacility") : "")]))
      .concat([["compare", text("modeCompare")], ["moves", text("modeMoves")]]);
    select.innerHTML = options.map(([value, label]) => '<option value="' + escapeHTML(value) + '"' + (value === state.buildings ? " selected" : "") + ">" + escapeHTML(label) + "</option>").join("");
    const runOptions = data.coverageRuns.map((r) => '<option value="' + r.id + '">' + escapeHTML(text("runOption", { id: r.id, date: String(r.created_at || "").slice(0, 10), profile: r.profile })) + "</option>").join("");
    $("compare-a").innerHTML = runOptions;
    $("compare-b").innerHTML = runOptions;
    if (state.compare) { $("compare-a").value = String(state.compare[0]); $("compare-b").value = String(state.compare[1]); }
    $("compare-choice").hidden = modeKind() !== "compare";
    $("grid-run").innerHTML = data.gridRuns.map((r) => '<option value="' + r.id + '">' + escapeHTML(text("gridRunOption", { id: r.id, status: text("runStatus." + r.status) })) + "</option>").join("");
    if (state.run) $("grid-run").value = String(state.run);
    $("run-choice").hidden = modeKind() !== "moves";
    statusBox.dataset.buildingMode = state.buildings;
  }

  function renderBuildingLegend() {
    const legend = $("building-legend");
    const summary = $("building-summary");
    summary.innerHTML = "";
    switch (modeKind()) {
      case "minutes": {
        const bounds = config.minutes.concat([30]);
        const rows = bounds.slice(0, minuteColours.length - 1).map((m, i) => swatch(minuteColours[i]) + text("minutesUpTo", { minutes: m }));
        rows.push(swatch(minuteColours[minuteColours.length - 1]) + text("minutesOver", { minutes: bounds[Math.min(bounds.length, minuteColours.length - 1) - 1] }));
        rows.push(swatch(unreachedColour) + text("unreached"), swatch(noResultColour) + text("noResult"));
        legend.innerHTML = rows.map((r) => "<li>" + r + "</li>").join("");
        if (data.minutes) {
          summary.textContent = text("minutesSummary", { reached: number(data.minutes.byBuilding.size), unreached: number(data.minutes.unreached.size), run: data.minutes.run, speed: data.minutes.speed });
        }
        break;
      }
      case "compare": {
        legend.innerHTML = [["gained", "gained"], ["lost", "lost"], ["gainedAndLost", "gainedAndLost"], ["unchanged", "unchanged"]]
          .map(([colour, key]) => "<li>" + swatch(compareColours[colour]) + text(key) + "</li>").join("");
        if (data.coverageRuns.length < 2) summary.textContent = text("compareNeedsTwo");
        else if (data.comparison) {
          const rows = data.comparison.total.map((t) => '<tr data-minutes="' + t.minutes + '" data-category="' + escapeHTML(t.category || "") + '"><td>' +
            escapeHTML(t.category ? text("compareRequirement", { minutes: t.minutes, category: categoryName(t.category) }) : text("compareLevel", { minutes: t.minutes })) +
            '</td><td class="gained">' + number(t.households_gained) + '</td><td class="lost">' + number(t.households_lost) + "</td></tr>").join("");
          summary.innerHTML = "<p>" + escapeHTML(text("compareSummary", { n: number(data.comparison.byBuilding.size) })) + '</p><table class="figures" id="compare-table"><thead><tr><th>' +
            text("columnItem") + "</th><th>" + text("columnGained") + "</th><th>" + text("columnLost") + "</th></tr></thead><tbody>" + rows + "</tbody></table>";
        }
        break;
      }
      case "moves": {
        legend.innerHTML = "<li>" + swatch(movedColour) + text("moved") + "</li><li>" + swatch(notMovedColour) + text("notMoved") + "</li>" +
          '<li><span class="swatch" style="background:#fff;border:2px dashed #08306b"></span>' + text("layers.runGrids") + "</li>";
        if (!data.gridRuns.length) summary.textContent = text("noGridRuns");
        else if (data.moves) {
          const rows = data.moves.list.slice(0, 50).map((m) => '<tr data-building="' + m.building + '"><td>' + escapeHTML(m.name || m.source_id || m.building) + "</td><td>" +
            escapeHTML(m.from) + "</td><td>" + escapeHTML(m.to) + "</td><td>" + number(m.households) + "</td></tr>").join("");
          summary.innerHTML = "<p>" + escapeHTML(text("movesSummary", { buildings: number(data.moves.buildings), households: number(data.moves.households) })) +
            '</p><table class="figures" id="moves-table"><thead><tr><th>' + text("columnBuilding") + "</th><th>" + text("columnFrom") + "</th><th>" + text("columnTo") +
            "</th><th>" + text("columnHouseholds") + "</th></tr></thead><tbody>" + rows + "</tbody></table>";
        }
        break;
      }
      default:
        legend.innerHTML = config.minutes.map((m, i) => "<li>" + swatch(levelColours[Math.min(i, levelColours.length - 1)]) + text("bestLevel", { minutes: m }) + "</li>").join("") +
          "<li>" + swatch(notMetColour) + text("noLevelMet") + "</li><li>" + swatch(noResultColour) + text("noResult") + "</li>";
    }
  }

  function renderFacilityLegend(failed) {
    const legend = $("facility-legend");
    if (failed) { legend.innerHTML = "<li>" + text("notLoaded") + "</li>"; return; }
    const perCategory = new Map(data.facilityCounts || []);
    if (!data.facilityCounts) for (const f of data.facilities) perCategory.set(f.properties.category, (perCategory.get(f.properties.category) || 0) + 1);
    // Every category the coverage looks for is listed, with none found shown as such.
    const categories = new Set(perCategory.keys());
    for (const level of (data.coverage && data.coverage.summary.levels) || []) for (const r of level.requirements || []) categories.add(r.category);
    for (const c of missingCategories()) categories.add(c);
    const order = Object.keys(categoryColours);
    const sorted = [...categories].sort((a, b) => ((order.indexOf(a) + 1) || 99) - ((order.indexOf(b) + 1) || 99) || (a < b ? -1 : 1));
    legend.innerHTML = sorted.map((c) => {
      const n = perCategory.get(c) || 0;
      const icon = facilityIcon({ properties: { category: c } }).html;
      return '<li data-category="' + escapeHTML(c) + '" data-count="' + n + '"' + (n === 0 ? ' class="missing"' : "") + ">" + icon + escapeHTML(categoryName(c)) + "（" +
        (n === 0 ? text("noFacility") : text("facilityCount", { n: number(n) })) + "）</li>";
    }).join("") || "<li>" + text("none") + "</li>";
  }

  function renderReached() {
    const list = $("reached");
    if (!data.isochrones) { list.innerHTML = ""; return; }
    list.innerHTML = data.isochrones.slice().sort((a, b) => a.properties.minutes - b.properties.minutes).map((f) => '<li data-minutes="' + f.properties.minutes +
      '" data-households="' + f.properties.households + '">' + swatch(contourColour(f.properties.minutes)) +
      text("contour", { minutes: f.properties.minutes, households: number(f.properties.households), buildings: number(f.properties.buildings) }) + "</li>").join("");
  }

  function renderCases() {
    const list = $("case-legend");
    statusBox.dataset.cases = String(data.cases.length);
    if (crs) { list.innerHTML = "<li>" + escapeHTML(text("casesGCJ02")) + "</li>"; $("case-detail").innerHTML = ""; return; }
    if (!data.cases.length) { list.innerHTML = "<li>" + escapeHTML(text("casesNone")) + "</li>"; renderCaseDetail(); return; }
    const byState = new Map(), byLight = new Map();
    for (const f of data.cases) {
      byState.set(f.properties.state, (byState.get(f.properties.state) || 0) + 1);
      const light = caseLight(f.properties);
      byLight.set(light, (byLight.get(light) || 0) + 1);
    }
    const states = caseStates.filter((s) => byState.has(s)).concat([...byState.keys()].filter((s) => !caseStates.includes(s)));
    list.innerHTML = '<li class="sub">' + escapeHTML(text("casesByState")) + "</li>" + states.map((s) => '<li data-state="' + escapeHTML(s) + '" data-count="' + byState.get(s) + '">' +
      '<span class="case-icon" style="background:#fff;color:#222">' + escapeHTML(caseGlyph(s)) + "</span>" + escapeHTML(text("caseStates." + s)) + "（" + text("caseCount", { n: byState.get(s) }) + "）</li>").join("") +
      '<li class="sub">' + escapeHTML(text("casesByLight")) + "</li>" + ["green", "yellow", "red", "none"].filter((l) => byLight.has(l)).map((l) => '<li data-light="' + l + '" data-count="' + byLight.get(l) + '">' +
      swatch(lightColours[l]) + escapeHTML(text("caseLights." + l)) + "（" + text("caseCount", { n: byLight.get(l) }) + "）</li>").join("");
    renderCaseDetail();
  }

  function renderCaseDetail() {
    const box = $("case-detail");
    const detail = data.caseDetail;
    if (!state.case) { box.innerHTML = ""; statusBox.dataset.case = ""; return; }
    if (!detail || detail.id !== state.case) { box.textContent = text("caseLoading"); return; }
    const p = detail.properties;
    const events = p.events || [];
    const rows = events.map((e) => '<tr data-action="' + escapeHTML(e.action) + '" data-to="' + escapeHTML(e.to) + '"><td>' + escapeHTML(String(e.at || "").replace("T", " ").slice(0, 16)) +
      "</td><td>" + escapeHTML(lang === "zh-CN" && e.action_zh ? e.action_zh : e.action) + "</td><td>" + escapeHTML(e.from ? text("caseStates." + e.from) + " → " : "") +
      escapeHTML(text("caseStates." + e.to)) + "</td><td>" + escapeHTML(e.actor || "") + "</td><td>" + escapeHTML(e.note || "") + "</td></tr>").join("");
    box.innerHTML = "<h3>" + escapeHTML(text("caseTitle", { code: p.code })) + "</h3><p>" + escapeHTML(p.description || "") + "</p><p>" +
      escapeHTML(text("caseFacts", { category: p.category, state: text("caseStates." + p.state), grid: p.grid_code || "—" })) + "<br>" +
      swatch(lightColours[caseLight(p)]) + escapeHTML(text("caseLights." + caseLight(p))) + (p.step_deadline ? "，" + escapeHTML(text("caseDeadline", { deadline: String(p.step_deadline).replace("T", " ").slice(0, 16) })) : "") +
      '</p><table class="figures" id="case-events"><caption>' + escapeHTML(text("caseHistory")) + "</caption><thead><tr><th>" + text("columnTime") + "</th><th>" + text("columnAction") + "</th><th>" +
      text("columnStates") + "</th><th>" + text("columnActor") + "</th><th>" + text("columnNote") + "</th></tr></thead><tbody>" + rows + "</tbody></table>";
    statusBox.dataset.case = p.code;
    statusBox.dataset.caseEvents = String(events.length);
  }

  async function loadCases() {
    // Case points are WGS84 only (the collection takes no crs): over a GCJ-02 base map they would sit off their place.
    if (crs) { data.cases = []; return; }
    try {
      const body = await fetchJSON("/collections/cases/items?limit=10000");
      data.cases = body.features || [];
    } catch (error) {
      recordError(text("layerError", { layer: text("layers.cases"), message: error.message }));
      data.cases = [];
    }
    view.setLayer("cases", data.cases, { icon: caseIcon, tooltip: caseTooltip, onClick: (f) => setHash({ case: f.properties.code }) });
  }

  async function showCase(code) {
    state.case = code;
    renderCaseDetail();
    if (!code) return;
    try {
      const feature = await fetchJSON("/collections/cases/items/" + encodeURIComponent(code));
      data.caseDetail = { ...feature, id: code };
    } catch (error) {
      recordError(text("layerError", { layer: text("layers.cases"), message: error.message }));
      data.caseDetail = null;
    }
    renderCaseDetail();
  }

  function renderAll() {
    renderStaticTexts();
    renderTheme();
    renderWorst();
    renderBuildingControls();
    renderBuildingLegend();
    renderFacilityLegend(false);
    renderReached();
    renderCases();
    if (!$("notice").textContent || $("notice").dataset.hint === "true") {
      $("notice").textContent = text("isochroneHint");
      $("notice").dataset.hint = "true";
    }
    if (view) {
      view.setLayerNames({ communities: text("layers.communities"), grids: text("layers.grids"), buildings: text("layers.buildings"),
        facilities: text("layers.facilities"), network: text("layers.network"), isochrones: text("layers.isochrones"), runGrids: text("layers.runGrids"),
        cases: text("layers.cases") });
      view.redrawIcons("facilities");
      view.redrawIcons("cases");
    }
  }

  // ---- Loading ----
  async function loadLayer(name, url, spec) {
    view.setLayer(name, [], spec);
    try {
      const features = await loadCollection(url, (batch, total) => {
        view.addFeatures(name, batch);
        data[name] = (data[name] || []).concat(batch);
        if (name in counts || name === "network") showCount(name, total);
      });
      return features;
    } catch (error) {
      recordError(text("layerError", { layer: text("layers." + name), message: error.message }));
      if (name === "facilities") renderFacilityLegend(true);
      return [];
    }
  }

  async function loadCoverage() {
    // The summary (classes per theme, worst grids), for a view drawing grids as GeoJSON every grid's row, and the lists
    // of runs: asked at once (one after the other they added a round trip each to the page's load).
    const [figures, coverageRuns, gridRuns] = await Promise.allSettled([
      Promise.all([fetchJSON("/coverage/summary"), view.tiled ? null : fetchJSON("/coverage")]),
      fetchJSON("/coverage/runs"), fetchJSON("/runs")]);
    if (figures.status === "fulfilled") {
      [data.coverage, data.coverageRows] = figures.value;
    } else {
      // No run yet is an answer for the user, not a page fault.
      if (figures.reason.status !== 404) recordError(text("layerError", { layer: "coverage", message: figures.reason.message }));
      data.coverage = null;
      data.coverageRows = null;
    }
    if (coverageRuns.status === "fulfilled") data.coverageRuns = coverageRuns.value.runs || [];
    else recordError(text("layerError", { layer: "coverage/runs", message: coverageRuns.reason.message }));
    if (gridRuns.status === "fulfilled") data.gridRuns = gridRuns.value.runs || [];
    else recordError(text("layerError", { layer: "runs", message: gridRuns.reason.message }));
    const list = themes();
    if (!list.some((t) => t.key === state.theme) && list.length) {
      // The widest level by default: the shortest one is often unmet everywhere and tells the least.
      state.theme = list.filter((t) => !t.requirement).map((t) => t.key).pop() || list[0].key;
    }
  }

  async function loadBuildingMode() {
    const kind = modeKind();
    try {
      if (kind === "minutes") {
        const category = state.buildings.slice("minutes:".length);
        if (!data.minutes || data.minutes.category !== category) {
          const body = await fetchJSON("/coverage/minutes?category=" + encodeURIComponent(category));
          data.minutes = { category, run: body.run, speed: body.walking_speed, byBuilding: new Map(body.buildings.map((b) => [b.id, b])), unreached: new Set(body.unreached) };
          statusBox.dataset.minutesReached = String(body.buildings.length);
        }
      } else if (kind === "compare" && data.coverageRuns.length >= 2) {
        const ids = data.coverageRuns.map((r) => r.id);
        const pair = state.compare || [ids[ids.length - 2], ids[ids.length - 1]];
        state.compare = pair;
        if (!data.comparison || data.comparison.key !== pair.join(",")) {
          const body = await fetchJSON("/coverage/compare?a=" + pair[0] + "&b=" + pair[1]);
          data.comparison = { key: pair.join(","), total: body.total || [], byBuilding: new Map((body.changed_buildings || []).map((b) => [b.id, b])) };
          statusBox.dataset.changed = String(data.comparison.byBuilding.size);
        }
      } else if (kind === "moves" && data.gridRuns.length) {
        const run = state.run || data.gridRuns[data.gridRuns.length - 1].id;
        state.run = run;
        if (!data.moves || data.moves.run !== run) {
          const body = await fetchJSON("/runs/" + run + "/diff");
          data.moves = { run, list: body.moves || [], buildings: body.buildings_moved, households: body.households_moved,
                         byBuilding: new Map((body.moves || []).map((m) => [m.building, m])) };
          statusBox.dataset.moves = String(data.moves.list.length);
          // Proposed grid outlines are WGS84 only: over a GCJ-02 base map the moves show by colour alone.
          if (!crs) {
            const grids = await fetchJSON("/runs/" + run + "/grids");
            view.setLayer("runGrids", grids.features || [], { style: () => ({ stroke: "#08306b", weight: 2.5, dash: "6 4" }), interactive: false,
              tooltip: null });
          }
        }
      }
    } catch (error) {
      recordError(text("layerError", { layer: text("buildingsHeading"), message: error.message }));
    }
    if (kind !== "moves") view.clear("runGrids");
    restyleBuildings();
    view.restyle("grids");
  }

  // ---- Isochrones ----
  let isochroneRequest = null;
  async function showIsochrones(point) {
    const notice = $("notice");
    notice.dataset.hint = "false";
    notice.title = "";
    if (isochroneRequest) isochroneRequest.abort();
    const request = new AbortController();
    isochroneRequest = request;
    notice.textContent = text("computing");
    view.marker(point);
    const url = "/isochrones?lon=" + point.lon.toFixed(6) + "&lat=" + point.lat.toFixed(6) +
      "&minutes=" + config.minutes.join(",") + "&profile=" + encodeURIComponent(config.profile) + (crs ? "&crs=" + encodeURIComponent(crs) : "");
    try {
      const body = await fetchJSON(url, request.signal);
      // Largest first, so the smaller contours stay visible on top.
      const features = (body.features || []).slice().sort((a, b) => b.properties.minutes - a.properties.minutes);
      data.isochrones = features;
      view.setLayer("isochrones", features, { pane: "isochrones", interactive: false,
        style: (f) => ({ stroke: contourColour(f.properties.minutes), weight: 2.5, fill: contourColour(f.properties.minutes), fillOpacity: 0.15 }) });
      statusBox.dataset.isochrones = String(features.length);
      statusBox.dataset.reached = features.slice().sort((a, b) => a.properties.minutes - b.properties.minutes).map((f) => f.properties.households).join(",");
      notice.textContent = features.length ? "" : text("noIsochrone");
      renderReached();
    } catch (error) {
      if (error.name === "AbortError") return;
      // A point too far from the network is an answer for the user, not a page fault.
      if (error.status === 503) notice.textContent = text("busy");
      else if (error.status >= 400 && error.status < 500) {
        notice.textContent = text("isochroneRefused");
        notice.title = error.detail || "";
      }
      else { notice.textContent = text("isochroneFailed"); recordError(text("layerError", { layer: text("layers.isochrones"), message: error.message })); }
    }
  }

  // ---- The address's fragment ----
  function parseHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    const wanted = {
      lang: params.get("lang") === "en" ? "en" : "zh-CN",
      theme: params.get("theme"),
      buildings: params.get("buildings") || "best",
      compare: null, run: null, grid: params.get("grid"), at: null, case: params.get("case"),
    };
    const pair = /^(\d+),(\d+)$/.exec(params.get("compare") || "");
    if (pair) wanted.compare = [Number(pair[1]), Number(pair[2])];
    if (params.get("compare") && !params.get("buildings")) wanted.buildings = "compare";
    const run = /^(\d+)$/.exec(params.get("run") || "");
    if (run) { wanted.run = Number(run[1]); if (!params.get("buildings")) wanted.buildings = "moves"; }
    const at = /^(-?[\d.]+),(-?[\d.]+)$/.exec(params.get("at") || "");
    if (at) wanted.at = { lon: Number(at[1]), lat: Number(at[2]) };
    const zoom = /^\d{1,2}(\.\d+)?$/.exec(params.get("zoom") || "");
    wanted.zoom = zoom && Number(zoom[0]) <= 20 ? Number(zoom[0]) : null;
    return wanted;
  }

  async function focusGrid(code) {
    let feature = data.grids.find((f) => f.properties.code === code);
    if (!feature && code && view.tiled) {
      // A tiled view holds no outline: the one grid's, in the view's coordinates.
      try {
        const body = await fetchJSON("/collections/grids/items?limit=1&code=" + encodeURIComponent(code) + (crs ? "&crs=" + encodeURIComponent(crs) : ""));
        feature = (body.features || [])[0];
      } catch (error) { recordError(text("layerError", { layer: text("layers.grids"), message: error.message })); }
    }
    state.grid = feature ? code : null;
    statusBox.dataset.focus = state.grid || "";
    if (feature) {
      view.fit(boxOf([feature]));
      statusBox.dataset.view = view.viewBox().map((v) => v.toFixed(6)).join(",");
    }
    view.restyle("grids");
    renderWorst();
  }

  let lastAt = null;
  async function applyHash(initial) {
    const wanted = parseHash();
    const languageChanged = wanted.lang !== lang;
    lang = wanted.lang;
    const themeChanged = wanted.theme && wanted.theme !== state.theme && themes().some((t) => t.key === wanted.theme);
    if (themeChanged) state.theme = wanted.theme;
    const modeChanged = wanted.buildings !== state.buildings || (wanted.compare && String(wanted.compare) !== String(state.compare)) || (wanted.run && wanted.run !== state.run);
    state.buildings = wanted.buildings;
    if (wanted.compare) state.compare = wanted.compare;
    if (wanted.run) state.run = wanted.run;
    if (modeChanged || initial) await loadBuildingMode();
    renderAll();
    if (themeChanged || languageChanged || initial) { view.restyle("grids"); view.restyle("communities"); view.restyle("cells"); view.refreshLabels(); }
    if (wanted.grid !== state.grid || (initial && wanted.grid)) await focusGrid(wanted.grid);
    const at = wanted.at ? wanted.at.lon + "," + wanted.at.lat : null;
    if (at && at !== lastAt) { lastAt = at; showIsochrones(wanted.at); }
    if ((wanted.case || null) !== state.case) await showCase(wanted.case || null);
  }

  // ---- Start ----
  // The box a tiled view starts on: the first layer's with features, from its collection's extent (WGS84; a GCJ-02
  // base map is offset by a few hundred metres, which the fit's padding holds).
  async function loadExtent() {
    for (const name of ["communities", "grids", "buildings"]) {
      try {
        const body = await fetchJSON("/collections/" + name);
        const box = body.extent && body.extent.spatial && body.extent.spatial.bbox && body.extent.spatial.bbox[0];
        if (box && box.length === 4) return box;
      } catch (error) { recordError(text("layerError", { layer: text("layers." + name), message: error.message })); return null; }
    }
    return null;
  }

  // A tiled view's counts: every stored community, grid, building and facility (numberMatched), not the ones a tile holds.
  // All are asked at once, beside the coverage (`coverage`, its loading); only the categories its profile adds to the
  // known ones wait for it.
  async function loadTiledCounts(coverage) {
    const suffix = crs ? "&crs=" + encodeURIComponent(crs) : "";
    data.sources = [];
    const areas = Promise.all(["communities", "grids"].map(async (name) => {
      try {
        const body = await fetchJSON("/collections/" + name + "/items?limit=1&properties=code" + suffix, undefined, "low");
        showCount(name, body.numberMatched ?? (body.features || []).length);
      } catch (error) { recordError(text("layerError", { layer: text("layers." + name), message: error.message })); }
    }));
    const buildings = (async () => {
      try {
        const body = await fetchJSON("/collections/buildings/items?limit=1" + suffix, undefined, "low");
        showCount("buildings", body.numberMatched ?? (body.features || []).length);
        data.sources.push(...(body.features || []).map((f) => f.properties.source));
      } catch (error) { recordError(text("layerError", { layer: text("layers.buildings"), message: error.message })); }
    })();
    const facilities = (async () => {
      try {
        const count = async (c) => [c, (await fetchJSON("/collections/facilities/items?limit=1&category=" + encodeURIComponent(c), undefined, "low")).numberMatched || 0];
        const known = Object.keys(categoryColours);
        const [total, knownCounts] = await Promise.all([fetchJSON("/collections/facilities/items?limit=1" + suffix, undefined, "low"), Promise.all(known.map(count))]);
        await coverage;
        const added = new Set();
        for (const level of (data.coverage && data.coverage.summary.levels) || []) for (const r of level.requirements || []) if (!known.includes(r.category)) added.add(r.category);
        const counts = knownCounts.concat(await Promise.all([...added].map(count)));
        // Categories outside these are counted as the remainder.
        data.facilityCounts = counts.filter(([, n]) => n > 0);
        const listed = counts.reduce((sum, [, n]) => sum + n, 0);
        if ((total.numberMatched || 0) > listed) data.facilityCounts.push(["other", total.numberMatched - listed]);
        showCount("facilities", total.numberMatched ?? listed);
        if ((total.features || []).some((f) => f.properties.source === "osm")) data.sources.push("osm");
      } catch (error) {
        recordError(text("layerError", { layer: text("layers.facilities"), message: error.message }));
        renderFacilityLegend(true);
      }
    })();
    await Promise.all([areas, buildings, facilities]);
  }

  function showFirstDraw(drawn) {
    statusBox.dataset.firstDrawMs = String(Math.round(drawn.at));
    statusBox.dataset.firstDrawn = String(drawn.counts.buildings);
  }

  async function start() {
    lang = parseHash().lang;
    renderStaticTexts();
    view = window.CGMapView.create($("map"), {
      basemap: config.basemap ? { url: config.basemap.url, attribution: escapeHTML(config.basemap.attribution) } : null,
      datum: crs ? "gcj02" : "wgs84",
      onClick: (point) => setHash({ at: point.lon.toFixed(6) + "," + point.lat.toFixed(6) }),
    });
    view.onLabels = (n) => { statusBox.dataset.labels = String(n); };
    const osm = 'Data © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';
    // A tiled view's first tiles wait for the extent: asked first.
    const extentLoad = view.tiled ? loadExtent() : null;
    const coverage = loadCoverage();
    let extent = null;
    if (view.tiled) {
      // Everything drawn comes from the vector tiles of the view (communities and grids with their coverage figures);
      // the view starts on the communities' extent (else the grids', else the buildings'), no further out than the
      // zoom from which grids are drawn: a city's whole extent is a zoom where its areas are a few pixels each (the
      // tiles leave out outlines under 4 pixels) and its tiles the heaviest. The counts and the cases are asked at
      // once with it and the coverage, after it. The layers wait for the coverage too: their shading is an expression
      // on the tiles' figures, and a layer whose fill turns from one colour into such an expression has its tiles laid
      // out again.
      const counted = loadTiledCounts(coverage), cases = loadCases();
      extent = await extentLoad;
      if (extent) view.fit(extent, gridsFromZoom);
      const wantedZoom = parseHash().zoom;
      if (wantedZoom !== null) view.zoomTo(wantedZoom);
      await coverage;
      view.setTileLayer("cells", { collection: "buildings", maxzoom: cellsBelowZoom, cells: cellStyle, tooltip: cellTooltip, follows: "buildings" });
      view.setTileLayer("communities", { collection: "communities", areas: communityAreaStyle, tooltip: communityTooltip });
      view.setTileLayer("grids", { collection: "grids", minzoom: gridsFromZoom, areas: gridAreaStyle, tooltip: gridTooltip });
      view.setTileLayer("buildings", { collection: "buildings", minzoom: buildingsFromZoom, rules: buildingTileRules(), tooltip: buildingTooltip });
      view.setTileLayer("facilities", { collection: "facilities", minzoom: facilitiesFromZoom, icon: facilityIcon, iconProperty: "category", tooltip: facilityTooltip });
      view.setTileLayer("network", { collection: "network", style: () => ({ stroke: "#8a8a8a", weight: 1, opacity: 0.8 }), interactive: false, visible: false });
      // The tiles draw while the figures load: when the view first stood with its tiles drawn.
      view.drawn(["buildings"]).then((d) => { if (!statusBox.dataset.firstDrawMs) showFirstDraw(d); });
      await Promise.all([coverage, counted, cases]);
      if ((data.sources || []).includes("osm")) view.credit(osm);
    } else {
      await loadLayer("communities", "/collections/communities/items?limit=10000", { style: () => ({ stroke: "#2f3e46", weight: 3, fill: "#2f3e46", fillOpacity: 0.02 }), tooltip: communityTooltip });
      extent = boxOf(data.communities);
      if (extent) view.fit(extent);
      // Buildings are the bulk of the data: only those inside the communities' extent.
      const bbox = extent ? "&bbox=" + extent.map((v) => v.toFixed(6)).join(",") + (crs ? "&bbox-crs=" + encodeURIComponent(crs) : "") : "";
      await Promise.all([
        coverage,
        loadLayer("grids", "/collections/grids/items?limit=10000", { style: gridStyle, tooltip: gridTooltip }),
        loadLayer("buildings", "/collections/buildings/items?limit=10000" + bbox, { style: buildingStyle, tooltip: buildingTooltip }),
        loadLayer("facilities", "/collections/facilities/items?limit=10000", { icon: facilityIcon, tooltip: facilityTooltip }),
        loadCases(),
      ]);
      if (data.buildings.some((f) => f.properties.source === "osm") || data.facilities.some((f) => f.properties.source === "osm")) view.credit(osm);
      if (!extent) {
        extent = boxOf(data.grids.concat(data.buildings, data.facilities));
        if (extent) view.fit(extent);
      }
    }
    view.setLabels("grids", gridLabel);
    await applyHash(true);
    // Ready: the legend filled and, on tiles, the view's tiles drawn, then (for the checks, after the time is taken)
    // the features drawn and the classes of the areas the tiles hold: grids from zoom 11, communities below it.
    let loaded = performance.now();
    if (view.tiled) {
      const drawn = await view.drawn(["buildings", "communities", "grids"]);
      loaded = drawn.at;
      // The two checks run on their own timers: the one that sees the view drawn first names the first draw.
      if (!statusBox.dataset.firstDrawMs) showFirstDraw(drawn);
      statusBox.dataset.tilesDrawn = String(drawn.counts.buildings);
      statusBox.dataset.communitiesDrawn = String(drawn.counts.communities);
      statusBox.dataset.gridsDrawn = String(drawn.counts.grids);
      statusBox.dataset.zoom = view.zoom().toFixed(2);
      // Below buildingsFromZoom: the cells and buildings drawn, and a sample of their sums with the colour drawn.
      const cells = view.drawnCells("cells", cellFigures, 200);
      statusBox.dataset.cellsDrawn = String(cells.count);
      statusBox.dataset.cellHouseholds = String(cells.households);
      statusBox.dataset.cellMet = String(cells.met);
      statusBox.dataset.cellSample = JSON.stringify(cells.sample);
      renderShownClasses();
    }
    statusBox.dataset.loadMs = String(Math.round(loaded));
    statusBox.dataset.ready = "true";
    window.addEventListener("hashchange", () => applyHash(false));
  }

  // Selects write the fragment; the fragment drives the page.
  $("theme").addEventListener("change", (e) => setHash({ theme: e.target.value }));
  $("building-mode").addEventListener("change", (e) => setHash({ buildings: e.target.value }));
  const compareChanged = () => setHash({ buildings: "compare", compare: $("compare-a").value + "," + $("compare-b").value });
  $("compare-a").addEventListener("change", compareChanged);
  $("compare-b").addEventListener("change", compareChanged);
  $("grid-run").addEventListener("change", (e) => setHash({ buildings: "moves", run: e.target.value }));

  let networkRequested = false;
  start().then(() => {
    view.onOverlayAdd((name) => {
      if (name !== "network" || networkRequested || view.tiled) return;
      networkRequested = true;
      loadLayer("network", "/collections/network/items?limit=10000", { style: () => ({ stroke: "#8a8a8a", weight: 1, opacity: 0.8 }), interactive: false, behind: true })
        .then(() => renderAll());
    });
    if (!view.tiled) view.setLayer("network", [], { style: () => ({ stroke: "#8a8a8a", weight: 1, opacity: 0.8 }), interactive: false, visible: false });
    renderAll();
  });
})();
