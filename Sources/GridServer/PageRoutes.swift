import Foundation
import GridAnalysis
import GridModel
import GridStore
import Hummingbird

/// Landing page (JSON for clients, the map for browsers), OpenAPI document, health, metrics, and the files of the map
/// libraries (Leaflet, MapLibre GL JS).
struct PageRoutes: Sendable {
    let state: ServerState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let format = request.uri.queryParameters["f"].map(String.init)
            if let format, !["json", "html"].contains(format) {
                throw APIProblem.badParameter("f", "f must be json or html, not \"\(format)\"")
            }
            _ = try Self.askedLibrary(request)
            if format == "html" || (format == nil && Self.prefersHTML(request)) {
                return try Self.mapPage(request, settings: state.settings)
            }
            let base = Responses.base(request)
            return Responses.json(.object([
                "title": "CommunityGrid",
                "description": "Community grids, buildings, service facilities and walking coverage (GB 50180-2018 life circles).",
                "links": .array([
                    FeatureRoutes.link(base + "/", "self", Responses.json, "This document"),
                    FeatureRoutes.link(base + "/?f=html", "alternate", "text/html", "Map"),
                    FeatureRoutes.link(base + "/api", "service-desc", OpenAPIDocument.contentType, "OpenAPI definition"),
                    FeatureRoutes.link(base + "/conformance", "conformance", Responses.json, "Conformance classes"),
                    FeatureRoutes.link(base + "/collections", "data", Responses.json, "Collections"),
                    FeatureRoutes.link(base + "/coverage", "http://communitygrid.invalid/rel/coverage", Responses.json, "Coverage summary"),
                    FeatureRoutes.link(base + "/runs", "http://communitygrid.invalid/rel/runs", Responses.json, "Grid runs"),
                ]),
            ]), request: request)
        }
        router.get("/map") { request, _ in try Self.mapPage(request, settings: state.settings) }
        router.get("/api") { request, _ in
            guard let document = OpenAPIDocument.bytes else { throw ServerResources.Missing(file: "openapi.json") }
            return Responses.bytes(document, contentType: OpenAPIDocument.contentType, request: request)
        }
        router.get("/health") { request, _ in
            let counts = try StoredLayers.counts(store: state.store)
            var health: [String: JSONValue] = [
                "status": "ok",
                "features": .object(Dictionary(uniqueKeysWithValues: counts.map { ($0.table, JSONValue.number(Double($0.count))) })),
            ]
            health["seeded_tiles"] = state.seededTilesHealth()
            return Responses.json(.object(health), request: request, cacheable: false)
        }
        router.get("/metrics") { request, _ in
            Responses.bytes(state.metrics.text(), contentType: "text/plain; version=0.0.4; charset=utf-8", request: request, cacheable: false)
        }
        router.get("/static/map/:file") { request, context in
            let name = context.parameters.get("file") ?? ""
            guard let asset = MapPage.assets[name] else { throw APIProblem.notFound("no map page file \(name)") }
            return Responses.bytes(asset.bytes, contentType: asset.contentType, request: request)
        }
        router.get("/static/leaflet/**") { request, context in
            try Self.libraryFile(request, path: context.parameters.getCatchAll().joined(separator: "/"), directory: state.settings.leafletDirectory,
                                 origin: "Leaflet comes from Debian's libjs-leaflet")
        }
        router.get("/static/maplibre/**") { request, context in
            try Self.libraryFile(request, path: context.parameters.getCatchAll().joined(separator: "/"), directory: state.settings.maplibreDirectory,
                                 origin: "MapLibre GL JS is unpacked by scripts/setup.sh")
        }
    }

    /// A file of a map library's folder: only plain names below it (no "..", no hidden files).
    static func libraryFile(_ request: Request, path: String, directory: String, origin: String) throws -> Response {
        guard !path.isEmpty, path.split(separator: "/").allSatisfy({ part in
            !part.hasPrefix(".") && part.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        }) else { throw APIProblem.notFound("no static file \(path)") }
        let file = directory + "/" + path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw APIProblem.notFound("no static file \(path) (\(origin) in \(directory))")
        }
        let type = switch (path as NSString).pathExtension {
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "png": "image/png"
        case "svg": "image/svg+xml"
        case "txt", "md": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
        return Responses.bytes(Array(data), contentType: type, request: request, headers: [.cacheControl: "public, max-age=86400"])
    }

    /// The map library `?lib=` asks for (nil when none); any other value is refused, whatever the page's format.
    static func askedLibrary(_ request: Request) throws -> MapPage.Library? {
        guard let text = request.uri.queryParameters["lib"].map(String.init) else { return nil }
        guard let library = MapPage.Library(rawValue: text) else {
            throw APIProblem.badParameter("lib", "lib must be maplibre or leaflet, not \"\(text.prefix(40))\"")
        }
        return library
    }

    static func prefersHTML(_ request: Request) -> Bool {
        guard let accept = request.headers[.accept] else { return false }
        return accept.contains("text/html")
    }

    /// The map page, drawn with MapLibre GL JS on vector tiles when its files are installed, else with Leaflet;
    /// `?lib=leaflet` asks for Leaflet.
    static func mapPage(_ request: Request, settings: ServerSettings) throws -> Response {
        let asked = try askedLibrary(request)
        let installed = FileManager.default.fileExists(atPath: settings.maplibreDirectory + "/maplibre-gl.js")
        let library: MapPage.Library = asked == .leaflet || !installed ? .leaflet : .maplibre
        let alternative: MapPage.Library? = installed ? (library == .maplibre ? .leaflet : .maplibre) : nil
        return Responses.bytes(Array(MapPage.html(profile: settings.profile, basemap: settings.basemap, library: library, alternative: alternative).utf8),
                               contentType: "text/html; charset=utf-8", request: request)
    }
}
