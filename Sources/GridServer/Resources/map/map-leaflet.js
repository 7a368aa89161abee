// The map page's only contact with Leaflet: it draws what map-logic.js decides (styles, tooltips, labels, icons)
// and reports clicks. Another map library replaces this file by one offering the same `CGMapView.create` object.
"use strict";
window.CGMapView = {
  /// element: the map's element; options: { basemap: {url, attribution} | null, onClick({lon, lat}) }.
  create(element, options) {
    // One canvas for every clickable layer: stacked canvases would hide the lower ones from the mouse.
    const renderer = L.canvas({ padding: 0.2 });
    const map = L.map(element, { center: [35, 105], zoom: 4, renderer, zoomSnap: 0.25 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    if (options.basemap) {
      L.tileLayer(options.basemap.url, { attribution: options.basemap.attribution || "", maxZoom: 19 }).addTo(map);
    }
    // Isochrones sit above the shaded grids (which would hide them) and take no clicks, so buildings stay clickable.
    const isochronePane = map.createPane("isochrones");
    isochronePane.style.zIndex = 450;
    isochronePane.style.pointerEvents = "none";
    const layers = {};
    const labelled = {};
    const credits = new Set();

    function pathStyle(s) {
      return { color: s.stroke, weight: s.weight ?? 1, opacity: s.opacity ?? 1, dashArray: s.dash || null,
               fill: s.fill !== undefined && s.fill !== null, fillColor: s.fill || s.stroke, fillOpacity: s.fillOpacity ?? 0 };
    }
    function bounds(b) { return L.latLngBounds([b[1], b[0]], [b[3], b[2]]); }

    function updateLabels() {
      let shown = 0;
      const placed = [];
      const viewBounds = map.getBounds();
      for (const [name, labelOf] of Object.entries(labelled)) {
        const layer = layers[name];
        if (!layer || !map.hasLayer(layer)) continue;
        layer.eachLayer((item) => {
          const label = labelOf(item.feature);
          const lines = label ? label.text.split("\n") : [];
          let fits = false, rect = null;
          if (label && lines.length && viewBounds.contains([label.lat, label.lon])) {
            // Shown where the stretch across the feature holds the text (CJK characters count double) and no
            // other label is there already.
            const at = map.latLngToContainerPoint([label.lat, label.lon]);
            const west = map.latLngToContainerPoint([label.lat, label.west]).x, east = map.latLngToContainerPoint([label.lat, label.east]).x;
            const top = map.latLngToContainerPoint([label.north, label.lon]).y, bottom = map.latLngToContainerPoint([label.south, label.lon]).y;
            const textWidth = Math.max(...lines.map((l) => [...l].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 11 : 6.5), 0))) + 8;
            const textHeight = lines.length * 14 + 4;
            rect = [at.x - textWidth / 2, at.y - textHeight / 2, at.x + textWidth / 2, at.y + textHeight / 2];
            fits = east - west >= textWidth && bottom - top >= textHeight + 4 &&
              !placed.some((r) => r[0] < rect[2] && rect[0] < r[2] && r[1] < rect[3] && rect[1] < r[3]);
          }
          if (fits) {
            placed.push(rect);
            if (!item.cgLabel) item.cgLabel = L.tooltip({ permanent: true, direction: "center", className: "grid-label", interactive: false });
            item.cgLabel.setLatLng([label.lat, label.lon]).setContent(lines.map((l) => escapeText(l)).join("<br>"));
            if (!map.hasLayer(item.cgLabel)) item.cgLabel.addTo(map);
            item.cgLabel.getElement().dataset.code = item.feature.properties.code || "";
            shown += 1;
          } else if (item.cgLabel && map.hasLayer(item.cgLabel)) {
            item.cgLabel.remove();
          }
        });
      }
      view.labelsShown = shown;
      if (view.onLabels) view.onLabels(shown);
    }
    function escapeText(value) {
      return String(value ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
    }
    map.on("zoomend moveend", updateLabels);
    map.on("click", (e) => options.onClick && options.onClick({ lon: e.latlng.lng, lat: e.latlng.lat }));

    const view = {
      labelsShown: 0,
      onLabels: null,
      /// Replaces a layer's features. spec: { style(f), tooltip(f) -> html, icon(f) -> {html, className},
      /// interactive, onClick(f), pane: "isochrones" }. Layers stack in the order they are first set.
      setLayer(name, features, spec) {
        if (layers[name]) layers[name].remove();
        const layer = L.geoJSON(features, {
          pane: spec.pane || (spec.icon ? "markerPane" : "overlayPane"),
          interactive: spec.interactive !== false,
          style: spec.style ? (f) => pathStyle(spec.style(f)) : undefined,
          pointToLayer: spec.icon
            ? (f, latlng) => { const icon = spec.icon(f); return L.marker(latlng, { icon: L.divIcon({ html: icon.html, className: "", iconSize: [18, 18] }), keyboard: false }); }
            : (f, latlng) => L.circleMarker(latlng, { radius: 5 }),
          onEachFeature: spec.tooltip || spec.onClick ? (f, item) => {
            if (spec.tooltip) item.bindTooltip(() => spec.tooltip(f), { sticky: !spec.icon });
            // A feature that answers a click keeps it from the map (no isochrone there).
            if (spec.onClick) item.on("click", (e) => { L.DomEvent.stop(e); spec.onClick(f); });
          } : undefined,
        });
        layer.cgSpec = spec;
        layers[name] = layer;
        if (spec.visible !== false) layer.addTo(map);
        if (spec.behind) layer.bringToBack();
        if (labelled[name]) updateLabels();
        return layer;
      },
      /// Adds features to a layer set before (collections arrive page by page).
      addFeatures(name, features) {
        if (layers[name]) layers[name].addData(features);
      },
      clear(name) { if (layers[name]) layers[name].clearLayers(); },
      has(name) { return Boolean(layers[name]) && layers[name].getLayers().length > 0; },
      /// Applies the layer's style function again (after the theme or the language changed).
      restyle(name) {
        const layer = layers[name];
        if (!layer || !layer.cgSpec.style) return;
        layer.eachLayer((item) => item.setStyle && item.setStyle(pathStyle(layer.cgSpec.style(item.feature))));
      },
      /// Draws icons again (their html depends on the language).
      redrawIcons(name) {
        const layer = layers[name];
        if (!layer || !layer.cgSpec.icon) return;
        layer.eachLayer((item) => { const icon = layer.cgSpec.icon(item.feature); item.setIcon(L.divIcon({ html: icon.html, className: "", iconSize: [18, 18] })); });
      },
      /// Labels shown inside features where they fit: labelOf(f) gives {text (lines split by "\n"), lon, lat, west,
      /// east (the stretch across the feature at lat), south, north}.
      setLabels(name, labelOf) { labelled[name] = labelOf; updateLabels(); },
      refreshLabels() { updateLabels(); },
      /// Layer switcher with names in the page's language.
      setLayerNames(names) {
        if (view.switcher) view.switcher.remove();
        const overlays = {};
        for (const [name, title] of Object.entries(names)) if (layers[name]) overlays[title] = layers[name];
        view.switcher = L.control.layers(null, overlays, { collapsed: true }).addTo(map);
      },
      show(name, visible) {
        const layer = layers[name];
        if (!layer) return;
        if (visible && !map.hasLayer(layer)) layer.addTo(map);
        if (!visible && map.hasLayer(layer)) layer.remove();
      },
      /// Fits the view to [west, south, east, north].
      fit(box) { if (box) map.fitBounds(bounds(box), { padding: [12, 12], animate: false }); },
      /// The view as [west, south, east, north].
      viewBox() { const b = map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; },
      marker(point) {
        if (view.origin) view.origin.remove();
        view.origin = point ? L.circleMarker([point.lat, point.lon], { radius: 6, color: "#000", weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false }).addTo(map) : null;
      },
      credit(text) {
        if (credits.has(text)) return;
        credits.add(text);
        map.attributionControl.addAttribution(text);
      },
      onOverlayAdd(callback) { map.on("overlayadd", (e) => { for (const [name, layer] of Object.entries(layers)) if (layer === e.layer) callback(name); }); },
    };
    return view;
  },
};
