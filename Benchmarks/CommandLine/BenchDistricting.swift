import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridStore

/// `communitygrid-bench districting`: our reassignment beside the districting peers of ../shared/bench/districting, scored by the
/// same metrics on the same inputs.
struct BenchDistricting: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "districting",
        abstract: "Re-divide the communities of a districting peer input and print our row beside the peers' rows.",
        discussion: """
            Reads DIR/input.json (schema grid-reassign-input/1) and DIR/cells.csv, runs the reassignment core
            (GridPartition) per community from its current plan on the given adjacency, with the range
            grid_min..grid_max and the grid count the method picks (the current count whenever that count can be in
            range, which is the community's k here), and scores every plan as the peers' harness does. Peer rows
            come from --peers (the harness's results.jsonl), pooled per input as its table does; `current (ours)`
            is the current plan scored by our code, to compare with their `current` row. Time is the core only
            (problem set-up including the cell boundaries, and the solve), as theirs is the peer call only.
            """)

    @Option(help: "Folder with input.json and cells.csv (its name is the input's name in --peers).") var input: String
    @Option(help: "The peers' results.jsonl.") var peers: String?
    @Option(help: "Write our plans, one JSON line per community, in the harness's format.") var out: String?
    @Option(help: "Weight of households moved against compactness, 0…1 (as `grids rebalance --stability`).") var stability = 0.7
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let data = try DistrictingInput.load(folder: input)
        let name = URL(fileURLWithPath: input).standardizedFileURL.lastPathComponent
        var ours: [DistrictingScore.Row] = [], current: [DistrictingScore.Row] = []
        var planLines: [String] = []
        for community in data.communities {
            let members = data.members[community.id] ?? []
            let run = DistrictingBench.run(data: data, community: community, members: members, stability: stability)
            ours.append(run.row)
            current.append(DistrictingBench.scoreCurrent(data: data, community: community, members: members))
            if out != nil { planLines.append(try DistrictingBench.planLine(data: name, data, community: community, members: members, run: run)) }
        }
        if let out { try Data((planLines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: out)) }

        let peerRows = try peers.map { try PeerResults.load(path: $0, data: name) } ?? []
        var table: [TableRow] = [TableRow(method: "communitygrid", total: ours.count, rows: ours),
                                 TableRow(method: "current (ours)", total: current.count, rows: current)]
        table += peerRows
        let goals = DistrictingGoals.evaluate(ours: ours, peers: peerRows.filter { $0.method != "current" })
        if json {
            try Console.printJSON([
                "data": name,
                "rows": table.map { $0.json },
                "goals": goals.map { ["goal": $0.goal, "met": $0.met, "detail": $0.detail] as [String: Any] },
                "communities": ours.map { ["community": $0.community, "seconds": $0.seconds, "grids": $0.score.grids, "k": $0.k,
                                           "feasible": $0.score.feasible, "contiguous": $0.score.contiguous,
                                           "pp_mean": $0.score.polsbyPopperMean, "changed_hh": $0.score.changedHouseholds] as [String: Any] },
            ])
            return
        }
        print(TableRow.header)
        print(TableRow.rule)
        for row in table { print(row.markdown(data: name)) }
        print("")
        for goal in goals { print("\(goal.met ? "met   " : "MISSED") \(goal.goal): \(goal.detail)") }
    }
}

/// The harness's input, reduced to what a run needs.
struct DistrictingInput {
    struct Meta: Decodable { var grid_min: Int; var grid_max: Int }
    struct Community: Decodable { var id: String; var k: Int }
    struct Building: Decodable {
        var id: Int; var x: Double; var y: Double; var households: Int; var community: String; var current_grid: String
    }
    struct File: Decodable { var meta: Meta; var communities: [Community]; var buildings: [Building]; var adjacency: [[Int]] }

    var meta: Meta
    var communities: [Community]
    var buildings: [Building]
    var adjacency: [[Int]]
    /// Building ids per community, in input order.
    var members: [String: [Int]]
    /// Cell polygons per building id (metres).
    var cells: [Int: [CellTiling.Polygon]]

