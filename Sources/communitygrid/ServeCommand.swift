import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridServer
import GridStore
import GridTiles

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store over HTTP: OGC API – Features, coverage, isochrones, grid runs and a map page.",
        discussion: """
            Reads are open. Writes (POST /runs, /runs/ID/apply, /runs/ID/revert) need Authorization: Bearer TOKEN, \
            with the token from the COMMUNITYGRID_TOKEN environment variable or --token-file; without one, writes are \
            refused. The map page is at / in a browser; /api has the OpenAPI document. --profile and --speed set the \
            active profile: isochrones that name no other, and the map's clicks, use its reach rule and levels.
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 = any free port).") var port = 8080
    @Option(name: .customLong("token-file"), help: "File holding the bearer token for writes.") var tokenFile: String?
    @Option(name: .customLong("cors-origin"), help: "Allow browser pages from this origin (or *) to call the API.") var corsOrigin: String?
    @Option(name: .customLong("leaflet"), help: "Folder with Leaflet (Debian's libjs-leaflet).") var leaflet = "/usr/share/javascript/leaflet"
    @Option(name: .customLong("maplibre"), help: "Folder with MapLibre GL JS (scripts/setup.sh unpacks it); without it the map page uses Leaflet.")
    var maplibre = "/usr/local/share/javascript/maplibre-gl"
    @Option(name: .customLong("basemap"), help: "Tile URL template of a base map for the map page (e.g. https://tiles.example/{z}/{x}/{y}.png). Default: none.")
    var basemap: String?
    @Flag(name: .customLong("basemap-gcj02"), help: "The base map's tiles are in GCJ-02 (AMap, Tencent): the page asks for GCJ-02 coordinates.")
    var basemapGCJ02 = false
    @Option(name: .customLong("basemap-attribution"), help: "Credit for the base map, shown on the map.") var basemapAttribution = ""

    @Option(name: .customLong("tiles"), help: ArgumentHelp("An MBTiles file `tiles seed` wrote from this store: its tiles are answered from it, not drawn, while the store is unchanged since.", valueName: "FILE.mbtiles"))
    var seededTiles: String?
    @Flag(name: .customLong("reseed"), help: ArgumentHelp("""
        Keep the --tiles file the store's: seed it in the background (as `tiles seed` does, at the lowest priority) when it \
        is missing or the store changed since it was seeded, and again after every change, once the data has been still \
        for 2 s; tiles are drawn meanwhile. The same zooms, layers and datum as the file (default zooms 10-16, every \
        layer, wgs84); the box is the store's.
        """))
    var reseed = false
    @Option(name: .customLong("reseed-zooms"), help: ArgumentHelp("The zooms --reseed seeds (default: the file's, else 10-16).", valueName: "MIN-MAX"))
    var reseedZooms: String?
    @Option(name: .customLong("reseed-threads"), help: "Threads drawing for --reseed, each at the lowest priority (default: 2).")
    var reseedThreads: Int?
    @Option(name: .customLong("tile-cache-mb"), help: "Megabytes of tiles kept in memory (default: an eighth of the machine's memory, 256 to 4096).")
    var tileCacheMB: Int?

    func run() async throws {
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.corsOrigin = corsOrigin
        settings.leafletDirectory = leaflet
        settings.maplibreDirectory = maplibre
        settings.profile = try profileOptions.load()
        if reseed {
            guard let seededTiles else { throw ValidationError("--reseed keeps the --tiles FILE.mbtiles seeded: give --tiles") }
            settings.reseed = try reseedPlan(path: seededTiles, settings: &settings)
        } else if reseedZooms != nil || reseedThreads != nil {
            throw ValidationError("--reseed-zooms and --reseed-threads go with --reseed")
        } else if let seededTiles {
            do { settings.seededTiles = try SeededTiles(path: seededTiles) } catch { throw ValidationError("--tiles \(seededTiles): \(error)") }
        }
        if let tileCacheMB {
            guard (0...(1 << 20)).contains(tileCacheMB) else { throw ValidationError("--tile-cache-mb must be from 0 to 1048576, not \(tileCacheMB)") }
            settings.tileCacheBytes = tileCacheMB << 20
        }
        if let basemap {
            if let problem = Basemap.problem(urlTemplate: basemap) { throw ValidationError("--basemap: \(problem)") }
            settings.basemap = Basemap(urlTemplate: basemap, isGCJ02: basemapGCJ02, attribution: basemapAttribution)
        } else if basemapGCJ02 || !basemapAttribution.isEmpty {
            throw ValidationError("--basemap-gcj02 and --basemap-attribution describe a base map: give its --basemap URL template")
        }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("--token-file: cannot read \(tokenFile)")
            }
            settings.writeToken = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let token = ProcessInfo.processInfo.environment["COMMUNITYGRID_TOKEN"], !token.isEmpty {
            settings.writeToken = token
        }
        if let token = settings.writeToken, token.utf8.count < 16 {
            throw ValidationError("the write token must have at least 16 characters")
        }
        if !FileManager.default.fileExists(atPath: leaflet + "/leaflet.js") {
            Console.note("warning: no Leaflet in \(leaflet) (apt-get install libjs-leaflet); the map page will not draw")
        }
        if let problem = GridServer.mapPageProblem { Console.note("warning: \(problem); the map page will not draw") }
        let store = try self.store.open()
        if let seeded = settings.seededTiles, try TileFingerprint.current(store) != seeded.fingerprint {
            Console.note(settings.reseed == nil ? "warning: the store changed since \(seeded.path) was seeded; its tiles are drawn instead until it is seeded again"
                         : "the store changed since \(seeded.path) was seeded; its tiles are drawn until it is seeded again in the background")
        }
        let host = self.host
        try await GridServer.serve(store: store, settings: settings) { port in
            Console.note("serving \(store.path) at http://\(host):\(port)/ (map page), API description at http://\(host):\(port)/api")
        }
    }

    /// What `--reseed` seeds: the zooms given, else the file's zooms, layers and datum when it is one `tiles seed` wrote,
    /// else zooms 10–16 of every layer in WGS84. A file that cannot be served is reported and seeded again.
    func reseedPlan(path: String, settings: inout ServerSettings) throws -> TileReseeder.Plan {
        guard path.hasSuffix(".mbtiles") else { throw ValidationError("--tiles \(path): the file name must end in .mbtiles") }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--tiles \(path): no directory \(folder)")
        }
        let threads = reseedThreads ?? 2
        guard (1...64).contains(threads) else { throw ValidationError("--reseed-threads must be from 1 to 64, not \(threads)") }
        var zooms: ClosedRange<Int>?
        if let reseedZooms {
            let parts = reseedZooms.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let low = parts[0], let high = parts[1], 0 <= low, low <= high, high <= TileAddress.maximumZoom else {
                throw ValidationError("--reseed-zooms \(reseedZooms): give MIN-MAX, zooms from 0 to \(TileAddress.maximumZoom), e.g. 10-16")
            }
            zooms = low...high
        }
        var plan = TileReseeder.Plan(path: path, zooms: zooms ?? 10...16, workers: threads, report: { Console.note($0) })
        if FileManager.default.fileExists(atPath: path) {
            do {
                let file = try SeededTiles(path: path)
                settings.seededTiles = file
                if case .success(let layers) = TileSeeder.layers(file.layers.joined(separator: ",")) {
                    plan.layers = layers
                    plan.datum = file.datum
                    if zooms == nil { plan.zooms = file.zooms }
                }
            } catch {
                Console.note("warning: --tiles \(path): \(error); it is seeded again in the background")
            }
        }
        return plan
    }
}
