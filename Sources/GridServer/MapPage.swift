import Foundation
import GridAnalysis
import GridModel

/// The browser map served at `/`: one self-contained page over this server's OGC API - Features collections.
///
/// No base map tiles (the server may run offline); Leaflet comes from the server's `/static/leaflet/`.
/// For automated browser checks the page keeps its state on `<div id="status">`: `data-communities`,
/// `data-grids`, `data-buildings`, `data-facilities` (features loaded), `data-network` and `data-isochrones`
/// (once loaded), `data-errors` (script errors, `console.error` calls and failed requests, each listed in
/// the element's text) and `data-ready="true"` once the four main layers have finished, with or without
/// errors. `#at=LON,LAT` in the address draws the isochrones from that point, as a click would.
///
/// A click asks for the isochrones of the server's active profile: its levels' minutes at its walking speed,
/// the reach rule coverage applies, so a building inside a contour is one the coverage run counts as reached.
enum MapPage {
    /// The page for the active profile.
    static func html(profile: LifeCircleProfile) -> String {
        let minutes = profile.levels.map(\.minutes)
        let lifeCircle = JSONValue.object([
            "profile": .string(profile.name), "speed": .number(profile.walkingSpeed),
            "minutes": .array(minutes.map(JSONValue.number)),
        ])
        // Sorted keys: the page is the same bytes on every request, so its ETag is too.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let script = String(decoding: (try? encoder.encode(lifeCircle)) ?? Data("{}".utf8), as: UTF8.self)
            .replacingOccurrences(of: "</", with: "<\\/")
        let numbers = minutes.map { JSONValue.number($0).stringValue ?? "\($0)" }
        let list = numbers.count > 1 ? numbers.dropLast().joined(separator: ", ") + " and " + (numbers.last ?? "") : numbers.joined()
        let speed = JSONValue.number(profile.walkingSpeed).stringValue ?? "\(profile.walkingSpeed)"
        let header = "Click the map for \(list)-minute walking isochrones (profile \(escape(profile.name)), \(speed) m/s)."
        return template.replacingOccurrences(of: "__LIFE_CIRCLE__", with: script).replacingOccurrences(of: "__HEADER__", with: header)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let template: String = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>CommunityGrid map</title>
    <link rel="stylesheet" href="/static/leaflet/leaflet.css">
    <style>
      html, body { height: 100%; margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #222; }
      body { display: flex; flex-direction: column; }
      header { padding: 6px 12px; background: #2f3e46; color: #fff; display: flex; gap: 16px; align-items: baseline; }
      header h1 { font-size: 17px; margin: 0; }
      header p { margin: 0; font-size: 13px; opacity: .85; }
      #map { flex: 1; background: #f4f1ea; }
      #status { padding: 4px 12px; font-size: 12px; background: #eee; border-top: 1px solid #ccc; max-height: 6em; overflow: auto; }
      #status ul { margin: 2px 0; padding-left: 18px; color: #b00020; }
      .legend { background: #fff; padding: 6px 10px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); line-height: 1.5; max-width: 220px; }
      .legend h2 { font-size: 12px; margin: 4px 0 2px; text-transform: uppercase; letter-spacing: .04em; }
      .legend ul { list-style: none; margin: 0; padding: 0; }
      .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; border: 1px solid #555; }
      .dot { border-radius: 50%; }
      #notice:empty { display: none; }
      #notice { background: #fff; padding: 4px 8px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
    </style>
    </head>
    <body>
    <header>
      <h1>CommunityGrid</h1>
      <p>__HEADER__</p>
    </header>
    <div id="map" role="region" aria-label="Map of communities, grids, buildings and facilities"></div>
    <div id="status" role="status" aria-live="polite" data-communities="0" data-grids="0" data-buildings="0"
         data-facilities="0" data-errors="0" data-ready="false"><span id="summary">Loading…</span><ul id="errors"></ul></div>
    <script src="/static/leaflet/leaflet.js"></script>
    <script>
    "use strict";
    const statusBox = document.getElementById("status");
    const errorList = document.getElementById("errors");
    const counts = { communities: 0, grids: 0, buildings: 0, facilities: 0 };
    let errorCount = 0;

    // Errors are counted and listed so that a headless browser run can tell a clean load from a broken one.
    function recordError(message) {
      errorCount += 1;
      statusBox.dataset.errors = String(errorCount);
      const item = document.createElement("li");
      item.textContent = message;
      errorList.appendChild(item);
    }
    const consoleError = console.error.bind(console);
    console.error = (...args) => { recordError(args.map(String).join(" ")); consoleError(...args); };
    window.addEventListener("error", (e) => recordError("script error: " + (e.message || e.type)));
    window.addEventListener("unhandledrejection", (e) => recordError("unhandled: " + (e.reason && e.reason.message || e.reason)));

    function escapeHTML(value) {
      return String(value ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
    }
    function showCount(layer, n) {
      counts[layer] = n;
      statusBox.dataset[layer] = String(n);
      document.getElementById("summary").textContent =
        Object.entries(counts).map(([name, count]) => count + " " + name).join(", ");
    }

    // One canvas for every clickable layer: stacked canvases would hide the lower ones from the mouse.
    const renderer = L.canvas({ padding: 0.2 });
    const map = L.map("map", { center: [35, 105], zoom: 4, renderer, zoomSnap: 0.25 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    // Isochrones sit under the canvas and take no clicks, so buildings stay readable above them.
    map.createPane("isochrones").style.zIndex = 350;
    let osmCredited = false;
    function creditOSM() {
      if (osmCredited) return;
      osmCredited = true;
      map.attributionControl.addAttribution('Data © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors');
    }

    const coverageColours = { met: "#1a9850", notMet: "#d73027", noData: "#9e9e9e" };
    const categoryColours = {
      clinic: "#e41a1c", pharmacy: "#f781bf", school: "#377eb8", kindergarten: "#00bcd4",
      elderly_care: "#984ea3", grocery: "#ff7f00", community_service: "#a65628",
      rail_station: "#222222", transit_stop: "#ffd92f",
    };
    // The server's active profile: its name, walking speed and level minutes.
    const lifeCircle = __LIFE_CIRCLE__;
    const contourPalette = ["#08519c", "#3182bd", "#9ecae1", "#c6dbef", "#deebf7"];
    const minuteColours = Object.fromEntries(lifeCircle.minutes.map((m, i) => [m, contourPalette[Math.min(i, contourPalette.length - 1)]]));
    const otherColour = "#777777";

    const layers = {
      communities: L.geoJSON(null, {
        style: { color: "#2f3e46", weight: 3, fill: true, fillOpacity: 0.02 },
        onEachFeature: (f, layer) => layer.bindTooltip(escapeHTML(f.properties.name || f.properties.code), { sticky: true }),
      }),
      grids: L.geoJSON(null, {
        style: { color: "#6a4c93", weight: 1.5, dashArray: "4 3", fill: true, fillOpacity: 0.03 },
        onEachFeature: (f, layer) => layer.bindTooltip(
          escapeHTML(f.properties.code) + (f.properties.name ? "<br>" + escapeHTML(f.properties.name) : ""), { sticky: true }),
      }),
      buildings: L.geoJSON(null, {
        style: (f) => {
          const met = f.properties.coverage_met;
          const colour = met === true ? coverageColours.met : met === false ? coverageColours.notMet : coverageColours.noData;
          return { color: colour, weight: 0.6, fillColor: colour, fillOpacity: 0.55 };
        },
        onEachFeature: (f, layer) => {
          const p = f.properties;
          if (p.source === "osm") creditOSM();
          const levels = Array.isArray(p.coverage_levels_met) ? p.coverage_levels_met.join(", ") : (p.coverage_levels_met ?? "—");
          const met = p.coverage_met === true ? "met" : p.coverage_met === false ? "not met" : "no coverage run";
          layer.bindTooltip(
            (p.name ? escapeHTML(p.name) + "<br>" : "") + "Households: " + escapeHTML(p.households ?? "?") +
            "<br>Grid: " + escapeHTML(p.grid_code ?? "—") + "<br>Coverage: " + met + "<br>Levels met: " + escapeHTML(levels),
            { sticky: true });
        },
      }),
      network: L.geoJSON(null, { style: { color: "#8a8a8a", weight: 1, opacity: 0.8 }, interactive: false }),
      facilities: L.geoJSON(null, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, {
          radius: 5, color: "#222", weight: 1, fillOpacity: 0.95,
          fillColor: categoryColours[f.properties.category] || otherColour,
        }),
        onEachFeature: (f, layer) => {
          if (f.properties.source === "osm") creditOSM();
          layer.bindTooltip(escapeHTML(f.properties.name || "(unnamed)") + "<br>" + escapeHTML(f.properties.category));
        },
      }),
      isochrones: L.geoJSON(null, {
        pane: "isochrones", interactive: false,
        style: (f) => ({ color: minuteColours[f.properties.minutes] || otherColour, weight: 1.5,
                         fillColor: minuteColours[f.properties.minutes] || otherColour, fillOpacity: 0.25 }),
      }),
    };
    // Added in drawing order: later layers paint over earlier ones on the shared canvas.
    for (const name of ["communities", "grids", "buildings", "facilities", "isochrones"]) layers[name].addTo(map);
    L.control.layers(null, {
      "Communities": layers.communities, "Grids": layers.grids, "Buildings (coverage)": layers.buildings,
      "Facilities": layers.facilities, "Walking network": layers.network, "Isochrones": layers.isochrones,
    }, { collapsed: false }).addTo(map);

    const legend = L.control({ position: "bottomright" });
    legend.onAdd = () => {
      const box = L.DomUtil.create("section", "legend");
      box.setAttribute("aria-label", "Legend");
      const swatch = (colour, dot) => '<span class="swatch' + (dot ? " dot" : "") + '" style="background:' + colour + '"></span>';
      box.innerHTML =
        "<h2>Buildings</h2><ul>" +
        "<li>" + swatch(coverageColours.met) + "all life-circle levels met</li>" +
        "<li>" + swatch(coverageColours.notMet) + "not met</li>" +
        "<li>" + swatch(coverageColours.noData) + "no coverage run</li></ul>" +
        '<h2>Facilities</h2><ul id="facility-legend"><li>loading…</li></ul>' +
        "<h2>Walking isochrones</h2><ul>" +
        lifeCircle.minutes.map((m) => "<li>" + swatch(minuteColours[m]) + m + " minutes</li>").join("") + "</ul>" +
        '<div id="notice" role="status"></div>';
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);

    function fillFacilityLegend(features) {
      const perCategory = new Map();
      for (const f of features) perCategory.set(f.properties.category, (perCategory.get(f.properties.category) || 0) + 1);
      document.getElementById("facility-legend").innerHTML = [...perCategory.entries()].sort()
        .map(([category, n]) => '<li><span class="swatch dot" style="background:' + (categoryColours[category] || otherColour) +
             '"></span>' + escapeHTML(category) + " (" + n + ")</li>").join("") || "<li>none</li>";
    }

    async function fetchJSON(url, signal) {
      const response = await fetch(url, { headers: { Accept: "application/geo+json, application/json" }, signal });
      if (!response.ok) {
        let detail = "";
        try { const body = await response.json(); detail = body.message || body.detail || body.title || ""; } catch (_) {}
        const error = new Error(url + ": HTTP " + response.status + (detail ? " " + detail : ""));
        error.status = response.status;
        throw error;
      }
      return response.json();
    }

    // Follows rel=next links until the collection is exhausted, handing each page over as it arrives.
    async function loadCollection(url, onPage) {
      let features = [];
      let next = new URL(url, location.href);
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

    async function loadLayer(name, url, afterwards) {
      try {
        const features = await loadCollection(url, (batch, total) => {
          layers[name].addData(batch);
          showCount(name, total);
        });
        if (afterwards) afterwards(features);
        return features;
      } catch (error) {
        recordError(name + ": " + error.message);
        if (name === "facilities") document.getElementById("facility-legend").innerHTML = "<li>not loaded</li>";
        return [];
      }
    }

    function boundsOf(layerNames) {
      const bounds = L.latLngBounds([]);
      for (const name of layerNames) {
        const b = layers[name].getBounds();
        if (b.isValid()) bounds.extend(b);
      }
      return bounds;
    }

    async function loadAll() {
      await loadLayer("communities", "/collections/communities/items");
      let extent = boundsOf(["communities"]);
      if (extent.isValid()) map.fitBounds(extent, { padding: [12, 12] });
      // Buildings are the bulk of the data: only those inside the communities' extent.
      const bbox = extent.isValid() ? "&bbox=" + [extent.getWest(), extent.getSouth(), extent.getEast(), extent.getNorth()]
        .map((v) => v.toFixed(6)).join(",") : "";
      await Promise.all([
        loadLayer("grids", "/collections/grids/items?limit=10000"),
        loadLayer("facilities", "/collections/facilities/items?limit=10000", fillFacilityLegend),
        loadLayer("buildings", "/collections/buildings/items?limit=10000" + bbox),
      ]);
      if (!extent.isValid()) {
        extent = boundsOf(["grids", "buildings", "facilities"]);
        if (extent.isValid()) map.fitBounds(extent, { padding: [12, 12] });
      }
      statusBox.dataset.ready = "true";
    }

    let networkRequested = false;
    map.on("overlayadd", (e) => {
      if (e.layer !== layers.network || networkRequested) return;
      networkRequested = true;
      loadLayer("network", "/collections/network/items?limit=10000", (features) => {
        if (features.some((f) => f.properties && f.properties.osm_way_id != null)) creditOSM();
        layers.network.bringToBack();
      });
    });

    let isochroneRequest = null;
    let originMarker = null;
    async function showIsochrones(latlng) {
      const notice = document.getElementById("notice");
      if (isochroneRequest) isochroneRequest.abort();
      const request = new AbortController();
      isochroneRequest = request;
      notice.textContent = "Computing isochrones…";
      if (originMarker) originMarker.remove();
      originMarker = L.circleMarker(latlng, { radius: 6, color: "#000", weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false }).addTo(map);
      const url = "/isochrones?lon=" + latlng.lng.toFixed(6) + "&lat=" + latlng.lat.toFixed(6) +
        "&minutes=" + lifeCircle.minutes.join(",") + "&profile=" + encodeURIComponent(lifeCircle.profile);
      try {
        const body = await fetchJSON(url, request.signal);
        layers.isochrones.clearLayers();
        // Largest first, so the smaller contours stay visible on top.
        const features = (body.features || []).slice().sort((a, b) => b.properties.minutes - a.properties.minutes);
        layers.isochrones.addData(features);
        statusBox.dataset.isochrones = String(features.length);
        notice.textContent = features.length ? "" : "No isochrone from this point.";
      } catch (error) {
        if (error.name === "AbortError") return;
        // A point too far from the network is an answer for the user, not a page fault.
        if (error.status >= 400 && error.status < 500) notice.textContent = error.message.replace(/^.*?HTTP \d+ ?/, "") || "No isochrone here.";
        else { notice.textContent = "Isochrones failed."; recordError("isochrones: " + error.message); }
      }
    }
    map.on("click", (e) => showIsochrones(e.latlng));

    loadAll().then(() => {
      const at = /^#at=(-?[\d.]+),(-?[\d.]+)$/.exec(location.hash);
      if (at) showIsochrones(L.latLng(Number(at[2]), Number(at[1])));
    });
    </script>
    </body>
    </html>
    """#
}
