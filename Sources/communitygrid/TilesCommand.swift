import ArgumentParser
import Dispatch
import Foundation
import GridCommandLine
import GridModel
import GridStore
import GridTiles

struct TilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiles",
        abstract: "Vector tiles of the store written to a file.",
        subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the tiles /tiles/WebMercatorQuad serves (every layer, or those of --layers) over a box and zoom range to an MBTiles 1.3 file.",
            discussion: """
                The tiles are the server's, byte for byte (gzip-compressed in the file, as tippecanoe writes them); tiles \
                with no feature are left out. With --layers naming one layer, the tiles are those of \
                /collections/{id}/tiles/WebMercatorQuad. Drawn on every core. The file appears only when complete: it is written \
                under a hidden temporary name beside --out and renamed at the end.
                """)

        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("min-zoom"), help: "First zoom written.") var minZoom = 10
        @Option(name: .customLong("max-zoom"), help: "Last zoom written.") var maxZoom = 16
        @Option(help: ArgumentHelp("Only tiles over this box (WGS84); default: every layer's features.", valueName: "minLon,minLat,maxLon,maxLat"))
        var bbox: String?
        @Option(help: ArgumentHelp("The layers drawn (default every one: communities,grids,buildings,facilities,network); the box is theirs.",
                                   valueName: "id,id,…")) var layers: String?
        @Option(help: ArgumentHelp("wgs84, or gcj02 for AMap and Tencent base maps.", valueName: "wgs84|gcj02")) var datum = "wgs84"
        @Option(help: ArgumentHelp("The MBTiles file to write (replaced when it exists).", valueName: "FILE.mbtiles")) var out: String
        @Flag(help: "Print the outcome as one JSON object.") var json = false

        func validate() throws {
            let zooms = 0...TileAddress.maximumZoom
            guard zooms.contains(minZoom) else { throw ValidationError("--min-zoom \(minZoom): zooms run from 0 to \(TileAddress.maximumZoom)") }
            guard zooms.contains(maxZoom) else { throw ValidationError("--max-zoom \(maxZoom): zooms run from 0 to \(TileAddress.maximumZoom)") }
            guard minZoom <= maxZoom else { throw ValidationError("--min-zoom \(minZoom) is above --max-zoom \(maxZoom)") }
            guard TileDatum(rawValue: datum) != nil else { throw ValidationError("--datum \(datum): wgs84 or gcj02") }
            if let bbox { _ = try Self.box(bbox) }
            if let layers { _ = try Self.layers(layers) }
            guard out.hasSuffix(".mbtiles") else { throw ValidationError("--out \(out): the file name must end in .mbtiles") }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ValidationError("--out \(out) is a directory")
            }
            let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--out \(out): no directory \(folder)")
            }
            guard FileManager.default.isWritableFile(atPath: folder) else { throw ValidationError("--out \(out): cannot write in \(folder)") }
        }

        static func box(_ text: String) throws -> BoundingBox {
            let box: BoundingBox
            do { box = try BoundingBox.parse(text) } catch { throw ValidationError("--bbox \(text): \(error)") }
            guard box.minLongitude >= -180, box.maxLongitude <= 180, box.minLatitude >= -WebMercator.maximumLatitude,
                  box.maxLatitude <= WebMercator.maximumLatitude else {
                throw ValidationError("--bbox \(text): longitudes run from -180 to 180 and latitudes from -85.0511 to 85.0511 (WebMercatorQuad)")
            }
            return box
        }

        static func layers(_ text: String) throws -> [FeatureCollection] {
            switch TileSeeder.layers(text) {
            case .success(let layers): return layers
            case .failure(let error):
                throw ValidationError("--layers \(text): no layer \"\(error.name)\"; the layers are \(FeatureCollection.all.map(\.id).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let store = try self.store.open()
            let datum = TileDatum(rawValue: datum) ?? .wgs84
            let given = try bbox.map(Self.box)
            let layers = try layers.map(Self.layers) ?? FeatureCollection.all
            guard let box = try TileSeeder.box(store: store, given: given, layers: layers) else {
                throw ValidationError(layers.count == FeatureCollection.all.count ? "the store holds no features to draw tiles of; import a layer first"
                                      : "--layers \(layers.map(\.id).joined(separator: ",")): no features to draw tiles of")
            }
            let count = TileSeeder.tileCount(minZoom: minZoom, maxZoom: maxZoom, box: box, datum: datum)
            guard count <= TileSeeder.maximumTiles else {
                throw ValidationError("--max-zoom \(maxZoom) over this box is \(count) tiles, more than \(TileSeeder.maximumTiles): lower --max-zoom or give a smaller --bbox")
            }
            // An interrupted run leaves neither the output nor its temporary file.
            let temporary = TileSeeder.temporaryPath(for: out)
            var handlers: [any DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler {
                    unlink(temporary)
                    Console.note("interrupted; \(temporary) removed, nothing written")
                    Foundation.exit(1)
                }
                source.resume()
                handlers.append(source)
            }
            let started = Date()
            let outcome = try TileSeeder.seed(store: store, request: .init(minZoom: minZoom, maxZoom: maxZoom, bbox: given, datum: datum, output: out, layers: layers)) { z, drawn, total in
                Console.progress("zoom \(z): \(drawn) of \(total) tiles drawn")
            }
            Console.endProgress()
            handlers.forEach { $0.cancel() }
            let seconds = Date().timeIntervalSince(started)
            if json {
                try Console.printJSON([
                    "out": out, "tiles": outcome.tiles, "tiles_drawn": outcome.tilesDrawn, "layers_kept": outcome.layersKept, "bytes": outcome.bytes,
                    "seconds": (seconds * 1000).rounded() / 1000, "min_zoom": minZoom, "max_zoom": maxZoom, "datum": datum.rawValue,
                    "layers": layers.map(\.id),
                    "tiles_by_zoom": Dictionary(uniqueKeysWithValues: outcome.tilesByZoom.map { ("\($0.key)", $0.value) }),
                    "bbox": [outcome.bbox.minLongitude, outcome.bbox.minLatitude, outcome.bbox.maxLongitude, outcome.bbox.maxLatitude],
                ])
            } else {
                let kept = outcome.layersKept > 0 ? "; \(outcome.layersKept) unchanged layers taken from the file before" : ""
                print("\(out): \(outcome.tiles) tiles (zooms \(minZoom)–\(maxZoom), \(outcome.tilesDrawn) drawn\(kept)), \(outcome.bytes) bytes, \(String(format: "%.1f", seconds)) s")
                for z in outcome.tilesByZoom.keys.sorted() { print("  zoom \(z): \(outcome.tilesByZoom[z]!) tiles") }
            }
        }
    }
}
