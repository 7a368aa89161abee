import GridModel

extension Coverage.Result {
    /// A result rebuilt from stored per-building answers and verdicts, so a stored run renders without a search.
    /// `nearest` is per category (in `profile.categories` order), per building; `met` per building, per level,
    /// per requirement of the level.
    public init(profile: LifeCircleProfile, buildings: [Coverage.Building], nearest: [[NearestFacilitySearch.Answer?]],
                offNetwork: [Meters?], met: [[[Bool]]], facilitiesPlaced: [String: Int], facilitiesOffNetwork: [String: Int]) {
        let columns = nearest.map { answers -> NearestFacilitySearch.Columns in
            let ids = Array(Set(answers.compactMap { $0?.facilityID })).sorted()
            let rankOf = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element, Int32($0.offset)) })
            return NearestFacilitySearch.Columns(
                facilityIDs: ids, rank: answers.map { $0.map { rankOf[$0.facilityID]! } ?? -1 },
                distance: answers.map { $0?.distance.value ?? .infinity })
        }
        let results = Coverage.BuildingResults(
            requirementsPerLevel: profile.levels.map(\.categories.count), nearest: columns,
            offNetwork: offNetwork.map { $0?.value ?? .nan }, met: met.flatMap { $0.flatMap { $0 } })
        self.init(profile: profile, categories: profile.categories, buildings: buildings, results: results,
                  facilitiesPlaced: facilitiesPlaced, facilitiesOffNetwork: facilitiesOffNetwork)
    }

    /// Categories of the profile with no facility at all: every level needing one is unmet everywhere, and
    /// outputs say so instead of showing a bare 0 %.
    public var categoriesWithoutFacilities: [String] {
        categories.filter { (facilitiesPlaced[$0] ?? 0) + (facilitiesOffNetwork[$0] ?? 0) == 0 }
    }

    /// Categories whose facilities all lie beyond the snap limit: present, but reaching no one.
    public var categoriesOffNetwork: [String] {
        categories.filter { (facilitiesPlaced[$0] ?? 0) == 0 && (facilitiesOffNetwork[$0] ?? 0) > 0 }
    }

    /// One line per category that cannot cover anyone, e.g. `elderly_care: no facility in the store`.
    public var facilityNotes: [(category: String, note: String)] {
        categories.compactMap { category in
            let placed = facilitiesPlaced[category] ?? 0, off = facilitiesOffNetwork[category] ?? 0
            if placed + off == 0 { return (category, "no facility in the store") }
            if placed == 0 { return (category, "\(off) \(off == 1 ? "facility" : "facilities") in the store, none within the snap limit of the network") }
            return nil
        }
    }
}

extension Coverage.Result {
    /// The result restricted to the buildings `keep` accepts (a community filter before a comparison).
    public func filtered(_ keep: (Coverage.Building) -> Bool) -> Coverage.Result {
        let indices = buildings.indices.filter { keep(buildings[$0]) }
        if indices.count == buildings.count { return self }
        return Coverage.Result(
            profile: profile, buildings: indices.map { buildings[$0] },
            nearest: categories.indices.map { c in indices.map { results.nearest(building: $0, category: c) } },
            offNetwork: indices.map { results.isOffNetwork($0) ? nil : results[$0].offNetwork },
            met: indices.map { b in profile.levels.indices.map { l in profile.levels[l].categories.indices.map { results.isMet(building: b, level: l, requirement: $0) } } },
            facilitiesPlaced: facilitiesPlaced, facilitiesOffNetwork: facilitiesOffNetwork)
    }
}

/// What changed between two coverage results of the same buildings: households gaining and losing each
/// level and each requirement (level and category), in all, per community and per grid, and the buildings
/// whose verdicts changed. Levels are matched by minutes and requirements by minutes and category, so two
/// profiles compare on what they share.
public struct CoverageComparison: Sendable {
    public struct Key: Sendable, Hashable, Comparable {
        public var minutes: Double
        /// nil for the level itself.
        public var category: String?
        public static func < (a: Key, b: Key) -> Bool { (a.minutes, a.category ?? "") < (b.minutes, b.category ?? "") }
    }

