import ArgumentParser
import Foundation
import GridAnalysis
import GridModel
import GridStore

struct CoverageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Walking coverage of every building against a life-circle profile, per building, grid and community.",
        discussion: """
            Each building's representative point and each facility are snapped to the nearest point of the
            nearest walking edge (within the profile's snapDistance, 200 m by default; farther buildings are
            reported as off-network). Distances are exact network distances plus the off-network legs.
            Every run is stored (see `coverage --list`).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv, geojson }

    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "Only report buildings of this community (12-digit code).") var community: String?
    @Option(help: "table, json, csv (per building) or geojson (buildings with coverage properties).") var format: Format = .table
    @Flag(help: "Do not store the run.") var dryRun = false
    @Flag(help: "List stored runs instead of computing.") var list = false

    func run() async throws {
        let store = try self.store.open()
        if list {
            for run in try CoverageRuns.list(store: store) {
                print("run \(run.id)  \(run.createdAt)  profile \(run.profileName)  \(run.buildings) buildings  \(run.households) households  \(run.summary)")
            }
            return
        }
        let profile = try profileOptions.load()
        let started = Date()
        let result = try CoverageRuns.compute(store: store, profile: profile)
        let seconds = Date().timeIntervalSince(started)
        let runID = dryRun ? nil : try CoverageRuns.save(result, store: store, seconds: seconds)
        if let community, !result.buildings.contains(where: { $0.community == community }) {
            throw StoreError.badInput("--community \(community): no building of the store lies in that community")
        }
        let keep: (Coverage.Building) -> Bool = { community == nil || $0.community == community }
        switch format {
        case .table: printTable(result, runID: runID, seconds: seconds, keep: keep)
        case .json: try printJSON(result, runID: runID, seconds: seconds, keep: keep)
        case .csv: printCSV(result, keep: keep)
        case .geojson: try printGeoJSON(result, store: store, keep: keep)
        }
    }

    func levelHeader(_ profile: LifeCircleProfile) -> String {
        profile.levels.map { "\(CoverageRuns.formatMinutes($0.minutes))-min".padding(toLength: 9, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    func row(_ totals: Coverage.Totals, _ width: Int) -> String {
        let shares = totals.levels.indices.map { String(format: "%6.1f %%  ", totals.share(level: $0) * 100) }.joined()
        return totals.key.padding(toLength: width, withPad: " ", startingAt: 0)
            + String(format: " %6d %8d  ", totals.buildings, totals.households) + shares + String(format: "%5d", totals.offNetworkBuildings)
    }

    func printTable(_ result: Coverage.Result, runID: Int64?, seconds: Double, keep: @escaping (Coverage.Building) -> Bool) {
        let profile = result.profile
        let all = result.totals { keep($0) ? "all" : nil }.first
        print("coverage, profile \(profile.name) (\(profile.walkingSpeed) m/s)\(runID.map { ", run \($0)" } ?? ""), \(String(format: "%.2f", seconds)) s")
        guard let all else { print("no buildings"); return }
        print("\(all.buildings) buildings, \(all.households) households, \(all.offNetworkBuildings) off the network")
        for (l, level) in profile.levels.enumerated() {
            print(String(format: "%@-minute level: %.1f %% of households (%d of %d buildings)", CoverageRuns.formatMinutes(level.minutes),
                         all.share(level: l) * 100, all.levels[l].buildingsCovered, all.buildings))
            for (r, requirement) in level.categories.enumerated() {
                let limit = profile.limit(requirement, at: level).value
                let share = all.households == 0 ? 0 : Double(all.levels[l].householdsMeeting[r]) / Double(all.households) * 100
                print("    " + requirement.category.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: " ≤ %5.0f m  %5.1f %%  ", limit, share) + (requirement.label ?? ""))
            }
        }
        for (title, key) in [("community", { (b: Coverage.Building) in keep(b) ? (b.community ?? "(none)") : nil }),
                             ("grid", { (b: Coverage.Building) in keep(b) ? (b.grid ?? "(none)") : nil })] {
            let groups = result.totals(by: key)
            let width = max(15, groups.map(\.key.count).max() ?? 0)
            print("")
            print(title.padding(toLength: width, withPad: " ", startingAt: 0) + "  bldgs  househ.  " + levelHeader(profile) + " off-net")
            for group in groups { print(row(group, width)) }
        }
    }

    func printJSON(_ result: Coverage.Result, runID: Int64?, seconds: Double, keep: (Coverage.Building) -> Bool) throws {
        func group(_ totals: Coverage.Totals) -> [String: Any] {
            ["code": totals.key, "buildings": totals.buildings, "households": totals.households,
             "off_network_buildings": totals.offNetworkBuildings, "levels": CoverageRuns.levelsJSON(totals, result.profile)]
        }
        let summary = result.totals { keep($0) ? "all" : nil }.first
        var buildings: [[String: Any]] = []
        for (building, outcome) in zip(result.buildings, result.results) where keep(building) {
            var nearest: [String: Any] = [:]
            for (category, answer) in zip(result.categories, outcome.nearest) {
                nearest[category] = answer.map { ["facility": $0.facilityID, "distance_m": ($0.distance.value * 100).rounded() / 100,
                                                  "minutes": ($0.distance.value / result.profile.walkingSpeed / 60 * 100).rounded() / 100] } ?? NSNull()
            }
            buildings.append([
                "id": building.id, "households": building.households, "grid": building.grid as Any? ?? NSNull(),
                "community": building.community as Any? ?? NSNull(),
                "off_network_m": outcome.offNetwork.map { ($0.value * 100).rounded() / 100 } as Any? ?? NSNull(),
                "nearest": nearest,
                "levels_met": zip(result.profile.levels, outcome.levelMet).filter(\.1).map(\.0.minutes),
            ])
        }
        try Console.printJSON([
            "run_id": runID as Any? ?? NSNull(), "profile": result.profile.name, "seconds": seconds,
            "summary": summary.map(group) as Any? ?? NSNull(),
            "communities": result.totals { keep($0) ? $0.community : nil }.map(group),
            "grids": result.totals { keep($0) ? $0.grid : nil }.map(group),
            "buildings": buildings,
        ])
    }

    func printCSV(_ result: Coverage.Result, keep: (Coverage.Building) -> Bool) {
        var header = ["building_id", "households", "grid", "community", "off_network_m"]
        for category in result.categories { header += ["\(category)_facility", "\(category)_m", "\(category)_min"] }
        header += result.profile.levels.map { "covered_\(CoverageRuns.formatMinutes($0.minutes))min" }
        var lines = [header.joined(separator: ",")]
        for (building, outcome) in zip(result.buildings, result.results) where keep(building) {
            var fields = [String(building.id), String(building.households), building.grid ?? "", building.community ?? "",
                          outcome.offNetwork.map { String(format: "%.2f", $0.value) } ?? ""]
            for answer in outcome.nearest {
                if let answer {
                    fields += [String(answer.facilityID), String(format: "%.2f", answer.distance.value),
                               String(format: "%.2f", answer.distance.value / result.profile.walkingSpeed / 60)]
                } else {
                    fields += ["", "", ""]
                }
            }
            fields += outcome.levelMet.map { $0 ? "1" : "0" }
            lines.append(fields.joined(separator: ","))
        }
        print(lines.joined(separator: "\n"))
    }

    func printGeoJSON(_ result: Coverage.Result, store: Store, keep: (Coverage.Building) -> Bool) throws {
        let footprints = try BuildingFootprints.load(store)
        var features: [String] = []
        for (building, outcome) in zip(result.buildings, result.results) where keep(building) {
            var properties: [(String, JSONValue)] = [
                ("id", .number(Double(building.id))), ("households", .number(Double(building.households))),
                ("grid", building.grid.map(JSONValue.string) ?? .null), ("community", building.community.map(JSONValue.string) ?? .null),
                ("off_network_m", outcome.offNetwork.map { .number(($0.value * 100).rounded() / 100) } ?? .null),
            ]
            for (category, answer) in zip(result.categories, outcome.nearest) {
                properties.append(("\(category)_m", answer.map { .number(($0.distance.value * 10).rounded() / 10) } ?? .null))
            }
            for (level, met) in zip(result.profile.levels, outcome.levelMet) {
                properties.append(("covered_\(CoverageRuns.formatMinutes(level.minutes))min", .bool(met)))
            }
            let geometry = footprints[building.id].map(Geometry.multiPolygon) ?? .point(building.point)
            features.append(GeoJSON.encodeFeature(id: .number(Double(building.id)), geometry: geometry, properties: properties))
        }
        print("{\"type\":\"FeatureCollection\",\"features\":[" + features.joined(separator: ",\n") + "]}")
    }
}
