import Foundation
import GridAnalysis
import GridModel
import GridReport
import GridStore

/// Assembles a street office's report from the store: coverage figures from a stored run (through the same
/// `CoverageReport.group` the `coverage --format json` output uses, so every figure is that output's), names and
/// shapes, site suggestions (`SiteSuggestion`, the core of `suggest`) and grid balance (`GridReports.stats`).
public enum StreetReports {
    public enum Area: Sendable, Hashable {
        /// A 12-digit community code.
        case community(String)
        /// A 9-digit street code: administrative division (6) + street (3).
        case street(String)
    }

    public struct Request: Sendable {
        public var area: Area
        /// The stored coverage run to report; nil takes the latest current run of `profile`, or computes and stores one.
        public var run: Int64?
        public var profile: LifeCircleProfile
        /// Shown as the area's name instead of the stored one (a street has none in the store).
        public var name: String?
        public var date: String
        public var balanceMinimum = 300
        public var balanceMaximum = 500
        public var sites = 3
        public var worstGrids = 10

        public init(area: Area, run: Int64?, profile: LifeCircleProfile, name: String?, date: String) {
            self.area = area; self.run = run; self.profile = profile; self.name = name; self.date = date
        }
    }

    /// The report and whether a new coverage run was computed and stored for it.
    public static func assemble(_ request: Request, store: Store) throws -> (report: StreetReport, computedRun: Bool) {
        guard request.balanceMinimum >= 0, request.balanceMaximum >= request.balanceMinimum else {
            throw StoreError.badInput("--min/--max: need 0 ≤ min ≤ max (got \(request.balanceMinimum), \(request.balanceMaximum))")
        }
        let communities = try ReportQueries.communities(store)
        let (area, members) = try resolve(request, communities: communities)
        let memberCodes = Set(members.map(\.code))
        let keep: (Coverage.Building) -> Bool = { $0.community.map(memberCodes.contains) ?? false }

        let (loaded, computed) = try coverage(request, store: store)
        let result = loaded.result, profile = result.profile
        let gridNames = try ReportQueries.gridNames(store)
        let communityNames = Dictionary(communities.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })

        let levels = profile.levels.map { level in
            StreetReport.Level(minutes: level.minutes, requirements: level.categories.map {
                StreetReport.Requirement(category: $0.category, label: $0.label, limitMeters: profile.limit($0, at: level).value)
            })
        }
        let total = result.totals { keep($0) ? "all" : nil }.first.map { row($0, profile: profile, name: area.name, community: nil) }
            ?? StreetReport.CoverageRow(code: "all", name: area.name, community: nil, buildings: 0, households: 0, offNetworkBuildings: 0,
                                        levels: profile.levels.map {
                                            .init(householdsCovered: 0, buildingsCovered: 0, share: 0, uncoveredBuildings: 0,
                                                  requirementHouseholds: $0.categories.map { _ in 0 }, requirementShares: $0.categories.map { _ in 0 })
                                        })
        let communityRows = result.totals { keep($0) ? $0.community : nil }.map {
            row($0, profile: profile, name: communityNames[$0.key] ?? $0.key, community: nil)
        }
        let gridRows = result.totals { keep($0) ? $0.grid : nil }.map {
            row($0, profile: profile, name: gridNames[$0.key]?.name ?? $0.key, community: gridNames[$0.key]?.community)
        }
        let rankingLevel = profile.levels.indices.max { profile.levels[$0].minutes < profile.levels[$1].minutes } ?? 0
        let worst = gridRows.filter { $0.households > 0 && !levels.isEmpty }.sorted {
            ($0.levels[rankingLevel].share, -$0.uncoveredHouseholds(level: rankingLevel), $0.code)
                < ($1.levels[rankingLevel].share, -$1.uncoveredHouseholds(level: rankingLevel), $1.code)
        }.prefix(request.worstGrids)

        let areaShapes = try ReportQueries.shapes(store, table: "communities", codes: memberCodes)
        let gridShapes = try ReportQueries.gridShapes(store, communities: memberCodes)
        let facilities = try ReportQueries.facilities(store)

