import Dispatch
import GridModel
import Synchronization

/// Life-circle coverage: for every building the nearest facility of each category on foot, and whether
/// each level of a profile is met; totals per grid, community or any other grouping.
public enum Coverage {
    public struct Building: Sendable, Hashable {
        public var id: Int64
        public var point: Coordinate
        public var households: Int
        public var grid: String?
        public var community: String?
        public init(id: Int64, point: Coordinate, households: Int, grid: String? = nil, community: String? = nil) {
            self.id = id; self.point = point; self.households = households; self.grid = grid; self.community = community
        }
    }

    public struct Facility: Sendable, Hashable {
        public var id: Int64
        public var category: String
        public var location: Coordinate
        public init(id: Int64, category: String, location: Coordinate) {
            self.id = id; self.category = category; self.location = location
        }
    }

    public struct BuildingResult: Sendable, Hashable {
        /// Straight-line distance to the network; nil when the building is farther than the snap limit.
        public var offNetwork: Meters?
        /// Per profile category (`Result.categories` order): the nearest facility within the horizon.
        public var nearest: [NearestFacilitySearch.Answer?]
        /// Per level, per requirement: met or not.
        public var met: [[Bool]]
        /// Per level: every requirement met.
        public var levelMet: [Bool]
    }

    public struct Result: Sendable {
        public var profile: LifeCircleProfile
        public var categories: [String]
        public var buildings: [Building]
        /// One `BuildingResult` per building, in `buildings` order (columnar underneath).
        public var results: BuildingResults
        /// Per category: facilities placed on the network, and those beyond the snap limit.
        public var facilitiesPlaced: [String: Int]
        public var facilitiesOffNetwork: [String: Int]

        /// The network's parts the buildings and facilities joined, most households first (see `NetworkParts`).
        public var networkParts: [NetworkPartTotals] = []

        public func categoryIndex(_ category: String) -> Int? { categories.firstIndex(of: category) }
    }

    /// One connected part of the walking network and what joined it.
    public struct NetworkPartTotals: Sendable, Hashable {
        /// The graph's component number (stable for one network).
        public var component: Int32
        public var nodes: Int
        public var length: Meters
        public var isLargest: Bool
        public var buildings = 0
        public var households = 0
        public var facilities = 0
    }

    /// Households and buildings covered, for one group of buildings.
    public struct Totals: Sendable, Hashable {
        public var key: String
        public var buildings = 0
        public var households = 0
        public var offNetworkBuildings = 0
        public var levels: [LevelTotals]

        public struct LevelTotals: Sendable, Hashable {
            public var minutes: Double
            public var householdsCovered = 0
            public var buildingsCovered = 0
            /// Per requirement of the level, households whose building meets it.
            public var householdsMeeting: [Int]
            /// Buildings with households that miss the level, by id.
            public var uncoveredBuildings: [Int64] = []
        }

        public func share(level: Int) -> Double {
            households == 0 ? 0 : Double(levels[level].householdsCovered) / Double(households)
        }
    }

