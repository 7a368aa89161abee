// The map page's only contact with MapLibre GL JS: it draws what map-logic.js decides and reports clicks, offering the
// same `CGMapView.create` object as map-leaflet.js. Communities, grids, buildings, facilities and the walking network
// come from the server's vector tiles (`tiled`; grids and communities shaded by the coverage figures their tiles
// carry); the few features the logic hands over (isochrones, cases, a grid run's outlines) are GeoJSON sources whose
// style the logic's functions give per feature.
"use strict";
window.CGMapView = {
  /// element: the map's element; options: { basemap: {url, attribution} | null, datum: "wgs84" | "gcj02", onClick({lon, lat}) }.
  create(element, options) {
    const style = { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }] };
    if (options.basemap) {
      // Leaflet's {s} subdomains as MapLibre takes them: one URL each.
      const urls = options.basemap.url.includes("{s}") ? ["a", "b", "c"].map((s) => options.basemap.url.replace("{s}", s)) : [options.basemap.url];
      style.sources.basemap = { type: "raster", tiles: urls, tileSize: 256, maxzoom: 19 };
      style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
    }
    const map = new maplibregl.Map({ container: element, style, center: [105, 35], zoom: 3, maxZoom: 20, fadeDuration: 0,
                                     attributionControl: false, dragRotate: false, pitchWithRotate: false });
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
    const credits = ['<a href="https://maplibre.org">MapLibre</a>'];
    if (options.basemap && options.basemap.attribution) credits.push(options.basemap.attribution);
    let attribution = null;
    function showCredits() {
      if (attribution) map.removeControl(attribution);
      attribution = new maplibregl.AttributionControl({ compact: false, customAttribution: credits.slice() });
      map.addControl(attribution, "bottom-right");
    }
    showCredits();
    const loaded = new Promise((resolve) => { if (map.loaded()) resolve(); else map.once("load", resolve); });
    // When a frame was last drawn, and when a tile last arrived.
    let lastRender = 0, lastTile = 0;
    map.on("render", () => { lastRender = performance.now(); });
    map.on("data", (e) => { if (e.dataType === "source" && e.tile) lastTile = performance.now(); });
    const tileSuffix = options.datum === "gcj02" ? "?datum=gcj02" : "";

    // Stacking: each of the page's layers has a rank; its MapLibre layers go below those of every higher rank.
    // Cells of merged buildings lie under everything: the areas' outlines and shading are drawn over them.
    const ranks = { cells: -1, network: 0, communities: 1, grids: 2, buildings: 3, runGrids: 4, isochrones: 5, facilities: 6, cases: 7 };
    const layers = {};   // name -> { spec, kind: "geojson" | "tiles", ids: [MapLibre layer ids], features, visible }
    const labelled = {};
    const images = new Map();   // image id -> ImageData
    const view = { tiled: true, labelsShown: 0, onLabels: null };

    function rank(name) { return ranks[name] ?? 4; }
    function beforeId(name) {
      const mine = rank(name);
      let before;
      for (const layer of map.getStyle().layers) {
        const owner = layer.metadata && layer.metadata.cgName;
        if (owner !== undefined && rank(owner) > mine) { before = layer.id; break; }
      }
      return before;
    }
    function addLayer(name, layer) {
      layer.metadata = { cgName: name };
      map.addLayer(layer, beforeId(name));
      layers[name].ids.push(layer.id);
    }

    // An icon as MapLibre takes it: the logic's glyph on its colour, drawn on a canvas (no glyph server needed).
    function iconImage(icon) {
      const id = "cg-icon-" + icon.shape + "-" + icon.colour + "-" + icon.glyph;
      if (images.has(id)) return id;
      const ratio = 2, size = 18 * ratio;
      const canvas = document.createElement("canvas");
      canvas.width = size; canvas.height = size;
      const g = canvas.getContext("2d");
      g.fillStyle = icon.colour; g.strokeStyle = "#222"; g.lineWidth = ratio;
      g.beginPath();
      if (icon.shape === "square") g.rect(ratio, ratio, size - 2 * ratio, size - 2 * ratio);
      else g.arc(size / 2, size / 2, size / 2 - ratio, 0, 2 * Math.PI);
      g.fill(); g.stroke();
      g.fillStyle = icon.shape === "square" ? "#222" : "#fff";
      g.font = "bold " + (icon.glyph.length > 1 ? 9 : 11) * ratio + 'px "Noto Sans CJK SC", "Noto Sans SC", sans-serif';
      g.textAlign = "center"; g.textBaseline = "middle";
      g.fillText(icon.glyph, size / 2, size / 2 + ratio / 2);
      images.set(id, g.getImageData(0, 0, size, size));
      map.addImage(id, images.get(id), { pixelRatio: ratio });
      return id;
    }

    // GeoJSON features with the logic's style written into their properties, so paint reads them per feature.
    function styled(name) {
      const layer = layers[name];
      const spec = layer.spec;
      return { type: "FeatureCollection", features: layer.features.map((f, index) => {
        const properties = { cgIndex: index };
        if (spec.style) {
          const s = spec.style(f);
          Object.assign(properties, { cgStroke: s.stroke, cgWeight: s.weight ?? 1, cgOpacity: s.opacity ?? 1, cgDashed: Boolean(s.dash),
                                      cgFill: s.fill || "", cgFillOpacity: s.fill ? (s.fillOpacity ?? 0) : 0 });
        }
        if (spec.icon) properties.cgIcon = iconImage(spec.icon(f));
        return { type: "Feature", id: index, geometry: f.geometry, properties };
      }) };
    }
    function visibility(visible) { return visible ? "visible" : "none"; }

    function createGeoJSON(name, spec) {
      const source = "cg-" + name;
      map.addSource(source, { type: "geojson", data: styled(name) });
      const layout = { visibility: visibility(layers[name].visible) };
      const polygons = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
      if (spec.icon) {
        addLayer(name, { id: source + "-icon", type: "symbol", source, layout: { ...layout, "icon-image": ["get", "cgIcon"], "icon-allow-overlap": true, "icon-ignore-placement": true } });
        return;
      }
      addLayer(name, { id: source + "-fill", type: "fill", source, filter: polygons, layout,
                       paint: { "fill-color": ["case", ["==", ["get", "cgFill"], ""], "#000000", ["get", "cgFill"]], "fill-opacity": ["get", "cgFillOpacity"] } });
      const line = { "line-color": ["get", "cgStroke"], "line-width": ["get", "cgWeight"], "line-opacity": ["get", "cgOpacity"] };
      addLayer(name, { id: source + "-line", type: "line", source, filter: ["!", ["get", "cgDashed"]], layout, paint: line });
      addLayer(name, { id: source + "-dash", type: "line", source, filter: ["get", "cgDashed"], layout, paint: { ...line, "line-dasharray": [4, 3] } });
    }

    // ---- Tooltips and clicks ----
    const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: "cg-tooltip", maxWidth: "320px" });
    function interactiveIds() {
      const ids = [];
      for (const [name, layer] of Object.entries(layers)) {
        if (layer.visible && layer.spec.interactive !== false && (layer.spec.tooltip || layer.spec.onClick)) ids.push(...layer.ids.filter((id) => map.getLayer(id)));
      }
      return ids;
    }
    function featureAt(point) {
      const ids = interactiveIds();
      if (!ids.length) return null;
      const hits = map.queryRenderedFeatures(point, { layers: ids });
      for (const hit of hits) {
        const name = hit.layer.metadata && hit.layer.metadata.cgName;
        const layer = layers[name];
        if (!layer) continue;
        if (layer.kind === "geojson") {
          const f = layer.features[hit.properties.cgIndex];
          if (f) return { name, layer, feature: f };
        } else {
          return { name, layer, feature: { type: "Feature", id: hit.id, properties: hit.properties, geometry: null } };
        }
      }
      return null;
    }
    map.on("mousemove", (e) => {
      const hit = featureAt(e.point);
      map.getCanvas().style.cursor = hit && hit.layer.spec.onClick ? "pointer" : "";
      if (hit && hit.layer.spec.tooltip) popup.setLngLat(e.lngLat).setHTML(hit.layer.spec.tooltip(hit.feature)).addTo(map);
      else popup.remove();
    });
    map.on("mouseout", () => popup.remove());
    map.on("click", (e) => {
      const hit = featureAt(e.point);
      if (hit && hit.layer.spec.onClick) { hit.layer.spec.onClick(hit.feature); return; }
      if (options.onClick) options.onClick({ lon: e.lngLat.lng, lat: e.lngLat.lat });
    });

    // ---- Labels: DOM elements placed where the stretch across the feature holds the text (as map-leaflet.js does) ----
    const labelMarkers = new Map();
    function escapeText(value) {
      return String(value ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
    }
    function updateLabels() {
      let shown = 0;
      const placed = [];
      const bounds = map.getBounds();
      const seen = new Set();
      for (const [name, labelOf] of Object.entries(labelled)) {
        const layer = layers[name];
        if (!layer || !layer.visible) continue;
        // GeoJSON features as they are; tiled ones from the loaded tiles, each feature's widest piece (a feature
        // crossing tiles comes in pieces), and none below zoom 12, where no label fits a grid.
        let items = layer.features.map((f, index) => ({ key: name + ":" + index, f, label: labelOf(f) }));
        if (layer.kind === "tiles") {
          const best = new Map();
          const pieces = map.getZoom() >= 12 && map.getSource("cg-" + name) ? map.querySourceFeatures("cg-" + name, { sourceLayer: layer.spec.collection }) : [];
          for (const piece of pieces) {
            const f = { type: "Feature", id: piece.id, properties: piece.properties, geometry: piece.geometry };
            const label = labelOf(f);
            if (!label) continue;
            const kept = best.get(piece.id);
            if (!kept || label.east - label.west > kept.label.east - kept.label.west) best.set(piece.id, { key: name + ":" + piece.id, f, label });
          }
          items = [...best.values()];
        }
        items.forEach(({ key, f, label }) => {
          const lines = label ? label.text.split("\n") : [];
          let fits = false, rect = null;
          if (label && lines.length && bounds.contains([label.lon, label.lat])) {
            const at = map.project([label.lon, label.lat]);
            const west = map.project([label.west, label.lat]).x, east = map.project([label.east, label.lat]).x;
            const top = map.project([label.lon, label.north]).y, bottom = map.project([label.lon, label.south]).y;
            const textWidth = Math.max(...lines.map((l) => [...l].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 11 : 6.5), 0))) + 8;
            const textHeight = lines.length * 14 + 4;
            rect = [at.x - textWidth / 2, at.y - textHeight / 2, at.x + textWidth / 2, at.y + textHeight / 2];
            fits = east - west >= textWidth && bottom - top >= textHeight + 4 &&
              !placed.some((r) => r[0] < rect[2] && rect[0] < r[2] && r[1] < rect[3] && rect[1] < r[3]);
          }
          if (!fits) return;
          placed.push(rect);
          seen.add(key);
          let marker = labelMarkers.get(key);
          if (!marker) {
            const holder = document.createElement("div");
            holder.className = "grid-label-marker";
            marker = new maplibregl.Marker({ element: holder, anchor: "center" });
            labelMarkers.set(key, marker);
          }
          marker.getElement().innerHTML = '<div class="grid-label" data-code="' + escapeText(f.properties.code || "") + '">' + lines.map(escapeText).join("<br>") + "</div>";
          marker.setLngLat([label.lon, label.lat]).addTo(map);
          shown += 1;
        });
      }
      for (const [key, marker] of labelMarkers) if (!seen.has(key)) { marker.remove(); labelMarkers.delete(key); }
      view.labelsShown = shown;
      if (view.onLabels) view.onLabels(shown);
    }
    map.on("moveend", updateLabels);
    // Tiled labels follow the tiles: once the view has settled with them.
    map.on("idle", () => { if (Object.keys(labelled).some((name) => layers[name] && layers[name].kind === "tiles")) updateLabels(); });

    // ---- The layer list ----
    let overlayAdded = () => {};
    const switcher = document.createElement("div");
    switcher.className = "maplibregl-ctrl maplibregl-ctrl-group cg-layers";
    map.addControl({ onAdd: () => switcher, onRemove: () => switcher.remove() }, "top-right");
    switcher.addEventListener("change", (e) => {
      const name = e.target.dataset.layer;
      if (!name) return;
      view.show(name, e.target.checked);
      if (e.target.checked) overlayAdded(name);
    });

    // Tiled sources that have loaded and been through a frame since: a frame asks for the tiles of the view (none below
    // a source's minzoom), so from then on areTilesLoaded() speaks for them. Before it, it holds for a source just added.
    const settled = new Set(), unsettled = new Set();
    map.on("sourcedata", (e) => { if (e.sourceDataType === "metadata" && e.sourceId && e.sourceId.startsWith("cg-")) unsettled.add(e.sourceId); });
    map.on("render", () => { for (const id of unsettled) settled.add(id); unsettled.clear(); });
    // Every tiled source the view draws has asked for its tiles and loaded them.
    function tilesStand() {
      if (!(map.style && map.style.loaded() && map.areTilesLoaded())) return false;
      for (const [name, layer] of Object.entries(layers)) {
        if (layer.kind !== "tiles" || !layer.visible) continue;
        const source = "cg-" + name;
        if (!map.getSource(source) || !map.isSourceLoaded(source) || !settled.has(source)) return false;
      }
      return true;
    }

    // Work waits for the style; calls made before it loads run in order once it has.
    let chain = loaded;
    function whenLoaded(work) { chain = chain.then(work).catch((error) => console.error(error)); return chain; }

    Object.assign(view, {
      /// Replaces a layer's features (GeoJSON). spec: { style(f), tooltip(f) -> html, icon(f) -> {glyph, colour, shape},
      /// interactive, onClick(f), visible }.
      setLayer(name, features, spec) {
        const existing = layers[name];
        layers[name] = { spec, kind: "geojson", ids: existing ? existing.ids : [], features: features.slice(), visible: spec.visible !== false };
        whenLoaded(() => {
          if (map.getSource("cg-" + name)) {
            map.getSource("cg-" + name).setData(styled(name));
            for (const id of layers[name].ids) map.setLayoutProperty(id, "visibility", visibility(layers[name].visible));
          } else {
            layers[name].ids = [];
            createGeoJSON(name, spec);
          }
          if (labelled[name]) updateLabels();
        });
      },
      /// A layer drawn from the collection's vector tiles. spec: { collection, rules (the best-level colours on the
      /// tiles' properties), areas() (shaded areas), cells() (shaded cells of merged buildings), icon(f) with
      /// iconProperty, style() for lines, tooltip(f), interactive, visible, minzoom, maxzoom (drawn below it; its tiles
      /// are asked up to the zoom before it), follows (the name of the layer whose switch shows and hides it too) }.
      setTileLayer(name, spec) {
        layers[name] = { spec, kind: "tiles", ids: [], features: [], visible: spec.visible !== false, colourKey: null };
        whenLoaded(() => {
          const source = "cg-" + name;
          map.addSource(source, { type: "vector", minzoom: spec.minzoom || 0, maxzoom: spec.maxzoom ? Math.min(16, spec.maxzoom - 1) : 16,
            tiles: [new URL("/collections/" + spec.collection + "/tiles/WebMercatorQuad/{z}/{y}/{x}" + tileSuffix, location.href).href.replace(/%7B/g, "{").replace(/%7D/g, "}")] });
          const layout = { visibility: visibility(layers[name].visible) };
          const base = { source, "source-layer": spec.collection };
          if (spec.icon) {
            // One image per value of the property, made when a tile first shows it.
            addLayer(name, { id: source + "-icon", type: "symbol", ...base, layout: { ...layout, "icon-image": tileIconExpression(name),
                                                                                          "icon-allow-overlap": true, "icon-ignore-placement": true } });
          } else if (spec.areas) {
            // Areas: a fill by the share classes on the tiles' figures, a dashed outline, and the focused one solid.
            const s = spec.areas();
            addLayer(name, { id: source + "-fill", type: "fill", ...base, layout, paint: { "fill-color": areaFill(s), "fill-opacity": areaOpacity(s) } });
            addLayer(name, { id: source + "-line", type: "line", ...base, layout, filter: ["!=", ["get", "code"], s.focus || ""],
                             paint: { "line-color": s.stroke, "line-width": s.weight, ...(s.dash ? { "line-dasharray": s.dash } : {}) } });
            addLayer(name, { id: source + "-focus", type: "line", ...base, layout, filter: ["==", ["get", "code"], s.focus || ""],
                             paint: { "line-color": s.focusStroke || s.stroke, "line-width": s.focusWeight || s.weight } });
          } else if (spec.cells) {
            // Cells of merged small buildings and the buildings drawn on their own, shaded by their households' share.
            // A new theme's colours at once: between an expression and a colour MapLibre keeps the old one for the
            // whole transition.
            const s = spec.cells();
            addLayer(name, { id: source + "-fill", type: "fill", ...base, layout, ...(spec.maxzoom ? { maxzoom: spec.maxzoom } : {}),
                             paint: { "fill-color": cellFill(s), "fill-opacity": s.fillOpacity, "fill-color-transition": { duration: 0, delay: 0 } } });
          } else if (spec.rules) {
            addLayer(name, { id: source + "-fill", type: "fill", ...base, layout, paint: { "fill-color": colourExpression(name), "fill-opacity": 0.75 } });
            addLayer(name, { id: source + "-line", type: "line", ...base, layout, minzoom: 15, paint: { "line-color": colourExpression(name), "line-width": 0.6 } });
          } else {
            const s = spec.style ? spec.style({ properties: {} }) : { stroke: "#888888" };
            addLayer(name, { id: source + "-line", type: "line", ...base, layout, paint: { "line-color": s.stroke, "line-width": s.weight ?? 1, "line-opacity": s.opacity ?? 1 } });
          }
        });
      },
      /// Colours of a tiled layer's features by id (feature state), the rest `fallback`; null colours go back to the
      /// rules on the tiles' properties. `key` names the set, so the same one is not applied twice.
      colourFeatures(name, key, colours, fallback) {
        const layer = layers[name];
        if (!layer || layer.colourKey === key) return;
        layer.colourKey = key;
        layer.fallback = fallback;
        whenLoaded(() => {
          const target = { source: "cg-" + name, sourceLayer: layer.spec.collection };
          map.removeFeatureState(target);
          if (colours) for (const [id, colour] of colours) map.setFeatureState({ ...target, id }, { colour });
          for (const id of layer.ids) map.setPaintProperty(id, map.getLayer(id).type === "fill" ? "fill-color" : "line-color", colourExpression(name));
        });
      },
      /// Resolves once the map has drawn the view with every tile of its sources loaded: `at`, when it was seen drawn
      /// (performance.now()), and for each of the named layers the number of its features drawn (`counts`, {name: n}).
      /// Checked on a timer (a frame is asked for each time), not on "idle" alone, which a page whose frames the
      /// browser holds back may never see.
      drawn(names) {
        // After the work asked before it, without holding up the work asked after it (a layer added meanwhile).
        return whenLoaded(() => {}).then(() => new Promise((resolve) => {
          // A frame drawn after this was asked: a view just moved asks for its tiles in its next frame.
          const asked = performance.now();
          const check = () => {
            if (tilesStand() && !map.isMoving() && lastRender > asked && lastRender >= lastTile) {
              const at = performance.now();
              // The view stands with its tiles: their labels now, not on an "idle" event that may never come.
              updateLabels();
              const counts = {};
              for (const name of names) {
                const layer = layers[name];
                const ids = layer && layer.visible ? layer.ids.filter((id) => map.getLayer(id)) : [];
                const seen = new Set();
                for (const f of ids.length ? map.queryRenderedFeatures({ layers: ids }) : []) seen.add(f.id);
                counts[name] = seen.size;
              }
              resolve({ at, counts });
              return;
            }
            map.triggerRepaint();
            setTimeout(check, 50);
          };
          check();
        }));
      },
      /// The properties of a tiled layer's features in the loaded tiles (one per feature id).
      tileFeatures(name) {
        const layer = layers[name];
        if (!layer || layer.kind !== "tiles" || !map.getSource("cg-" + name)) return [];
        const seen = new Map();
        for (const f of map.querySourceFeatures("cg-" + name, { sourceLayer: layer.spec.collection })) if (!seen.has(f.id)) seen.set(f.id, f.properties);
        return [...seen.values()];
      },
      addFeatures(name, features) {
        const layer = layers[name];
        if (!layer) return;
        layer.features.push(...features);
        whenLoaded(() => { if (map.getSource("cg-" + name)) map.getSource("cg-" + name).setData(styled(name)); });
      },
      clear(name) { if (layers[name] && layers[name].kind === "geojson") view.setLayer(name, [], layers[name].spec); },
      has(name) { return Boolean(layers[name]) && (layers[name].kind === "tiles" || layers[name].features.length > 0); },
      restyle(name) {
        const layer = layers[name];
        if (layer && layer.kind === "tiles" && layer.spec.cells) {
          whenLoaded(() => {
            const s = layer.spec.cells(), id = "cg-" + name + "-fill";
            if (!map.getLayer(id)) return;
            map.setPaintProperty(id, "fill-color", cellFill(s));
            map.setPaintProperty(id, "fill-opacity", s.fillOpacity);
          });
          return;
        }
        if (layer && layer.kind === "tiles" && layer.spec.areas) {
          whenLoaded(() => {
            const s = layer.spec.areas(), source = "cg-" + name;
            if (!map.getLayer(source + "-fill")) return;
            map.setPaintProperty(source + "-fill", "fill-color", areaFill(s));
            map.setPaintProperty(source + "-fill", "fill-opacity", areaOpacity(s));
            map.setFilter(source + "-line", ["!=", ["get", "code"], s.focus || ""]);
            map.setFilter(source + "-focus", ["==", ["get", "code"], s.focus || ""]);
          });
          return;
        }
        if (!layer || layer.kind !== "geojson") return;
        whenLoaded(() => { if (map.getSource("cg-" + name)) map.getSource("cg-" + name).setData(styled(name)); });
      },
      redrawIcons(name) {
        const layer = layers[name];
        if (!layer) return;
        if (layer.kind === "geojson") { view.restyle(name); return; }
        if (!layer.spec.icon || !layer.madeIcons) return;
        // New image names only when an icon changed (its glyph depends on the language): a new name lays the tiles out again.
        const changed = [...layer.madeIcons].some(([value, made]) => iconImage(layer.spec.icon({ properties: { [layer.spec.iconProperty]: value } })) !== made);
        if (!changed) return;
        layer.madeIcons = new Map();
        layer.iconVersion = (layer.iconVersion || 0) + 1;
        whenLoaded(() => { for (const id of layer.ids) map.setLayoutProperty(id, "icon-image", tileIconExpression(name)); });
      },
      setLabels(name, labelOf) { labelled[name] = labelOf; whenLoaded(updateLabels); },
      refreshLabels() { whenLoaded(updateLabels); },
      setLayerNames(names) {
        switcher.innerHTML = Object.entries(names).filter(([name]) => layers[name]).map(([name, title]) =>
          '<label><input type="checkbox" data-layer="' + escapeText(name) + '"' + (layers[name].visible ? " checked" : "") + "> " + escapeText(title) + "</label>").join("");
      },
      show(name, visible) {
        const layer = layers[name];
        if (!layer) return;
        layer.visible = visible;
        whenLoaded(() => { for (const id of layer.ids) map.setLayoutProperty(id, "visibility", visibility(visible)); if (labelled[name]) updateLabels(); });
        for (const [other, following] of Object.entries(layers)) if (following.spec.follows === name) view.show(other, visible);
      },
      /// The view at this zoom on its centre.
      zoomTo(zoom) { map.jumpTo({ zoom }); },
      zoom() { return map.getZoom(); },
      /// The cells and buildings a cell layer draws in the view, each once (a building crossing tiles comes in pieces):
      /// how many, the sums of `figures(properties)`'s households and met over them, and up to `limit` of them with
      /// the colour MapLibre gives their fill (the layer's own style expression evaluated on the feature), for checks
      /// against their sums.
      drawnCells(name, figures, limit) {
        const layer = layers[name];
        const id = "cg-" + name + "-fill";
        const drawn = { count: 0, households: 0, met: 0, sample: [] };
        if (!layer || !layer.visible || !map.getLayer(id) || map.getZoom() >= (map.getLayer(id).maxzoom ?? 99)) return drawn;
        const fill = map.getLayer(id).paint.get("fill-color");
        const hex = (c) => "#" + [c.r, c.g, c.b].map((v) => Math.round(Math.min(1, Math.max(0, c.a ? v / c.a : v)) * 255).toString(16).padStart(2, "0")).join("");
        const seen = new Set();
        for (const f of map.queryRenderedFeatures({ layers: [id] })) {
          // A cell has no id: its square tells it apart.
          const key = f.id !== undefined ? "b" + f.id : JSON.stringify(f.geometry.coordinates);
          if (seen.has(key)) continue;
          seen.add(key);
          const figure = figures(f.properties);
          drawn.count += 1;
          drawn.households += figure.households;
          drawn.met += figure.met ?? 0;
          if (drawn.sample.length < limit) drawn.sample.push({ ...figure, colour: hex(fill.evaluate({ type: 3, properties: f.properties, id: f.id }, {}, undefined, [])) });
        }
        return drawn;
      },
      /// Fits the view to box ([west, south, east, north]); with minZoom, no further out than it (then on the box's centre).
      fit(box, minZoom) {
        if (!box) return;
        map.resize();
        map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 12, animate: false });
        if (minZoom !== undefined && map.getZoom() < minZoom) map.jumpTo({ center: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], zoom: minZoom });
      },
      viewBox() { const b = map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; },
      marker(point) {
        if (view.origin) view.origin.remove();
        if (!point) { view.origin = null; return; }
        const dot = document.createElement("div");
        dot.className = "cg-origin";
        view.origin = new maplibregl.Marker({ element: dot, anchor: "center" }).setLngLat([point.lon, point.lat]).addTo(map);
      },
      credit(text) {
        if (credits.includes(text)) return;
        credits.push(text);
        showCredits();
      },
      onOverlayAdd(callback) { overlayAdded = callback; },
    });

    // An area's fill: the class colour of its share property at the breaks, `none` without households; one colour
    // when the style has no shares.
    function areaFill(s) {
      if (!s.shares) return s.fill;
      const step = ["step", ["to-number", ["get", s.shares.property], 0], s.shares.colours[0]];
      s.shares.breaks.forEach((b, i) => step.push(b, s.shares.colours[Math.min(i + 1, s.shares.colours.length - 1)]));
      return ["case", ["all", ["has", s.shares.property], [">", ["to-number", ["get", s.shares.households], 0], 0]], step, s.shares.none];
    }

    // A cell's fill: from its sums, the class colour of the share of its households meeting the level or requirement
    // (`met` over `households`), as areas are shaded; a building drawn on its own is a cell of one, meeting the theme
    // or not (for a level, `levels`, the levels it meets, lists the level's minutes; for a requirement, null, it
    // carries `met` itself); `none` without households or figures. One colour when the style has no shares.
    function cellFill(s) {
      if (!s.shares) return s.fill;
      const c = s.shares;
      const isCell = ["has", c.cellProperty];
      const households = ["to-number", ["get", c.households], 0];
      const levels = ["concat", ",", ["to-string", ["get", c.levels || ""]], ","];
      const met = c.levels ? ["case", isCell, ["to-number", ["get", c.met], 0], ["in", "," + c.minutes + ",", levels], households, 0]
        : ["to-number", ["get", c.met], 0];
      const step = ["step", ["/", met, households], c.colours[0]];
      c.breaks.forEach((b, i) => step.push(b, c.colours[Math.min(i + 1, c.colours.length - 1)]));
      const figured = c.levels ? ["case", isCell, ["has", c.met], ["has", c.levels]] : ["has", c.met];
      return ["case", ["all", figured, [">", households, 0]], step, c.none];
    }

    // Its opacity: `fillOpacity`, and from `fadeFromZoom` on `fadedOpacity` (communities give way to their grids).
    function areaOpacity(s) { return s.fadeFromZoom ? ["step", ["zoom"], s.fillOpacity, s.fadeFromZoom, s.fadedOpacity] : s.fillOpacity; }

    // The best-level rules on the tiles' properties, with a feature's own colour (feature state) first.
    function colourExpression(name) {
      const layer = layers[name];
      const rules = layer.spec.rules;
      let fromProperties = layer.fallback || rules.otherwise;
      if (!layer.fallback) {
        const cases = ["case", ["!", ["has", rules.missing.property]], rules.missing.colour];
        const listed = ["concat", ",", ["to-string", ["get", rules.tokens.property]], ","];
        for (const [token, colour] of rules.tokens.items) cases.push(["in", "," + token + ",", listed], colour);
        cases.push(rules.otherwise);
        fromProperties = cases;
      }
      return ["coalesce", ["feature-state", "colour"], fromProperties];
    }

    function tileIconPrefix(name) { return "cg-tile-" + name + "-" + (layers[name].iconVersion || 0) + "-"; }
    function tileIconExpression(name) { return ["concat", tileIconPrefix(name), ["to-string", ["get", layers[name].spec.iconProperty]]]; }
    // Icons of tiled layers, made from the logic's icon for the feature's property value when a tile first needs one.
    map.on("styleimagemissing", (e) => {
      for (const [name, layer] of Object.entries(layers)) {
        if (layer.kind !== "tiles" || !layer.spec.icon) continue;
        const prefix = tileIconPrefix(name);
        if (!e.id.startsWith(prefix)) continue;
        const value = e.id.slice(prefix.length);
        const made = iconImage(layer.spec.icon({ properties: { [layer.spec.iconProperty]: value } }));
        (layer.madeIcons ??= new Map()).set(value, made);
        if (!map.hasImage(e.id)) map.addImage(e.id, images.get(made), { pixelRatio: 2 });
      }
    });
    // A base map's tile that does not load leaves a gap, as in Leaflet; anything else is a page fault.
    map.on("error", (e) => { if (e.sourceId !== "basemap") console.error("map: " + ((e.error && e.error.message) || e.type)); });
    return view;
  },
};