        // Households within each level's walking time of the nearest facility, per category.
        let kept = result.buildings.indices.filter { keep(result.buildings[$0]) }
        let reachMinutes = profile.levels.map(\.minutes)
        let inArea = facilities.filter { facility in areaShapes.contains { $0.shape.contains(facility.location) } }
        let reach = result.categories.enumerated().map { c, category in
            StreetReport.CategoryReach(category: category, households: reachMinutes.map { minutes in
                let limit = profile.reach.distance(minutes: minutes).value
                return kept.reduce(0) { sum, b in
                    sum + ((result.results.nearest(building: b, category: c)?.distance.value ?? .infinity) <= limit ? result.buildings[b].households : 0)
                }
            }, facilities: inArea.filter { $0.category == category }.count)
        }

        let suggestion = try suggest(result: result, kept: kept, gridShapes: gridShapes, count: request.sites, store: store)
        let stats = try GridReports.stats(store, minimum: request.balanceMinimum, maximum: request.balanceMaximum).grids
        let balance = StreetReport.Balance(minimum: request.balanceMinimum, maximum: request.balanceMaximum, rows: stats.filter {
            $0.community.map(memberCodes.contains) ?? false
        }.map {
            StreetReport.BalanceRow(code: $0.code, name: gridNames[$0.code]?.name ?? $0.code, households: $0.households, buildings: $0.buildings,
                                    balance: $0.balance, inRange: $0.inRange, tourMeters: $0.tourMeters.rounded(),  // as `grids stats` rounds it
                                    tourMinutes: (profile.reach.minutes(Meters($0.tourMeters)) * 10).rounded() / 10, tourStraightLegs: $0.tourStraightLegs)
        })

