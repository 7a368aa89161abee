import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridModel
import GridServices
import GridStore

struct CoverageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Walking coverage of every building against a life-circle profile, per building, grid and community.",
        discussion: """
            Each building's representative point and each facility are snapped to the nearest point of the
            nearest walking edge (within the profile's snapDistance, 200 m by default; farther buildings are
            reported as off-network). Distances are exact network distances plus the off-network legs.
            Every computation is stored as one run with the data versions it read (`coverage runs`); `coverage show RUN`
            renders a stored run again, `coverage compare A B` says which households gained or lost each level,
            and `--what-if FILE` computes with planned facilities added, storing nothing.
            """,
        subcommands: [Runs.self, Show.self, Compare.self])

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv, geojson }

    /// Shared with `show` and `compare` (an option group given once, before or after the subcommand).
    struct OutputOptions: ParsableArguments {
        @Option(help: "Only report buildings of this community (12-digit code).") var community: String?
        @Option(help: "table, json, csv (per building) or geojson (buildings with coverage properties; for compare, the changed buildings).")
        var format: Format = .table

        func keep() -> (Coverage.Building) -> Bool { Self.keep(community: community) }

        static func keep(community: String?) -> (Coverage.Building) -> Bool {
            { community == nil || $0.community == community }
        }
    }

    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Do not store the run.") var dryRun = false
    @Flag(help: "List stored runs instead of computing (the table of `coverage runs`).") var list = false
    @Option(help: ArgumentHelp("Planned facilities (GeoJSON Points with `category`, optional `name`): print what they would change; nothing is stored.",
                               valueName: "FILE"))
    var whatIf: String?

    func run() async throws {
        let store = try self.store.open()
        if list {
            try Runs.printTable(store)
            return
        }
        let profile = try profileOptions.load()
        if let community = output.community { try CoverageRuns.checkCommunity(community, store: store) }
        let keep = output.keep(), format = output.format
        if let whatIf {
            let planned = try CoverageRuns.plannedFacilities(path: whatIf, store: store, profile: profile)
            let current = try CoverageJob.compute(store: store, profile: profile)
            let withPlanned = try CoverageJob.compute(store: store, profile: profile, planned: planned)
            let comparison = CoverageComparison(current.filtered(keep), withPlanned.filtered(keep))
            let describe: (Coverage.Result, String) -> [String: Any] = { result, facilities in
                ["facilities": facilities, "profile": result.profile.name, "stored": false,
                 "categories_without_facilities": CoverageReport.facilityNotes(result)]
            }
            try Compare.render(comparison, format: format, store: store, points: withPlanned,
                               a: describe(current, "current"), b: describe(withPlanned, "current + \(planned.count) planned from \(whatIf)"),
                               titleA: "current facilities", titleB: "with \(planned.count) planned (\(whatIf)); nothing stored")
            return
        }
        // The table's body depends on the result alone: it is worked out on the other core while the run is stored.
        let community = output.community
        let (outcome, body) = try CoverageJob.run(store: store, profile: profile, dryRun: dryRun) { result in
            format == .table ? Self.tableBody(result, keep: OutputOptions.keep(community: community)) : nil
        }
        if let body {
            let stored = try outcome.runID.flatMap { id in try CoverageRuns.list(store: store).first { $0.id == id } }
            print(Self.tableTitle(outcome.result, run: stored, seconds: outcome.seconds))
            print(body, terminator: "")
            return
        }
        let stored = try outcome.runID.flatMap { id in try CoverageRuns.list(store: store).first { $0.id == id } }
        try Self.render(outcome.result, run: stored, seconds: outcome.seconds, format: format, store: store, existing: nil, keep: keep)
    }

    static func render(_ result: Coverage.Result, run: CoverageRuns.Stored?, seconds: Double?, format: Format, store: Store,
                       existing: Set<Int64>?, keep: @escaping (Coverage.Building) -> Bool) throws {
        switch format {
        case .table: printTable(result, run: run, seconds: seconds, keep: keep)
        case .json: try Console.printJSON(CoverageReport.json(result, run: run, seconds: seconds, buildings: true, keep: keep))
        case .csv: printCSV(result, keep: keep)
        case .geojson: print(CoverageReport.geoJSON(result, footprints: try BuildingFootprints.load(store), existing: existing, keep: keep))
        }
    }

    static func levelHeader(_ profile: LifeCircleProfile) -> String {
        profile.levels.map { "\(CoverageRuns.formatMinutes($0.minutes))-min".padding(toLength: 9, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    static func row(_ totals: Coverage.Totals, _ width: Int) -> String {
        let shares = totals.levels.indices.map { printf("%6.1f %%  ", totals.share(level: $0) * 100) }.joined()
        return totals.key.padding(toLength: width, withPad: " ", startingAt: 0)
            + printf(" %6ld %8ld  ", totals.buildings, totals.households) + shares + printf("%5ld", totals.offNetworkBuildings)
    }

    /// The C library's rendering, as `String(format:)` gives it for these conversions, without Foundation's
    /// formatter: a city's 80,000 table rows cost it about a second.
    static func printf(_ format: String, _ arguments: any CVarArg...) -> String {
        withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 128)
            let written = Int(vsnprintf(&buffer, buffer.count, format, list))
            guard written >= 0, written < buffer.count else { return String(format: format, arguments: arguments) }
            return String(decoding: buffer[..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    static func printTable(_ result: Coverage.Result, run: CoverageRuns.Stored?, seconds: Double?, keep: @escaping (Coverage.Building) -> Bool) {
        print(tableTitle(result, run: run, seconds: seconds))
        print(tableBody(result, keep: keep), terminator: "")
    }

    static func tableTitle(_ result: Coverage.Result, run: CoverageRuns.Stored?, seconds: Double?) -> String {
        var title = "coverage, profile \(result.profile.name) (\(result.profile.walkingSpeed) m/s)"
        if let run { title += ", run \(run.id) of \(run.createdAt), \(run.freshness.label)" }
        if let seconds { title += ", \(String(format: "%.2f", seconds)) s" }
        return title
    }

    /// The table below its title, every line ending in a newline.
    static func tableBody(_ result: Coverage.Result, keep: @escaping (Coverage.Building) -> Bool) -> String {
        var lines: [String] = []
        let profile = result.profile
        let all = result.totals { keep($0) ? "all" : nil }.first
        for note in result.facilityNotes { lines.append("\(note.category): \(note.note) — every requirement on it is unmet") }
        guard let all else { lines.append("no buildings"); return lines.joined(separator: "\n") + "\n" }
        lines.append("\(all.buildings) buildings, \(all.households) households, \(all.offNetworkBuildings) off the network")
        if result.networkParts.count > 1 {
            lines.append("network parts joined: " + result.networkParts.map { "\($0.isLargest ? "largest" : "part \($0.component)") \($0.buildings) buildings, \($0.households) households, \($0.facilities) facilities" }.joined(separator: "; "))
        }
        let without = Set(result.categoriesWithoutFacilities + result.categoriesOffNetwork)
        for (l, level) in profile.levels.enumerated() {
            lines.append(String(format: "%@-minute level: %.1f %% of households; %d of %d buildings covered, %d uncovered buildings with households",
                                CoverageRuns.formatMinutes(level.minutes), all.share(level: l) * 100, all.levels[l].buildingsCovered, all.buildings,
                                all.levels[l].uncoveredBuildings.count))
            for (r, requirement) in level.categories.enumerated() {
                let limit = profile.limit(requirement, at: level).value
                let share = all.households == 0 ? 0 : Double(all.levels[l].householdsMeeting[r]) / Double(all.households) * 100
                let figure = without.contains(requirement.category) ? "  none  " : String(format: "%5.1f %%", share)
                lines.append("    " + requirement.category.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: " ≤ %5.0f m  ", limit)
                             + figure + "  " + (requirement.label ?? "") + (without.contains(requirement.category) ? " — no facility reachable" : ""))
            }
        }
        for (title, key) in [("community", { (b: Coverage.Building) in keep(b) ? (b.community ?? "(none)") : nil }),
                             ("grid", { (b: Coverage.Building) in keep(b) ? (b.grid ?? "(none)") : nil })] {
            let groups = result.totals(by: key)
            let width = max(15, groups.map(\.key.count).max() ?? 0)
            lines.append("")
            lines.append(title.padding(toLength: width, withPad: " ", startingAt: 0) + "  bldgs  househ.  " + levelHeader(profile) + " off-net")
            for group in groups { lines.append(row(group, width)) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per building. A category with no facility in the store says so in its facility column
    /// (`none in store`) rather than leaving it empty as for a building with no facility within reach.
    static func printCSV(_ result: Coverage.Result, keep: (Coverage.Building) -> Bool) {
        var header = ["building_id", "households", "grid", "community", "off_network_m"]
        for category in result.categories { header += ["\(category)_facility", "\(category)_m", "\(category)_min"] }
        header += result.profile.levels.map { "covered_\(CoverageRuns.formatMinutes($0.minutes))min" }
        var lines = [header.joined(separator: ",")]
        let notes = Dictionary(result.facilityNotes.map { ($0.category, $0.note) }, uniquingKeysWith: { a, _ in a })
        for note in result.facilityNotes { FileHandle.standardError.write(Data("note: \(note.category): \(note.note)\n".utf8)) }
        for (building, outcome) in zip(result.buildings, result.results) where keep(building) {
            var fields = [String(building.id), String(building.households), building.grid ?? "", building.community ?? "",
                          outcome.offNetwork.map { String(format: "%.2f", $0.value) } ?? ""]
            for (category, answer) in zip(result.categories, outcome.nearest) {
                if let answer {
                    fields += [String(answer.facilityID), String(format: "%.2f", answer.distance.value),
                               String(format: "%.2f", answer.distance.value / result.profile.walkingSpeed / 60)]
                } else if let note = notes[category] {
                    fields += [note.hasPrefix("no facility") ? "none in store" : "none on network", "", ""]
                } else {
                    fields += ["", "", ""]
                }
            }
            fields += outcome.levelMet.map { $0 ? "1" : "0" }
            lines.append(fields.joined(separator: ","))
        }
        print(lines.joined(separator: "\n"))
    }
}

extension CoverageCommand {
    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored coverage runs: id, time, profile, counts, and whether the data changed since (stale).")

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let store = try self.store.open()
            if json {
                try Console.printJSON(try CoverageRuns.list(store: store).map(\.json))
            } else {
                try Self.printTable(store)
            }
        }

        static func printTable(_ store: Store) throws {
            let runs = try CoverageRuns.list(store: store)
            guard !runs.isEmpty else { print("no coverage run stored; run `coverage` first"); return }
            print("run  created               profile    bldgs  househ.  covered households per level       data")
            for run in runs {
                let levels = run.levelsCovered.map { "\(CoverageRuns.formatMinutes($0.minutes))-min \($0.households)" }.joined(separator: "  ")
                print(String(format: "%3lld  ", run.id) + run.createdAt.padding(toLength: 20, withPad: " ", startingAt: 0) + "  "
                      + run.profileName.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + String(format: " %6d %8d  ", run.buildings, run.households)
                      + levels.padding(toLength: max(33, levels.count), withPad: " ", startingAt: 0) + "  " + run.freshness.label)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a stored coverage run without computing (grids and communities are the buildings' current ones).")

        @OptionGroup var store: StoreOptions
        @Argument(help: "Run id (see `coverage runs`).") var run: Int64
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try self.store.open()
            if let community = output.community { try CoverageRuns.checkCommunity(community, store: store) }
            let loaded = try CoverageRuns.load(store: store, id: run)
            try CoverageCommand.render(loaded.result, run: loaded.run, seconds: nil, format: output.format, store: store, existing: loaded.existing,
                                       keep: output.keep())
        }
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Households gaining and losing each level and category between two stored runs, by community and grid.",
            discussion: "Groups use the buildings' current grids and communities. --format geojson prints the changed buildings.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The earlier run.") var a: Int64
        @Argument(help: "The later run.") var b: Int64
        @Flag(help: "Print JSON (same as --format json).") var json = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if output.format == .csv { throw ValidationError("--format csv is not offered for a comparison; use table, json or geojson") }
        }

        func run() async throws {
            let store = try self.store.open()
            if let community = output.community { try CoverageRuns.checkCommunity(community, store: store) }
            let first = try CoverageRuns.load(store: store, id: a), second = try CoverageRuns.load(store: store, id: b)
            let keep = output.keep()
            let comparison = CoverageComparison(first.result.filtered(keep), second.result.filtered(keep))
            try Self.render(comparison, format: json ? .json : output.format, store: store, points: second.result,
                            a: first.run.json, b: second.run.json,
                            titleA: "run \(a) (\(first.run.createdAt), \(first.run.freshness.label))",
                            titleB: "run \(b) (\(second.run.createdAt), \(second.run.freshness.label))")
        }

        static func render(_ comparison: CoverageComparison, format: Format, store: Store, points: Coverage.Result,
                           a: [String: Any], b: [String: Any], titleA: String, titleB: String) throws {
            switch format {
            case .json:
                try Console.printJSON(CoverageReport.comparisonJSON(comparison, a: a, b: b))
            case .geojson:
                let locations = Dictionary(points.buildings.map { ($0.id, $0.point) }, uniquingKeysWith: { x, _ in x })
                print(CoverageReport.comparisonGeoJSON(comparison, footprints: try BuildingFootprints.load(store), points: locations))
            case .csv:
                throw StoreError.badInput("--format csv is not offered for a comparison; use table, json or geojson")
            case .table:
                print("from \(titleA)")
                print("to   \(titleB)")
                for (category, note) in ((b["categories_without_facilities"] as? [[String: Any]]) ?? []).compactMap({ item in
                    (item["category"] as? String).map { ($0, item["note"] as? String ?? "") } }) {
                    print("\(category): \(note)")
                }
                print("\(comparison.changedBuildings.count) buildings changed; \(comparison.onlyInA.count) only in the first, \(comparison.onlyInB.count) only in the second")
                for (key, change) in zip(comparison.keys, comparison.total.changes) {
                    print(CoverageReport.keyLabel(key).padding(toLength: 32, withPad: " ", startingAt: 0)
                          + String(format: " +%d households (%d buildings)  −%d households (%d buildings)",
                                   change.householdsGained, change.buildingsGained, change.householdsLost, change.buildingsLost))
                }
                for (title, groups) in [("community", comparison.communities), ("grid", comparison.grids)] where !groups.isEmpty {
                    print("")
                    print("by \(title) (households gained / lost where any changed)")
                    for group in groups {
                        let parts = zip(comparison.keys, group.changes)
                            .filter { $0.1.householdsGained > 0 || $0.1.householdsLost > 0 || $0.1.buildingsGained > 0 || $0.1.buildingsLost > 0 }
                            .map { "\(CoverageReport.keyLabel($0.0)) +\($0.1.householdsGained)/−\($0.1.householdsLost)" }
                        print("  \(group.key): " + parts.joined(separator: ", "))
                    }
                }
            }
        }
    }
}
