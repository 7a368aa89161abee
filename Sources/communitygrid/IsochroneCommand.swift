import ArgumentParser
import DemoCity
import Foundation
import GridAnalysis
import GridModel
import GridStore

struct IsochroneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isochrone",
        abstract: "Walking isochrones as GeoJSON: nested contours around a point, a facility or a whole category.",
        discussion: """
            Writes a FeatureCollection with one (Multi)Polygon per contour, largest first so smaller ones draw \
            on top. The reach rule is the profile's, as in `coverage` (--profile, --speed): origins and \
            buildings join the nearest point of the nearest edge of the largest connected network within its \
            snap distance, and the straight leg counts as walking. A contour's polygon contains a building's \
            representative point exactly when `coverage` counts that building reached within the contour from \
            the same origins; around the buildings it is the reached network (edges cut at the exact \
            remaining budget) plus --allowance metres off it. A larger contour always contains a smaller one; \
            holes smaller than --min-hole-area are filled unless they hold an unreached building; every \
            polygon is valid (OGC simple features) and follows the RFC 7946 right-hand rule. Properties: \
            contour, unit, distance_m, area_m2, households and buildings reached (coverage's figures), \
            facilities inside by category, reach_factor (area ÷ area of the circle whose radius is the \
            contour's distance).
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Origin longitude (WGS84), with --lat.") var lon: Double?
    @Option(help: "Origin latitude (WGS84), with --lon.") var lat: Double?
    @Option(help: "Origin: one facility, by id.") var facility: Int64?
    @Option(help: "Origin: every facility of this category at once (each place counts from its nearest one).") var category: String?
    @Option(help: ArgumentHelp("Time contours in minutes, comma-separated (at most 60 each).", valueName: "LIST")) var minutes: String?
    @Option(help: ArgumentHelp("Distance contours in metres, comma-separated (at most 5000 each).", valueName: "LIST")) var meters: String?
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "How far off the walking network land still counts as reached, m.") var allowance: Double = 25
    @Option(name: .customLong("cell-size"), help: "Grid cell the polygons are traced on, m.") var cellSize: Double = 5
    @Option(name: .customLong("min-hole-area"), help: "Unreached holes smaller than this are filled, m².") var minHoleArea: Double = 2000

    func validate() throws {
        _ = try origin()
    }

    func origin() throws -> Isochrone.Origin {
        let given = [lon != nil || lat != nil, facility != nil, category != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one origin: --lon X --lat Y, --facility ID or --category C")
        }
        if let category { return .category(category) }
        if let facility { return .facility(facility) }
        guard let lon, let lat else { throw ValidationError(lon == nil ? "--lat needs --lon" : "--lon needs --lat") }
        return .point(Coordinate(longitude: lon, latitude: lat))
    }

    func options(_ profile: LifeCircleProfile) -> Isochrone.Options {
        Isochrone.Options(reach: profile.reach, offNetworkAllowance: Meters(allowance), cellSize: Meters(cellSize), minimumHoleArea: minHoleArea)
    }

    func run() async throws {
        let origin = try origin()
        let profile = try profileOptions.load()
        let contours = try Self.list(minutes, flag: "--minutes").map(Isochrone.Contour.minutes)
            + Self.list(meters, flag: "--meters").map(Isochrone.Contour.meters)
        let options = self.options(profile)
        // Checked before anything is read, so a bad request answers at once.
        do { _ = try Isochrone.validate(contours, options: options) } catch { throw Self.flagged(error) }
        let store = try self.store.open()
        let graph = try AnalysisData.graph(store)
        guard graph.edgeCount > 0 else { throw StoreError.badInput("the store has no walking network; import OSM data first") }
        let snapper = ReachRule.snapper(graph)
        let result: Isochrone.Result
        do {
            result = try Isochrone.run(snapper: snapper, origin: origin, contours: contours, options: options,
                                       facilities: try AnalysisData.facilities(store), buildings: try AnalysisData.buildings(store))
        } catch let error as IsochroneError {
            throw Self.flagged(error)
        }
        if !result.originsOffNetwork.isEmpty {
            Console.error("warning: \(result.originsOffNetwork.count) facilities of the category are farther than \(Int(profile.snapLimit.value)) m from the walking network and were left out: \(result.originsOffNetwork.map(String.init).joined(separator: ", "))")
        }
        Console.standardOutput(result.featureCollection() + "\n")
    }

    /// "5,10,15" → [5, 10, 15]; nil or empty → [].
    static func list(_ text: String?, flag: String) throws -> [Double] {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let value = Double(trimmed) else { throw ValidationError("\(flag): \"\(trimmed)\" is not a number") }
            return value
        }
    }

    /// The core's message with its parameter spelled as this command's flag.
    static func flagged(_ error: any Error) -> any Error {
        guard let error = error as? IsochroneError else { return error }
        let flag: String? = switch error.parameter {
        case .minutes: "--minutes"
        case .meters: "--meters"
        case .contours: "--minutes/--meters"
        case .walkingSpeed: "--speed"
        case .offNetworkAllowance: "--allowance"
        case .cellSize: "--cell-size"
        case .minimumHoleArea: "--min-hole-area"
        case .snapLimit: "--profile"
        case .origin, .facility, .category, .maximumCells: nil
        }
        let name = error.parameter.rawValue + ":"
        guard let flag, error.message.hasPrefix(name) else { return ValidationError(error.message) }
        return ValidationError(flag + ":" + error.message.dropFirst(name.count))
    }
}

struct BenchIsochrone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isochrone",
        abstract: "Time single-origin isochrones from random junctions of the store's network: median and p95 ms.",
        discussion: """
            Picks --samples junctions of the largest connected network at random (seeded) and times, for each, \
            what `isochrone --lon --lat` computes between reading the store and writing the GeoJSON: snapping, \
            the search and the polygons (households and facilities inside are counted separately with \
            --properties). One workspace is reused, as a server would per thread. Speed and snap limit are \
            the profile's.
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "Number of random origins.") var samples: Int = 200
    @Option(help: "Contour, minutes.") var minutes: Double = 15
    @Option(help: "Seed of the origin choice.") var seed: UInt64 = 1
    @Option(name: .customLong("cell-size"), help: "Grid cell, m.") var cellSize: Double = 5
    @Option(help: "Off-network allowance, m.") var allowance: Double = 25
    @Flag(help: "Also count households and facilities inside (timed separately).") var properties = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...100_000).contains(samples) else { throw ValidationError("--samples must be between 1 and 100000") }
    }

    func run() async throws {
        let store = try self.store.open()
        let profile = try profileOptions.load()
        let clock = ContinuousClock()
        var started = clock.now
        let graph = try AnalysisData.graph(store)
        let snapper = ReachRule.snapper(graph)
        let loaded = clock.now - started
        let facilities = properties ? try AnalysisData.facilities(store) : []
        let buildings = properties ? PlacedBuildings(try AnalysisData.buildings(store), snapper: snapper, rule: profile.reach) : nil
        let candidates = (0..<Int32(graph.nodeCount)).filter { graph.isInLargestComponent(node: $0) }
        guard !candidates.isEmpty else { throw StoreError.badInput("the store has no walking network; import OSM data first") }
        var random = SplitMix64(seed: seed)
        let origins = (0..<samples).map { _ in graph.coordinate(ofNode: candidates[Int(random.next() % UInt64(max(candidates.count, 1)))]) }
        let options = Isochrone.Options(reach: profile.reach, offNetworkAllowance: Meters(allowance), cellSize: Meters(cellSize))
        let contours: [Isochrone.Contour] = [.minutes(minutes)]
        do { _ = try Isochrone.validate(contours, options: options) } catch { throw IsochroneCommand.flagged(error) }
        let workspace = IsochroneWorkspace()

        // Warm-up: page in the graph and grow the workspace.
        for origin in origins.prefix(3) {
            _ = try Isochrone.run(snapper: snapper, origin: .point(origin), contours: contours, options: options, workspace: workspace)
        }
        var polygonTimes: [Double] = [], propertyTimes: [Double] = []
        var vertices = 0, reached = 0, area = 0.0, polygons = 0
        for origin in origins {
            started = clock.now
            let result = try Isochrone.run(snapper: snapper, origin: .point(origin), contours: contours, options: options, workspace: workspace)
            polygonTimes.append(Self.milliseconds(clock.now - started))
            if properties {
                started = clock.now
                _ = try Isochrone.run(snapper: snapper, origin: .point(origin), contours: contours, options: options,
                                      facilities: facilities, placedBuildings: buildings, workspace: workspace)
                propertyTimes.append(Self.milliseconds(clock.now - started))
            }
            let band = result.bands[0]
            vertices += band.geometry.polygons.reduce(0) { $0 + ([$1.exterior] + $1.holes).reduce(0) { $0 + $1.coordinates.count } }
            polygons += band.geometry.polygons.count
            reached += result.reachedNodes
            area += band.areaSquareMeters
        }
        let n = Double(samples)
        let summary: [String: Any] = [
            "store": (try? self.store.path()) ?? "", "graph_nodes": graph.nodeCount, "graph_edges": graph.edgeCount,
            "samples": samples, "minutes": minutes, "cell_m": cellSize, "allowance_m": allowance,
            "median_ms": Self.round(Self.quantile(polygonTimes, 0.5)), "p95_ms": Self.round(Self.quantile(polygonTimes, 0.95)),
            "mean_ms": Self.round(polygonTimes.reduce(0, +) / n), "max_ms": Self.round(polygonTimes.max() ?? 0),
            "mean_reached_nodes": Int(Double(reached) / n), "mean_vertices": Int(Double(vertices) / n),
            "mean_polygons": Self.round(Double(polygons) / n), "mean_area_km2": Self.round(area / n / 1e6),
            "load_s": Self.round(Self.milliseconds(loaded) / 1000),
        ]
        var report = summary
        if properties {
            report["with_properties_median_ms"] = Self.round(Self.quantile(propertyTimes, 0.5))
            report["with_properties_p95_ms"] = Self.round(Self.quantile(propertyTimes, 0.95))
        }
        if json { try Console.printJSON(report); return }
        print("isochrone bench: \(graph.nodeCount) junctions, \(graph.edgeCount) edges; \(samples) random origins, \(NumberFormat.plain(minutes)) min, cell \(NumberFormat.plain(cellSize)) m, allowance \(NumberFormat.plain(allowance)) m")
        print(String(format: "  search + polygon: median %.2f ms, p95 %.2f ms (mean %.2f, max %.2f)",
                     Self.quantile(polygonTimes, 0.5), Self.quantile(polygonTimes, 0.95), polygonTimes.reduce(0, +) / n, polygonTimes.max() ?? 0))
        if properties {
            print(String(format: "  with households and facilities inside: median %.2f ms, p95 %.2f ms",
                         Self.quantile(propertyTimes, 0.5), Self.quantile(propertyTimes, 0.95)))
        }
        print(String(format: "  mean per isochrone: %d junctions reached, %.3f km², %.2f polygons, %d vertices",
                     Int(Double(reached) / n), area / n / 1e6, Double(polygons) / n, Int(Double(vertices) / n)))
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15
    }

    /// Nearest-rank quantile.
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }

    static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}


private enum NumberFormat {
    static func plain(_ x: Double) -> String { JSONValue.number(x).stringValue ?? "\(x)" }
}