    public struct Change: Sendable, Hashable {
        public var householdsGained = 0, householdsLost = 0
        public var buildingsGained = 0, buildingsLost = 0
    }

    public struct Group: Sendable {
        public var key: String
        /// Per compared key (`keys` order).
        public var changes: [Change]
    }

    public struct ChangedBuilding: Sendable {
        public var id: Int64
        public var households: Int
        public var grid: String?
        public var community: String?
        public var gained: [Key]
        public var lost: [Key]
    }

    /// Levels first (category nil), then requirements, by minutes.
    public var keys: [Key]
    public var total: Group
    public var communities: [Group]
    public var grids: [Group]
    public var changedBuildings: [ChangedBuilding]
    /// Buildings in only one of the two results (added or removed between them).
    public var onlyInA: [Int64]
    public var onlyInB: [Int64]

    /// Groups use `b`'s grid and community of each building.
    public init(_ a: Coverage.Result, _ b: Coverage.Result) {
        func verdicts(_ result: Coverage.Result) -> [Key: (level: Int, requirement: Int?)] {
            var map: [Key: (Int, Int?)] = [:]
            for (l, level) in result.profile.levels.enumerated() {
                map[Key(minutes: level.minutes, category: nil)] = (l, nil)
                for (r, requirement) in level.categories.enumerated() where map[Key(minutes: level.minutes, category: requirement.category)] == nil {
                    map[Key(minutes: level.minutes, category: requirement.category)] = (l, r)
                }
            }
            return map
        }
        let inA = verdicts(a), inB = verdicts(b)
        let keys = Set(inA.keys).intersection(inB.keys).sorted { ($0.category == nil ? 0 : 1, $0) < ($1.category == nil ? 0 : 1, $1) }
        self.keys = keys
        func met(_ result: Coverage.Result, _ index: Int, _ slot: (level: Int, requirement: Int?)) -> Bool {
            if let r = slot.requirement { return result.results.isMet(building: index, level: slot.level, requirement: r) }
            return result.results.isLevelMet(building: index, level: slot.level)
        }
        let indexInA = Dictionary(a.buildings.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { x, _ in x })
        let idsInB = Set(b.buildings.map(\.id))
        var total = Group(key: "all", changes: Array(repeating: Change(), count: keys.count))
        var communities: [String: Group] = [:], grids: [String: Group] = [:]
        var changed: [ChangedBuilding] = []
        var onlyInB: [Int64] = []
        for (j, building) in b.buildings.enumerated() {
            guard let i = indexInA[building.id] else { onlyInB.append(building.id); continue }
            var gained: [Key] = [], lost: [Key] = []
            var deltas: [(Int, Bool)] = []
            for (k, key) in keys.enumerated() {
                let before = met(a, i, inA[key]!), after = met(b, j, inB[key]!)
                if before == after { continue }
                if after { gained.append(key) } else { lost.append(key) }
                deltas.append((k, after))
            }
            if deltas.isEmpty { continue }
            func apply(_ group: inout Group) {
                for (k, isGain) in deltas {
                    if isGain {
                        group.changes[k].householdsGained += building.households; group.changes[k].buildingsGained += 1
                    } else {
                        group.changes[k].householdsLost += building.households; group.changes[k].buildingsLost += 1
                    }
                }
            }
            apply(&total)
            let empty = Group(key: "", changes: Array(repeating: Change(), count: keys.count))
            let communityKey = building.community ?? "(none)", gridKey = building.grid ?? "(none)"
            if communities[communityKey] == nil { communities[communityKey] = Group(key: communityKey, changes: empty.changes) }
            apply(&communities[communityKey]!)
            if grids[gridKey] == nil { grids[gridKey] = Group(key: gridKey, changes: empty.changes) }
            apply(&grids[gridKey]!)
            changed.append(ChangedBuilding(id: building.id, households: building.households, grid: building.grid,
                                           community: building.community, gained: gained, lost: lost))
        }
        self.total = total
        self.communities = communities.values.sorted { $0.key < $1.key }
        self.grids = grids.values.sorted { $0.key < $1.key }
        changedBuildings = changed
        onlyInA = a.buildings.map(\.id).filter { !idsInB.contains($0) }
        self.onlyInB = onlyInB
    }
}