    static func load(folder: String) throws -> DistrictingInput {
        let inputPath = "\(folder)/input.json", cellsPath = "\(folder)/cells.csv"
        guard let json = FileManager.default.contents(atPath: inputPath) else { throw StoreError.badInput("\(inputPath): file not found") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: json) } catch {
            throw StoreError.badInput("\(inputPath): not a grid-reassign-input/1 file (\(error))")
        }
        for (i, b) in file.buildings.enumerated() where b.id != i {
            throw StoreError.badInput("\(inputPath): building \(i) has id \(b.id); ids must be their index")
        }
        var members: [String: [Int]] = [:]
        for b in file.buildings { members[b.community, default: []].append(b.id) }
        guard let text = try? String(contentsOfFile: cellsPath, encoding: .utf8) else { throw StoreError.badInput("\(cellsPath): file not found") }
        var cells: [Int: [CellTiling.Polygon]] = [:]
        for row in try CSVReader.rows(of: text, path: cellsPath).dropFirst() {
            // id,community,"WKT"
            guard row.fields.count == 3, let id = Int(row.fields[0]) else {
                throw StoreError.badInput("\(cellsPath) line \(row.line): expected id,community,\"WKT\"")
            }
            cells[id] = try WKTPolygons.parse(Substring(row.fields[2]), where: "\(cellsPath) line \(row.line)")
        }
        return DistrictingInput(meta: file.meta, communities: file.communities, buildings: file.buildings, adjacency: file.adjacency,
                                members: members, cells: cells)
    }
}

/// POLYGON and MULTIPOLYGON WKT (2D) → rings in metres.
enum WKTPolygons {
    static func parse(_ text: Substring, where place: String) throws -> [CellTiling.Polygon] {
        let multi = text.hasPrefix("MULTIPOLYGON")
        guard multi || text.hasPrefix("POLYGON") else { throw StoreError.badInput("\(place): not a POLYGON or MULTIPOLYGON") }
        let ringDepth = multi ? 3 : 2
        var polygons: [CellTiling.Polygon] = []
        var depth = 0, numbers: [Double] = [], token = ""
        func flush() throws {
            guard !token.isEmpty else { return }
            guard let value = Double(token) else { throw StoreError.badInput("\(place): \"\(token)\" is not a number") }
            numbers.append(value); token = ""
        }
        for ch in text {
            switch ch {
            case "(":
                depth += 1
                if depth == ringDepth - 1 { polygons.append(CellTiling.Polygon(exterior: [])) }
                if depth == ringDepth { numbers = [] }
            case ")":
                if depth == ringDepth {
                    try flush()
                    guard numbers.count % 2 == 0, !polygons.isEmpty else { throw StoreError.badInput("\(place): a ring needs x y pairs") }
                    let ring = stride(from: 0, to: numbers.count, by: 2).map { SIMD2(numbers[$0], numbers[$0 + 1]) }
                    if polygons[polygons.count - 1].exterior.isEmpty { polygons[polygons.count - 1].exterior = ring }
                    else { polygons[polygons.count - 1].holes.append(ring) }
                }
                depth -= 1
            case " ", ",":
                if depth == ringDepth { try flush() }
            default:
                if depth == ringDepth { token.append(ch) }
            }
        }
        return polygons
    }
}

/// One community's run of our core, and its scoring.
enum DistrictingBench {
    struct Run {
        var labels: [Int]
        var row: DistrictingScore.Row
        var warnings: [String]
    }