    /// Places buildings and facilities by the profile's reach rule, runs one multi-source search per
    /// category, and judges each level.
    public static func run(
        graph: WalkingGraph, snapper: EdgeSnapper, buildings: [Building], facilities: [Facility],
        profile: LifeCircleProfile, isCancelled: () -> Bool = { false }
    ) throws -> Result {
        let categories = profile.categories
        let rule = profile.reach
        let targets = rule.place(buildings.map(\.point), on: snapper)
        // Every facility placed once (a point's place is its own): each category's sources and the parts' totals.
        let facilitySnaps = rule.place(facilities.map(\.location), on: snapper)
        let membersOf: [String: [Int]] = {
            var byCategory: [String: [Int]] = [:]
            for (f, facility) in facilities.enumerated() { byCategory[facility.category, default: []].append(f) }
            return byCategory
        }()
        // Categories are independent searches: run them on every core, each with its own workspace.
        struct CategoryOutcome {
            var placed = 0, offNetwork = 0
            var nearest = NearestFacilitySearch.Columns(facilityIDs: [], rank: [], distance: [])
            var error: (any Error)?
        }
        var outcomes = [CategoryOutcome](repeating: CategoryOutcome(), count: categories.count)
        withoutActuallyEscaping(isCancelled) { poll in
        let cancelled = CancellationFlag(poll)
        // Workspaces are reused across categories: a fresh one per category would allocate and clear its
        // per-node arrays (16 bytes a node) every time. At most one per thread is ever alive.
        let spare = Mutex<[UnsafeWorkspace]>([])
        outcomes.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: categories.count) { c in
                let category = categories[c]
                let members = membersOf[category] ?? []
                var sources: [NearestFacilitySearch.Source] = []
                for f in members {
                    if let snap = facilitySnaps[f] { sources.append(.init(facilityID: facilities[f].id, snap: snap)) }
                }
                var outcome = CategoryOutcome(placed: sources.count, offNetwork: members.count - sources.count)
                let workspace = spare.withLock { $0.popLast() } ?? UnsafeWorkspace(SearchWorkspace())
                do {
                    outcome.nearest = try NearestFacilitySearch.columns(
                        graph: graph, sources: sources, targets: targets, horizon: profile.horizon(for: category),
                        workspace: workspace.value, isCancelled: { cancelled.check() })
                } catch {
                    outcome.error = error
                }
                spare.withLock { $0.append(workspace) }
                slots[c] = outcome
            }
        }
        }
        if let error = outcomes.lazy.compactMap(\.error).first { throw error }
        var placed: [String: Int] = [:], offNetwork: [String: Int] = [:]
        for (category, outcome) in zip(categories, outcomes) {
            placed[category] = outcome.placed
            offNetwork[category] = outcome.offNetwork
        }
        let nearest = outcomes.map(\.nearest)
        let requirementCategory = profile.levels.map { level in level.categories.map { categories.firstIndex(of: $0.category)! } }
        let limits = profile.levels.map { level in level.categories.map { profile.limit($0, at: level).value } }
        let perBuilding = requirementCategory.reduce(0) { $0 + $1.count }
        var met = [Bool](repeating: false, count: buildings.count * perBuilding)
        for b in buildings.indices {
            var slot = b * perBuilding
            for l in profile.levels.indices {
                for r in requirementCategory[l].indices {
                    let column = nearest[requirementCategory[l][r]]
                    met[slot] = column.rank[b] >= 0 && column.distance[b] <= limits[l][r]
                    slot += 1
                }
            }
        }
        let results = BuildingResults(
            requirementsPerLevel: requirementCategory.map(\.count), nearest: nearest,
            offNetwork: targets.map { $0?.offNetwork.value ?? .nan }, met: met)
        var result = Result(profile: profile, categories: categories, buildings: buildings, results: results,
                            facilitiesPlaced: placed, facilitiesOffNetwork: offNetwork)
        result.networkParts = partTotals(graph: graph, buildings: buildings, snaps: targets,
                                         facilitySnaps: facilitySnaps)
        return result
    }

    /// Buildings, households and facilities per network part they joined.
    static func partTotals(graph: WalkingGraph, buildings: [Building], snaps: [SnapPoint?], facilitySnaps: [SnapPoint?]) -> [NetworkPartTotals] {
        guard graph.edgeCount > 0 else { return [] }
        var lengths: [Int32: Double] = [:]
        var byPart: [Int32: NetworkPartTotals] = [:]
        func part(_ snap: SnapPoint) -> Int32 {
            let component = NetworkParts.component(of: snap, in: graph)
            if byPart[component] == nil {
                byPart[component] = NetworkPartTotals(component: component, nodes: graph.componentSizes[Int(component)], length: .zero,
                                                      isLargest: component == graph.largestComponent)
                lengths[component] = 0
            }
            return component
        }
        for (building, snap) in zip(buildings, snaps) {
            guard let snap else { continue }
            let c = part(snap)
            byPart[c]!.buildings += 1
            byPart[c]!.households += building.households
        }
        for snap in facilitySnaps {
            guard let snap else { continue }
            byPart[part(snap)]!.facilities += 1
        }
        for e in 0..<graph.edgeCount {
            let component = graph.componentOfNode[Int(graph.edgeSources[e])]
            if lengths[component] != nil { lengths[component]! += graph.edgeLengths[e] }
        }
        for (component, length) in lengths { byPart[component]!.length = Meters(length) }
        return byPart.values.sorted { ($0.households, -$0.component) > ($1.households, -$1.component) }
    }
}

