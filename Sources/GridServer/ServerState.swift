import Foundation
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Prometheus
import Synchronization

/// Settings of one server.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Bearer token for writes; nil = writes are refused (there is no anonymous write).
    public var writeToken: String?
    /// `Access-Control-Allow-Origin` value; nil = no CORS headers.
    public var corsOrigin: String?
    public var limits = RequestLimits()
    public var connection = ConnectionLimits()
    /// Folder with Leaflet (Debian's libjs-leaflet).
    public var leafletDirectory = "/usr/share/javascript/leaflet"
    /// Folder with MapLibre GL JS (`maplibre-gl.js`, `maplibre-gl.css`; `scripts/setup.sh` unpacks them): the map page
    /// draws on vector tiles with it when it is there, and with Leaflet otherwise.
    public var maplibreDirectory = "/usr/local/share/javascript/maplibre-gl"
    /// The active profile: the reach rule and levels of isochrones that name no other, and of the map page.
    public var profile = LifeCircleProfile.gb50180
    /// The map page's base map; nil = none (the page draws on a plain background and loads nothing from elsewhere).
    public var basemap: Basemap?
    /// Tiles written by `tiles seed`, answered in place of drawing while the store is as it was seeded.
    public var seededTiles: SeededTiles?
    /// Seeds the file of `seededTiles` (or a missing one) again in the background whenever the store's tile fingerprint
    /// is not the file's, while `serve` runs; nil: the file is answered from only while it holds.
    public var reseed: TileReseeder.Plan?
    /// Bytes of drawn and read tiles kept in memory; nil: `TileService.defaultCapacityBytes()` (from the machine's memory).
    public var tileCacheBytes: Int?
    public init() {}
}

/// A raster tile base map for the map page.
public struct Basemap: Sendable, Equatable {
    /// `https://…/{z}/{x}/{y}.png` (`{s}` for subdomains as Leaflet reads it).
    public var urlTemplate: String
    /// The tiles are drawn in GCJ-02 (AMap, Tencent): the page asks the server for GCJ-02 coordinates.
    public var isGCJ02: Bool
    /// Credit shown on the map, as the tile provider asks.
    public var attribution: String

    public init(urlTemplate: String, isGCJ02: Bool = false, attribution: String = "") {
        self.urlTemplate = urlTemplate
        self.isGCJ02 = isGCJ02
        self.attribution = attribution
    }

    /// Why a template cannot be a tile address, or nil when it can.
    public static func problem(urlTemplate: String) -> String? {
        guard urlTemplate.hasPrefix("https://") || urlTemplate.hasPrefix("http://") else {
            return "the base map URL template must start with http:// or https://, not \"\(urlTemplate)\""
        }
        let missing = ["{z}", "{x}", "{y}"].filter { !urlTemplate.contains($0) }
        guard missing.isEmpty else {
            return "the base map URL template \"\(urlTemplate)\" lacks \(missing.joined(separator: ", ")) (e.g. https://tiles.example/{z}/{x}/{y}.png)"
        }
        return nil
    }
}

/// What the network analyses need, loaded once per data version.
struct AnalysisSnapshot: Sendable {
    var version: String
    /// SQLite's data version when `version` was last confirmed; while it holds, nothing needs re-reading.
    var dataVersion: Int64?
    var snapper: EdgeSnapper
    var facilities: [Coverage.Facility]
    /// Placed by the active profile's reach rule.
    var buildings: PlacedBuildings
}

/// Everything the handlers share.
final class ServerState: Sendable {
    let store: Store
    let settings: ServerSettings
    /// The store's feature query engine (typed query in, encoded page out) with its cache.
    let features: any FeatureSource
    let metrics: RequestMetrics
    /// Bounds on concurrent isochrone searches and grid runs (excess requests answer 503 with Retry-After).
    let isochroneSlots: ComputeSlots
    let runSlots: ComputeSlots
    private let analysis = Mutex<AnalysisSnapshot?>(nil)
    /// The latest coverage run rolled up by grid and community: the map's summary and the grid and community tiles.
    let coverageFigures: CoverageAreaFiguresCache
    /// Rendered coverage runs (`/coverage`, `/coverage/runs/{id}`) by run, community and base address, kept while
    /// SQLite's data version holds (any commit empties it): a city's run is read and rolled up once, not per request.
    let coverageAnswers = Mutex<(dataVersion: Int64?, answers: [String: [UInt8]])>((nil, [:]))
    /// Vector tiles, drawn or read from the seeded file, kept in memory.
    let tiles: TileService
    /// Keeps the seeded file the store's while the server runs (`settings.reseed`); started and stopped by `GridServer.serve`.
    let reseeder: TileReseeder?