    /// Local indices: building `members[i]` is vertex i.
    static func localEdges(_ data: DistrictingInput, members: [Int]) -> [(Int, Int)] {
        let position = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1, $0) })
        return data.adjacency.compactMap { pair in
            guard pair.count == 2, let a = position[pair[0]], let b = position[pair[1]] else { return nil }
            return (a, b)
        }
    }

    static func currentLabels(_ data: DistrictingInput, members: [Int]) -> [Int] {
        let codes = Array(Set(members.map { data.buildings[$0].current_grid })).sorted()
        let index = Dictionary(uniqueKeysWithValues: codes.enumerated().map { ($1, $0) })
        return members.map { index[data.buildings[$0].current_grid]! }
    }

    static func run(data: DistrictingInput, community: DistrictingInput.Community, members: [Int], stability: Double) -> Run {
        let households = members.map { data.buildings[$0].households }
        let x = members.map { data.buildings[$0].x }, y = members.map { data.buildings[$0].y }
        let current = currentLabels(data, members: members)
        let polygons = members.map { data.cells[$0] ?? [] }
        let started = DispatchTime.now().uptimeNanoseconds
        let edges = localEdges(data, members: members)
        let tiling = CellTiling(cells: polygons)
        let problem = GridPartition.Problem(households: households, x: x, y: y, edges: edges, initial: current,
                                            minimum: data.meta.grid_min, maximum: data.meta.grid_max, stability: stability, tiling: tiling)
        let result = GridPartition.solve(problem)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let score = DistrictingScore.community(labels: result.labels, current: current, households: households, x: x, y: y, edges: edges,
                                               tiling: tiling, minimum: data.meta.grid_min, maximum: data.meta.grid_max)
        return Run(labels: result.labels, row: DistrictingScore.Row(community: community.id, k: community.k, seconds: seconds, score: score),
                   warnings: result.warnings)
    }

    static func scoreCurrent(data: DistrictingInput, community: DistrictingInput.Community, members: [Int]) -> DistrictingScore.Row {
        let households = members.map { data.buildings[$0].households }
        let current = currentLabels(data, members: members)
        let tiling = CellTiling(cells: members.map { data.cells[$0] ?? [] })
        let score = DistrictingScore.community(
            labels: current, current: current, households: households, x: members.map { data.buildings[$0].x }, y: members.map { data.buildings[$0].y },
            edges: localEdges(data, members: members), tiling: tiling, minimum: data.meta.grid_min, maximum: data.meta.grid_max)
        return DistrictingScore.Row(community: community.id, k: community.k, seconds: 0, score: score)
    }

    /// A results.jsonl line of the harness's shape, so its `run.py --table` reads our plans too.
    static func planLine(data name: String, _ data: DistrictingInput, community: DistrictingInput.Community, members: [Int], run: Run) throws -> String {
        let s = run.row.score
        let line: [String: Any] = [
            "data": name, "community": community.id, "method": "communitygrid", "ok": true, "seconds": (run.row.seconds * 1000).rounded() / 1000,
            "n_buildings": members.count, "households": s.households, "k": community.k, "grids": s.grids, "hh_min": s.householdsMin,
            "hh_max": s.householdsMax, "hh_std": s.householdsStd, "in_range": s.inRange, "in_feasible": s.feasible, "contiguous": s.contiguous,
            "pp_mean": s.polsbyPopperMean, "dist_m": s.distanceMeters, "outside_hh": s.outsideHouseholds, "changed_hh": s.changedHouseholds,
            "changed_share": s.households == 0 ? 0 : (Double(s.changedHouseholds) / Double(s.households) * 10000).rounded() / 10000,
            "building_ids": members, "labels": run.labels, "warnings": run.warnings,
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// One method's line of the table: its ok rows, pooled, out of all its rows.
struct TableRow {
    var method: String
    var total: Int
    var rows: [DistrictingScore.Row]
    /// Median chain step of `_first`/`_end` rows (the harness prints it with the method).
    var steps: Int?
    var pooled: DistrictingScore.Pooled? { DistrictingScore.Pooled(rows) }

    static let header = "| data | method | comms ok | time s (sum / max) | grids (k) | hh min–max | std | in [300,500] | feasible | contiguous | PP mean | dist m | changed hh | outside hh |"
    static let rule = "|" + Array(repeating: "---", count: 14).joined(separator: "|") + "|"

    func markdown(data: String) -> String {
        let name = method + (steps.map { " (\($0) steps)" } ?? "")
        guard let p = pooled else { return "| \(data) | \(name) | 0/\(total) | – | – | – | – | – | – | – | – | – | – | – |" }
        func percent(_ v: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f%%", v * 100) }
        return "| \(data) | \(name) | \(rows.count)/\(total) | \(Self.plain(p.secondsTotal)) / \(Self.plain(p.secondsMax)) | \(p.grids) (\(p.k)) | "
            + "\(p.householdsMin)–\(p.householdsMax) | \(Self.plain(p.householdsStd)) | \(percent(p.shareInRange, 0)) | \(percent(p.shareFeasible, 0)) | "
            + "\(p.contiguous)/\(p.grids) | \(Self.plain(p.polsbyPopperMean)) | \(Self.plain(p.distanceMeters)) | \(percent(p.shareChanged, 0)) | "
            + "\(percent(p.shareOutside, 1)) |"
    }

    /// Shortest decimal form, as Python prints a rounded float (0.37, 27.05, 0.0).
    static func plain(_ v: Double) -> String {
        let text = "\(v)"
        return text.hasSuffix(".0") || text.contains(".") ? text : text + ".0"
    }

    var json: [String: Any] {
        var object: [String: Any] = ["method": method, "comms_ok": rows.count, "comms": total]
        if let steps { object["steps"] = steps }
        if let p = pooled {
            object.merge([
                "sec_total": p.secondsTotal, "sec_max": p.secondsMax, "grids": p.grids, "k": p.k, "hh_min": p.householdsMin,
                "hh_max": p.householdsMax, "hh_std": p.householdsStd, "in_range": p.shareInRange, "in_feasible": p.shareFeasible,
                "contiguous": p.contiguous, "pp_mean": p.polsbyPopperMean, "dist_m": p.distanceMeters, "changed": p.shareChanged,
                "outside": p.shareOutside,
            ]) { a, _ in a }
        }
        return object
    }
}

/// The harness's results.jsonl, one input's rows grouped by method in the harness's table order.
enum PeerResults {
    static let order = ["current", "maxp", "maxp_fast", "skater", "azp", "azp_init", "rkmeans", "spenc", "ward", "gc_tree",
                        "gc_recom_first", "gc_recom_end", "gc_recom_tilt_first", "gc_recom_tilt_end", "gc_flip_first", "gc_flip_end"]

    static func load(path: String, data name: String) throws -> [TableRow] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw StoreError.badInput("\(path): file not found") }
        var byMethod: [String: (total: Int, rows: [DistrictingScore.Row], steps: [Int])] = [:]
        var methods: [String] = []
        for (number, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw StoreError.badInput("\(path) line \(number + 1): not a JSON object")
            }
            guard object["data"] as? String == name, let method = object["method"] as? String else { continue }
            if byMethod[method] == nil { methods.append(method) }
            byMethod[method, default: (0, [], [])].total += 1
            guard object["ok"] as? Bool == true else { continue }
            func int(_ key: String) -> Int { (object[key] as? NSNumber)?.intValue ?? 0 }
            func double(_ key: String) -> Double { (object[key] as? NSNumber)?.doubleValue ?? 0 }
            let score = DistrictingScore.Community(
                grids: int("grids"), householdsMin: int("hh_min"), householdsMax: int("hh_max"), householdsStd: double("hh_std"),
                inRange: int("in_range"), feasible: int("in_feasible"), contiguous: int("contiguous"), polsbyPopperMean: double("pp_mean"),
                distanceMeters: double("dist_m"), outsideHouseholds: int("outside_hh"), changedHouseholds: int("changed_hh"),
                households: int("households"))
            byMethod[method]!.rows.append(DistrictingScore.Row(community: object["community"] as? String ?? "", k: int("k"),
                                                               seconds: double("seconds"), score: score))
            if object["steps"] != nil { byMethod[method]!.steps.append(int("steps")) }
        }
        let sorted = methods.sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
        return sorted.map { method in
            let entry = byMethod[method]!
            return TableRow(method: method, total: entry.total, rows: entry.rows, steps: median(entry.steps))
        }
    }

    /// numpy's median truncated to an integer, as the harness prints it.
    static func median(_ values: [Int]) -> Int? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted(), mid = s.count / 2
        return s.count % 2 == 1 ? s[mid] : Int((Double(s[mid - 1]) + Double(s[mid])) / 2)
    }
}

