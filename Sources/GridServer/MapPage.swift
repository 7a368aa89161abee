import Foundation
import GridAnalysis
import GridModel

/// The browser map served at `/` and `/map`, from the files in `Resources/map`: `index.html`, its stylesheet,
/// `map-i18n.js` (Chinese and English texts), `map-logic.js` (class schemes, ranked lists, labels, the page's state:
/// no map-library call) and one adapter that draws: `map-maplibre.js` (MapLibre GL JS on vector tiles, served from
/// the folder `scripts/setup.sh` unpacks at `/static/maplibre/`) or `map-leaflet.js` (Leaflet from Debian's
/// libjs-leaflet at `/static/leaflet/`, GeoJSON of every feature).
///
/// The page gets the active profile and the base map as JSON in `index.html` (`__CONFIG__`); everything else it
/// reads from the HTTP API the OGC clients use. For automated browser checks it keeps its state on
/// `<div id="status">` (see `map-logic.js`).
enum MapPage {
    /// The files below `/static/map/`, by name: bytes and content type, read once.
    static let assets: [String: (bytes: [UInt8], contentType: String)] = {
        var files: [String: (bytes: [UInt8], contentType: String)] = [:]
        for name in ["map.css", "map-i18n.js", "map-logic.js", "map-leaflet.js", "map-maplibre.js"] {
            guard let data = read(name) else { continue }
            files[name] = (Array(data), name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8")
        }
        return files
    }()

    static let template: String = read("index.html").map { String(decoding: $0, as: UTF8.self) }
        ?? "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>CommunityGrid</title><p>地图页面文件缺失（Resources/map/index.html）。</p></html>"

    private static func read(_ name: String) -> Data? {
        guard let folder else { return nil }
        return FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
    }

    /// The page's folder in the server's resources, when its page is installed.
    static let folder: URL? = {
        guard let folder = ServerResources.folder?.appendingPathComponent("map"),
              FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.html").path) else { return nil }
        return folder
    }()

    /// The map library a page draws with.
    enum Library: String, Sendable {
        case maplibre, leaflet

        /// The library's style sheet and script, then the page's adapter to it.
        var styleSheet: String { self == .maplibre ? "/static/maplibre/maplibre-gl.css" : "/static/leaflet/leaflet.css" }
        var script: String { self == .maplibre ? "/static/maplibre/maplibre-gl.js" : "/static/leaflet/leaflet.js" }
        var adapter: String { self == .maplibre ? "/static/map/map-maplibre.js" : "/static/map/map-leaflet.js" }
    }

    /// The page for the active profile and base map, drawn with `library`.
    /// `alternative`: the other library when its page can be served too (a link in the header leads there).
    static func html(profile: LifeCircleProfile, basemap: Basemap?, library: Library = .leaflet, alternative: Library? = nil) -> String {
        let minutes = profile.levels.map(\.minutes)
        var config: [String: JSONValue] = [
            "profile": .string(profile.name), "speed": .number(profile.walkingSpeed),
            "minutes": .array(minutes.map(JSONValue.number)), "basemap": .null, "library": .string(library.rawValue),
        ]
        if let basemap {
            config["basemap"] = .object(["url": .string(basemap.urlTemplate), "gcj02": .bool(basemap.isGCJ02),
                                         "attribution": .string(basemap.attribution)])
        }
        // Sorted keys: the page is the same bytes on every request, so its ETag is too.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let script = String(decoding: (try? encoder.encode(JSONValue.object(config))) ?? Data("{}".utf8), as: UTF8.self)
            .replacingOccurrences(of: "</", with: "<\\/")
        let numbers = minutes.map { JSONValue.number($0).stringValue ?? "\($0)" }
        let speed = JSONValue.number(profile.walkingSpeed).stringValue ?? "\(profile.walkingSpeed)"
        // The header before the scripts run (they rewrite it in the chosen language).
        let header = "点击地图：步行 \(numbers.joined(separator: "、")) 分钟等时圈（方案 \(escape(profile.name))，步速 \(speed) m/s）"
        // The other library's page is one link away (Leaflet draws every feature; MapLibre draws tiles).
        let other = alternative.map { "?lib=\($0.rawValue)" } ?? ""
        return template.replacingOccurrences(of: "__CONFIG__", with: script).replacingOccurrences(of: "__HEADER__", with: header)
            .replacingOccurrences(of: "__LIBRARY_CSS__", with: library.styleSheet).replacingOccurrences(of: "__LIBRARY_JS__", with: library.script)
            .replacingOccurrences(of: "__ADAPTER_JS__", with: library.adapter).replacingOccurrences(of: "__OTHER_LIBRARY__", with: other)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension GridServer {
    /// Why the map page cannot be served (its files are not beside the executable), or nil.
    public static var mapPageProblem: String? {
        MapPage.folder == nil ? "the map page's files (CommunityGrid_GridServer.resources/map) are not beside the executable" : nil
    }
}
