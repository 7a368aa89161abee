import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridModel
import GridServices
import GridStore

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
        let network = try WalkingNetwork.load(store, rule: profile.reach)
        let (graph, snapper) = (network.graph, network.snapper)
        let loaded = clock.now - started
        let facilities = properties ? try AnalysisData.facilities(store) : []
        let buildings = properties ? PlacedBuildings(try AnalysisData.buildings(store), snapper: snapper, rule: profile.reach) : nil
        let candidates = (0..<Int32(graph.nodeCount)).filter { graph.isInLargestComponent(node: $0) }
        guard !candidates.isEmpty else { throw StoreError.badInput("the store has no walking network; import OSM data first") }
        var random = SplitMix64(seed: seed)
        let origins = (0..<samples).map { _ in graph.coordinate(ofNode: candidates[Int(random.next() % UInt64(max(candidates.count, 1)))]) }
        let options = Isochrone.Options(reach: profile.reach, offNetworkAllowance: Meters(allowance), cellSize: Meters(cellSize))
        let contours: [Isochrone.Contour] = [.minutes(minutes)]
        do { _ = try Isochrone.validate(contours, options: options) } catch { throw IsochroneFlags.flagged(error) }
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