/// The goals of the side-by-side, each with what it was compared against.
enum DistrictingGoals {
    struct Goal { var goal: String; var met: Bool; var detail: String }

    static func evaluate(ours: [DistrictingScore.Row], peers: [TableRow]) -> [Goal] {
        guard let mine = DistrictingScore.Pooled(ours) else { return [] }
        let byCommunity = Dictionary(uniqueKeysWithValues: ours.map { ($0.community, $0) })
        /// Our rows restricted to the communities a peer row solved, so both sides cover the same households.
        func same(_ peer: TableRow) -> DistrictingScore.Pooled? { DistrictingScore.Pooled(peer.rows.compactMap { byCommunity[$0.community] }) }
        var goals: [Goal] = []

        // Feasible wherever any peer reaches it: per community, a peer with every grid feasible obliges us to do the same.
        let reached = Set(peers.flatMap { $0.rows.filter { $0.score.grids > 0 && $0.score.feasible == $0.score.grids }.map(\.community) })
        let short = ours.filter { reached.contains($0.community) && $0.score.feasible < $0.score.grids }.map(\.community)
        let allFeasible = ours.filter { $0.score.feasible == $0.score.grids }.count
        goals.append(Goal(goal: "every grid feasible where any peer reaches it", met: short.isEmpty,
                          detail: "peers reach it in \(reached.count)/\(ours.count) communities; we have every grid feasible in \(allFeasible)/\(ours.count)"
                              + (short.isEmpty ? "" : "; short in \(short.joined(separator: ", "))")
                              + String(format: " (feasible grids %.1f%%)", mine.shareFeasible * 100)))
        goals.append(Goal(goal: "all grids contiguous", met: mine.contiguous == mine.grids, detail: "\(mine.contiguous)/\(mine.grids)"))

        // PP: against every peer row at least as feasible as we are, on that row's own communities.
        let comparable = peers.filter { ($0.pooled?.shareFeasible ?? 0) >= mine.shareFeasible }
        var worst: (margin: Double, text: String)?
        for peer in comparable {
            guard let theirs = peer.pooled, let us = same(peer) else { continue }
            let margin = us.polsbyPopperMean - theirs.polsbyPopperMean
            if worst == nil || margin < worst!.margin {
                worst = (margin, "\(peer.method) \(Self.plain(theirs.polsbyPopperMean)) on its \(peer.rows.count) communities vs ours \(Self.plain(us.polsbyPopperMean))")
            }
        }
        goals.append(Goal(goal: "PP mean ≥ every peer at least as feasible as ours (feasible ≥ \(String(format: "%.1f%%", mine.shareFeasible * 100)), same communities)",
                          met: (worst?.margin ?? 0) >= 0,
                          detail: comparable.isEmpty ? "no peer is as feasible; ours \(Self.plain(mine.polsbyPopperMean))"
                              : "\(comparable.map(\.method).joined(separator: ", ")); closest: \(worst?.text ?? "-")"))

        // Changed households: below every peer on the peer's own communities.
        var closest: (margin: Double, text: String)?
        for peer in peers {
            guard let theirs = peer.pooled, let us = same(peer) else { continue }
            let ourShare = Double(peer.rows.compactMap { byCommunity[$0.community]?.score.changedHouseholds }.reduce(0, +)) / Double(us.households)
            let theirShare = Double(peer.rows.reduce(0) { $0 + $1.score.changedHouseholds }) / Double(theirs.households)
            if closest == nil || theirShare - ourShare < closest!.margin {
                closest = (theirShare - ourShare, String(format: "%@ %.1f%% vs ours %.1f%% on its %d communities", peer.method, theirShare * 100, ourShare * 100, peer.rows.count))
            }
        }
        goals.append(Goal(goal: "fewer changed households than every peer (same communities)", met: (closest?.margin ?? 1) > 0,
                          detail: String(format: "ours %.1f%% overall; closest: ", mine.shareChanged * 100) + (closest?.text ?? "-")))

        // Runtime: the fastest peer over all communities (sum), and its slowest community (max).
        let complete = peers.filter { $0.rows.count == $0.total && $0.rows.count == ours.count }
        if let fastest = complete.min(by: { $0.pooled!.secondsTotal < $1.pooled!.secondsTotal }), let f = fastest.pooled {
            let total = ours.reduce(0) { $0 + $1.seconds }, slowest = ours.map(\.seconds).max() ?? 0
            goals.append(Goal(goal: "runtime ≤ the fastest peer (sum and max over communities)",
                              met: total <= f.secondsTotal && slowest <= (fastest.rows.map(\.seconds).max() ?? 0),
                              detail: String(format: "ours %.3f / %.3f s, %@ %@ / %@ s", total, slowest, fastest.method,
                                             Self.plain(f.secondsTotal), Self.plain(f.secondsMax))))
        }
        return goals
    }

    static func plain(_ v: Double) -> String { TableRow.plain(v) }
}