    init(store: Store, settings: ServerSettings) {
        self.store = store
        self.settings = settings
        features = FeatureReader(store: store)
        coverageFigures = CoverageAreaFiguresCache(store: store)
        metrics = RequestMetrics()
        isochroneSlots = ComputeSlots(capacity: settings.limits.maximumConcurrentIsochrones, work: "isochrone", retryAfterSeconds: 1)
        runSlots = ComputeSlots(capacity: settings.limits.maximumConcurrentRuns, work: "grid run", retryAfterSeconds: 10)
        let tiles = TileService(store: store, capacityBytes: settings.tileCacheBytes ?? TileService.defaultCapacityBytes(),
                                rebuildsIndexInBackground: true, areaFigures: coverageFigures,
                                seeded: settings.seededTiles, represents: TileRoutes.represent)
        self.tiles = tiles
        reseeder = settings.reseed.map { TileReseeder(tiles: tiles, plan: $0) }
    }

    /// The seeded file's state for `/health`: whether tiles are answered from it now (its fingerprint is the store's) and,
    /// with `reseed`, what the background seeding does and how many seedings finished; nil without a file.
    func seededTilesHealth() -> JSONValue? {
        guard settings.seededTiles != nil || reseeder != nil else { return nil }
        var object: [String: JSONValue] = ["current": .bool(tiles.seededIsCurrent())]
        if let status = reseeder?.status {
            object["reseeding"] = .string(status.phase.rawValue)
            object["seedings"] = .number(Double(status.seedings))
            if let tiles = status.lastTiles, let seconds = status.lastSeconds {
                var last: [String: JSONValue] = ["tiles": .number(Double(tiles)), "seconds": .number((seconds * 10).rounded() / 10)]
                // The tiles in use before the change, seeded first, and those drawn on demand, taken rather than drawn again.
                if let hot = status.lastHotTiles { last["hot_tiles"] = .number(Double(hot)) }
                if let hotSeconds = status.lastHotSecondsAfterChange { last["hot_seconds_after_change"] = .number((hotSeconds * 10).rounded() / 10) }
                if let taken = status.lastTakenFromMemory { last["taken_from_memory"] = .number(Double(taken)) }
                // Layers whose own table did not change, taken from the file before rather than drawn again.
                if let kept = status.lastLayersKept { last["layers_kept"] = .number(Double(kept)) }
                object["last_seeding"] = .object(last)
            }
        }
        return .object(object)
    }

    /// The walking network and layers for isochrones, reloaded when any layer changed (its data versions).
    func analysisSnapshot() throws -> AnalysisSnapshot {
        let snapshot = try layersSnapshot()
        guard snapshot.snapper.graph.edgeCount > 0 else {
            throw APIProblem.unprocessable("no-network", "the store has no walking network; import OSM data first")
        }
        return snapshot
    }

    /// The one load of the walking network (through `WalkingNetwork`) and the placed buildings per layer version,
    /// shared by isochrones and case routing; a store without a network gives an empty one.
    func layersSnapshot() throws -> AnalysisSnapshot {
        // The data-version probe is one PRAGMA; AnalysisData.version reads the layer versions, so it runs only after a commit.
        let dataVersion = features.dataVersion()
        let cached = analysis.withLock { $0 }
        if let cached, let dataVersion, cached.dataVersion == dataVersion { return cached }
        let version = try AnalysisData.version(store)
        if var cached, cached.version == version {
            cached.dataVersion = dataVersion
            analysis.withLock { $0 = cached }
            return cached
        }
        let network = try WalkingNetwork.load(store, rule: settings.profile.reach)
        let snapshot = AnalysisSnapshot(
            version: version, dataVersion: dataVersion, snapper: network.snapper,
            facilities: network.facilities,
            buildings: PlacedBuildings(try AnalysisData.buildings(store), snapper: network.snapper, rule: settings.profile.reach))
        analysis.withLock { $0 = snapshot }
        return snapshot
    }
}

/// Prometheus metrics: requests by route, method and status, and latency by route.
final class RequestMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let buckets: [Duration] = [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                      .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                      .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]

    // Descriptors are not Sendable, so they are made where used.
    var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "communitygrid", subsystem: "http", metricName: "requests", unitName: "total",
                             helpText: "HTTP requests answered, by route, method and status")
    }
    var latency: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "communitygrid", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                             helpText: "Time to answer an HTTP request, by route and method")
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: requests, labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: latency, labels: [("route", route), ("method", method)], buckets: Self.buckets)
            .record(duration)
    }

    func text() -> [UInt8] { registry.emitToBuffer() }
}