        let run = loaded.run
        let report = StreetReport(
            area: area, date: request.date,
            run: .init(id: run.id, createdAt: run.createdAt, profileName: profile.name, profileTitle: profile.title, walkingSpeed: profile.walkingSpeed,
                       staleNote: run.freshness.isStale ? run.freshness.changedLayers.joined(separator: ", ") : nil),
            levels: levels, total: total, communities: communityRows, grids: gridRows, rankingLevel: rankingLevel, worstGrids: Array(worst),
            reachMinutes: reachMinutes, reach: reach, suggestion: suggestion, balance: balance, communityShapes: areaShapes,
            gridShapes: gridShapes, facilities: facilities,
            categoriesWithoutFacilities: result.facilityNotes.map { .init(category: $0.category, note: $0.note) })
        return (report, computed)
    }

    // MARK: the parts

    static func resolve(_ request: Request, communities: [ReportQueries.Community]) throws -> (StreetReport.Area, [StreetReport.Named]) {
        switch request.area {
        case .community(let code):
            guard let community = communities.first(where: { $0.code == code }) else {
                let list = communities.isEmpty ? "the store holds no community (import them with `import geojson FILE --layer communities`)"
                    : "valid: " + communities.map { "\($0.code) (\($0.name))" }.joined(separator: ", ")
                let byName = communities.first { $0.name == code }.map { "; \(code) is the name of \($0.code), give the code" } ?? ""
                throw StoreError.badInput("--community \(code): no such community\(byName); \(list)")
            }
            let named = StreetReport.Named(code: community.code, name: community.name)
            return (.init(kind: .community, code: code, name: request.name ?? community.name, communities: [named]), [named])
        case .street(let code):
            let members = communities.filter { $0.street == code }
            guard !members.isEmpty else {
                let streets = Array(Set(communities.map(\.street))).sorted()
                throw StoreError.badInput("--street \(code): no community of the store is in this street (a street code is 9 digits: "
                    + "administrative division and street); " + (streets.isEmpty ? "the store holds no community" : "valid: " + streets.joined(separator: ", ")))
            }
            let named = members.map { StreetReport.Named(code: $0.code, name: $0.name) }
            return (.init(kind: .street, code: code, name: request.name ?? "街道 \(code)", communities: named), named)
        }
    }

    /// The run to report: the one asked for, else the latest current run of the profile, else a new stored run.
    static func coverage(_ request: Request, store: Store) throws -> (CoverageRuns.Loaded, Bool) {
        if let id = request.run { return (try CoverageRuns.load(store: store, id: id), false) }
        if let latest = try CoverageRuns.list(store: store).last(where: { !$0.freshness.isStale && $0.profileName == request.profile.name }) {
            let loaded = try CoverageRuns.load(store: store, id: latest.id)
            if loaded.result.profile == request.profile { return (loaded, false) }
        }
        let versions = try DataVersions.current(store)
        let started = Date()
        let result = try CoverageJob.compute(store: store, profile: request.profile)
        let id = try CoverageRuns.save(result, store: store, seconds: Date().timeIntervalSince(started), versions: versions)
        return (try CoverageRuns.load(store: store, id: id), true)
    }

    /// A group's figures read from the JSON shape `coverage --format json` prints, so both say the same.
    static func row(_ totals: Coverage.Totals, profile: LifeCircleProfile, name: String, community: String?) -> StreetReport.CoverageRow {
        let group = CoverageReport.group(totals, profile)
        func int(_ object: [String: Any], _ key: String) -> Int { (object[key] as? NSNumber)?.intValue ?? 0 }
        func double(_ object: [String: Any], _ key: String) -> Double { (object[key] as? NSNumber)?.doubleValue ?? 0 }
        let levels = ((group["levels"] as? [[String: Any]]) ?? []).map { level in
            let requirements = (level["requirements"] as? [[String: Any]]) ?? []
            return StreetReport.LevelFigures(
                householdsCovered: int(level, "households_covered"), buildingsCovered: int(level, "buildings_covered"), share: double(level, "share"),
                uncoveredBuildings: int(level, "uncovered_buildings"), requirementHouseholds: requirements.map { int($0, "households_covered") },
                requirementShares: requirements.map { double($0, "share") })
        }
        return StreetReport.CoverageRow(code: totals.key, name: name, community: community, buildings: int(group, "buildings"),
                                        households: int(group, "households"), offNetworkBuildings: int(group, "off_network_buildings"), levels: levels)
    }

    /// Sites for the category the fewest of the area's households reach within its widest limit (the `suggest` rule:
    /// uncovered = nearest facility farther than the profile's horizon for the category).
    static func suggest(result: Coverage.Result, kept: [Int], gridShapes: [StreetReport.Shape], count: Int, store: Store) throws -> StreetReport.Suggestion? {
        let profile = result.profile
        let households = kept.reduce(0) { $0 + result.buildings[$1].households }
        guard households > 0, count > 0 else { return nil }
        let within = result.categories.enumerated().map { c, category -> (category: String, limit: Double, households: Int, covered: [Bool]) in
            let limit = profile.horizon(for: category).value
            let covered = kept.map { (result.results.nearest(building: $0, category: c)?.distance.value ?? .infinity) <= limit }
            return (category, limit, zip(kept, covered).reduce(0) { $0 + ($1.1 ? result.buildings[$1.0].households : 0) }, covered)
        }
        guard let weakest = within.filter({ $0.limit > 0 }).min(by: { $0.households < $1.households }) else { return nil }
        let network = try WalkingNetwork.load(store, rule: profile.reach)
        var sites: [StreetReport.Site] = []
        if network.graph.nodeCount > 0 {
            let found = try SiteSuggestion.greedy(
                graph: network.graph, snapper: network.snapper, buildings: kept.map { result.buildings[$0] },
                needsCover: weakest.covered.map { !$0 }, limit: Meters(weakest.limit), rule: profile.reach, candidates: nil, count: count)
            sites = found.map { site in
                let grid = gridShapes.first { $0.shape.contains(site.location) }.map { StreetReport.Named(code: $0.code, name: $0.name) }
                return StreetReport.Site(location: site.location, grid: grid, householdsAdded: site.householdsAdded,
                                         buildingsAdded: site.buildingsAdded.count, cumulativeHouseholds: site.cumulativeHouseholds)
            }
        }
        var gridHouseholds: [String: (within: Int, all: Int)] = [:]
        for (b, covered) in zip(kept, weakest.covered) {
            guard let grid = result.buildings[b].grid else { continue }
            let h = result.buildings[b].households
            gridHouseholds[grid, default: (0, 0)].all += h
            if covered { gridHouseholds[grid, default: (0, 0)].within += h }
        }
        return StreetReport.Suggestion(category: weakest.category, limitMeters: weakest.limit, householdsWithin: weakest.households,
                                       households: households, sites: sites,
                                       gridShares: gridHouseholds.filter { $0.value.all > 0 }.mapValues { Double($0.within) / Double($0.all) })
    }
}

