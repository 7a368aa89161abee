import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridModel
import GridServices
import GridStore

struct Suggest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Where new facilities of a category would cover the most uncovered households (greedy maximal covering).",
        discussion: """
            A household is uncovered when its building's nearest facility of the category is farther than the
            category's widest limit in the profile (or --meters). Candidate sites are the walking network's
            junctions, or the points of --candidates (GeoJSON points, or CSV with lon,lat columns).
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "Facility category.") var category: String
    @Option(help: "How many sites.") var count: Int = 3
    @Option(help: "Service distance in metres (default: the profile's limit for the category).") var meters: Double?
    @Option(help: ArgumentHelp("Candidate points: GeoJSON Points or CSV with lon,lat.", valueName: "FILE")) var candidates: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...1000).contains(count) else { throw ValidationError("--count must be between 1 and 1000") }
        if let meters, !(meters > 0 && meters <= 10_000) { throw ValidationError("--meters must be in (0, 10000]") }
    }

    func run() async throws {
        let store = try self.store.open()
        let profile = try profileOptions.load()
        try CoverageRuns.checkCategory(category, store: store, profile: profile)
        let limit = meters.map(Meters.init) ?? profile.horizon(for: category)
        guard limit.value > 0 else {
            throw StoreError.badInput("--category \(category): the profile \(profile.name) has no limit for it; pass --meters")
        }
        var searchProfile = profile
        searchProfile.levels = [.init(minutes: profile.reach.minutes(limit), categories: [.init(category: category, maxDistance: limit.value)])]
        let network = try WalkingNetwork.load(store, rule: profile.reach)
        let (graph, snapper) = (network.graph, network.snapper)
        let buildings = try AnalysisData.buildings(store)
        let coverage = try Coverage.run(graph: graph, snapper: snapper, buildings: buildings,
                                        facilities: try AnalysisData.facilities(store).filter { $0.category == category }, profile: searchProfile)
        let points = try candidates.map(Self.readCandidates)
        let sites = try SiteSuggestion.greedy(
            graph: graph, snapper: snapper, buildings: buildings, needsCover: buildings.indices.map { !coverage.results.isLevelMet(building: $0, level: 0) },
            limit: limit, rule: profile.reach, candidates: points, count: count)
        let uncovered = zip(buildings, coverage.results).filter { !$0.1.levelMet[0] }.reduce(0) { $0 + $1.0.households }
        if json {
            try Console.printJSON([
                "category": category, "limit_m": limit.value, "uncovered_households": uncovered,
                "sites": sites.map { site in
                    ["lon": site.location.longitude, "lat": site.location.latitude,
                     "node": site.node.map { Int(graph.osmNodeID(at: $0)) } as Any? ?? NSNull(),
                     "candidate": site.candidate as Any? ?? NSNull(),
                     "households_added": site.householdsAdded, "buildings_added": site.buildingsAdded,
                     "cumulative_households": site.cumulativeHouseholds] as [String: Any]
                },
            ])
            return
        }
        print("\(category): \(uncovered) households farther than \(Int(limit.value)) m on foot")
        if sites.isEmpty { print("no site adds coverage") }
        for (i, site) in sites.enumerated() {
            print(String(format: "%2d. %.6f,%.6f  +%d households (%d buildings), %d in all", i + 1, site.location.longitude,
                         site.location.latitude, site.householdsAdded, site.buildingsAdded.count, site.cumulativeHouseholds))
        }
    }

    static func readCandidates(_ path: String) throws -> [Coordinate] {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.badInput("\(path): file not found") }
        if path.lowercased().hasSuffix(".csv") {
            let rows = try CSVReader.rows(of: String(decoding: data, as: UTF8.self), path: path)
            guard let header = rows.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
                  let lon = header.firstIndex(of: "lon"), let lat = header.firstIndex(of: "lat") else {
                throw StoreError.badInput("\(path): line 1: needs lon and lat columns")
            }
            return try rows.dropFirst().map { row in
                let fields = row.fields
                guard fields.count > max(lon, lat), let x = Double(fields[lon].trimmingCharacters(in: .whitespaces)),
                      let y = Double(fields[lat].trimmingCharacters(in: .whitespaces)), Coordinate(longitude: x, latitude: y).isValidWGS84
                else { throw StoreError.badInput("\(path): line \(row.line): lon,lat must be WGS84 numbers") }
                return Coordinate(longitude: x, latitude: y)
            }
        }
        let features: [Feature]
        do { features = try GeoJSON.decodeFeatureCollection(data) } catch { throw StoreError.badInput("\(path): \(error)") }
        return try features.enumerated().map { index, feature in
            guard case .point(let point)? = feature.geometry else {
                throw StoreError.badInput("\(path): feature \(index): candidates must be Points")
            }
            return point
        }
    }
}