extension Coverage.Result {
    /// Totals per key (nil keys are left out), sorted by key; `"all"` for the whole area.
    public func totals(by key: (Coverage.Building) -> String?) -> [Coverage.Totals] {
        // Groups numbered as met, found by key once per run of buildings with the same key (a city's buildings come
        // community by community), the sums in flat arrays and each building's verdicts read as bits: a city's
        // million buildings in one pass.
        let levels = profile.levels
        let levelCount = levels.count
        let requirementStart = levels.reduce(into: [0]) { $0.append($0.last! + $1.categories.count) }
        let requirementCount = requirementStart.last!
        let asBits = levelCount <= 64 && requirementCount <= 64
        var keys: [String] = []
        var groupOf: [String: Int] = [:]
        var lastKey = "", lastGroup = -1
        var buildingCount: [Int] = [], householdCount: [Int] = [], offNetworkCount: [Int] = []
        var covered: [Int] = [], coveredBuildings: [Int] = [], meeting: [Int] = []
        var uncovered: [[Int64]] = []
        for b in buildings.indices {
            let building = buildings[b]
            guard let name = key(building) else { continue }
            let g: Int
            if lastGroup >= 0 && name == lastKey {
                g = lastGroup
            } else if let found = groupOf[name] {
                g = found
            } else {
                g = keys.count
                groupOf[name] = g
                keys.append(name)
                buildingCount.append(0); householdCount.append(0); offNetworkCount.append(0)
                covered += repeatElement(0, count: levelCount)
                coveredBuildings += repeatElement(0, count: levelCount)
                meeting += repeatElement(0, count: requirementCount)
                uncovered += repeatElement([], count: levelCount)
            }
            lastKey = name
            lastGroup = g
            let households = building.households
            buildingCount[g] += 1
            householdCount[g] += households
            if results.isOffNetwork(b) { offNetworkCount[g] += 1 }
            let bits = asBits ? results.verdictBits(building: b) : (levels: 0, requirements: 0)
            for l in 0..<levelCount {
                let met = asBits ? bits.levels & (1 << UInt64(l)) != 0 : results.isLevelMet(building: b, level: l)
                if met {
                    covered[g * levelCount + l] += households
                    coveredBuildings[g * levelCount + l] += 1
                } else if households > 0 {
                    uncovered[g * levelCount + l].append(building.id)
                }
                for k in requirementStart[l]..<requirementStart[l + 1] {
                    let meets = asBits ? bits.requirements & (1 << UInt64(k)) != 0
                        : results.isMet(building: b, level: l, requirement: k - requirementStart[l])
                    if meets { meeting[g * requirementCount + k] += households }
                }
            }
        }
        return keys.indices.map { g in
            Coverage.Totals(key: keys[g], buildings: buildingCount[g], households: householdCount[g], offNetworkBuildings: offNetworkCount[g],
                            levels: levels.indices.map { l in
                                .init(minutes: levels[l].minutes, householdsCovered: covered[g * levelCount + l],
                                      buildingsCovered: coveredBuildings[g * levelCount + l],
                                      householdsMeeting: Array(meeting[(g * requirementCount + requirementStart[l])..<(g * requirementCount + requirementStart[l + 1])]),
                                      uncoveredBuildings: uncovered[g * levelCount + l])
                            })
        }.sorted { $0.key < $1.key }
    }

    public var summary: Coverage.Totals { totals { _ in "all" }.first ?? Coverage.Totals(key: "all", levels: []) }
}

/// A caller's cancellation check shared by parallel searches: polled under a lock, sticky once true.
final class CancellationFlag: Sendable {
    private let state: Mutex<Bool>
    nonisolated(unsafe) private let poll: () -> Bool

    init(_ poll: @escaping () -> Bool) {
        self.poll = poll
        state = Mutex(false)
    }

    func check() -> Bool {
        state.withLock { cancelled in
            if !cancelled { cancelled = poll() }
            return cancelled
        }
    }
}

extension Coverage {
    /// Results stored by column (per category a facility rank and a distance per building, one flag per
    /// requirement) so that a city of 300,000 buildings costs tens of megabytes, not one small array per
    /// building.
    public struct BuildingResults: RandomAccessCollection, Sendable, Equatable {
        let requirementsPerLevel: [Int]
        let levelOffsets: [Int]
        let perBuilding: Int
        /// Per category: per building, the nearest facility's rank and distance.
        let nearest: [NearestFacilitySearch.Columns]
        /// NaN: beyond the snap limit.
        let offNetwork: [Double]
        /// Building-major: `perBuilding` flags per building, level by level.
        let met: [Bool]

        init(requirementsPerLevel: [Int], nearest: [NearestFacilitySearch.Columns], offNetwork: [Double], met: [Bool]) {
            self.requirementsPerLevel = requirementsPerLevel
            var offsets: [Int] = [], total = 0
            for count in requirementsPerLevel { offsets.append(total); total += count }
            levelOffsets = offsets
            perBuilding = total
            self.nearest = nearest
            self.offNetwork = offNetwork
            self.met = met
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { offNetwork.count }

        public subscript(b: Int) -> BuildingResult {
            let met = requirementsPerLevel.indices.map { l in (0..<requirementsPerLevel[l]).map { isMet(building: b, level: l, requirement: $0) } }
            return BuildingResult(
                offNetwork: offNetwork[b].isNaN ? nil : Meters(offNetwork[b]),
                nearest: nearest.map { $0.answer(b) }, met: met, levelMet: met.map { $0.allSatisfy { $0 } })
        }

        public func nearest(building b: Int, category c: Int) -> NearestFacilitySearch.Answer? { nearest[c].answer(b) }
        public func isOffNetwork(_ b: Int) -> Bool { offNetwork[b].isNaN }
        /// The building's straight leg to the network (`BuildingResult.offNetwork`) without building the whole result.
        public func offNetworkDistance(_ b: Int) -> Meters? { offNetwork[b].isNaN ? nil : Meters(offNetwork[b]) }
        public func isMet(building b: Int, level l: Int, requirement r: Int) -> Bool { met[b * perBuilding + levelOffsets[l] + r] }
        /// A building's verdicts as bits, read in one call for a city's million buildings: bit l of `levels` set when
        /// level l is met, bit k of `requirements` when the k-th requirement (level by level) is met. At most 64 each.
        public func verdictBits(building b: Int) -> (levels: UInt64, requirements: UInt64) {
            var levels: UInt64 = 0, requirements: UInt64 = 0
            var k = 0, slot = b * perBuilding
            for l in requirementsPerLevel.indices {
                var all = true
                for _ in 0..<requirementsPerLevel[l] {
                    if met[slot] { requirements |= 1 << UInt64(k) } else { all = false }
                    k += 1
                    slot += 1
                }
                if all { levels |= 1 << UInt64(l) }
            }
            return (levels, requirements)
        }

        public func isLevelMet(building b: Int, level l: Int) -> Bool {
            let start = b * perBuilding + levelOffsets[l]
            return !met[start..<start + requirementsPerLevel[l]].contains(false)
        }

        public static func == (a: BuildingResults, b: BuildingResults) -> Bool {
            a.requirementsPerLevel == b.requirementsPerLevel && a.met == b.met
                && a.offNetwork.elementsEqual(b.offNetwork) { $0 == $1 || ($0.isNaN && $1.isNaN) }
                && a.nearest.count == b.nearest.count
                && zip(a.nearest, b.nearest).allSatisfy { x, y in
                    x.rank.count == y.rank.count && x.rank.indices.allSatisfy { x.answer($0) == y.answer($0) }
                }
        }
    }
}

/// A workspace handed between the threads of one analysis; only one thread uses it at a time.
private struct UnsafeWorkspace: @unchecked Sendable {
    let value: SearchWorkspace
    init(_ value: SearchWorkspace) { self.value = value }
}
