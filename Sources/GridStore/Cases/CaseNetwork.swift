import Foundation
import GRDB
import GridAnalysis
import GridCases
import GridModel
import Synchronization

/// What routing, duplicate search and impact need of the store's layers, built once and reused until a layer
/// changes: the walking network with its snapper (the reach rule coverage uses, as `WalkingNetwork` loads it), the
/// buildings placed on it with their current grid and community, and the grids. The loading is `GridServices`'s
/// (`CaseNetwork.load`, the server's analysis snapshot); nothing here reads the network or builds a snapper.
public final class CaseNetwork: Sendable {
    /// `AnalysisData.version` of the layers this was loaded from.
    public let version: String
    public let profile: LifeCircleProfile
    let graph: WalkingGraph
    let snapper: EdgeSnapper
    let placed: PlacedBuildings
    let buildingIndex: [Int64: Int]
    let grids: [AnalysisData.Area]
    let gridLocator: PolygonLocator
    let facilities: [Coverage.Facility]
    /// Facility impacts already computed: they depend only on the facility and the layers this was built from.
    private let impacts = Mutex<[Int64: FacilityImpact]>([:])

    /// A report's point farther than this from every building footprint and representative point concerns no building.
    public static let buildingReach = Meters(30)
    /// Households within this walk of a case are its impact.
    public static let impactMinutes = 5.0

    /// `snapper`: the walking network indexed by `profile`'s reach rule given `facilities`; `placed`: the store's
    /// buildings (`AnalysisData.buildings`, in id order) placed on it by the same rule; `version`: the layers' version
    /// read before any of them.
    public init(version: String, profile: LifeCircleProfile, snapper: EdgeSnapper, facilities: [Coverage.Facility], placed: PlacedBuildings,
                grids: [AnalysisData.Area]) {
        self.version = version
        self.profile = profile
        graph = snapper.graph
        self.snapper = snapper
        self.facilities = facilities
        self.placed = placed
        buildingIndex = Dictionary(uniqueKeysWithValues: placed.buildings.enumerated().map { ($1.id, $0) })
        self.grids = grids
        gridLocator = PolygonLocator(grids.map(\.shape))
        layerVersions = version.hasPrefix("layers-") ? DataVersions.decode(String(version.dropFirst("layers-".count))) : nil
    }

    /// Whether the layers changed since this was loaded.
    public func isCurrent(_ store: Store) throws -> Bool { try AnalysisData.version(store) == version }

    /// The layers' versions this was loaded from (nil when `version` is not `AnalysisData.version`'s).
    let layerVersions: DataVersions?

    /// Whether the layers in the caller's transaction are the ones this was loaded from (one read of the versions).
    func isCurrent(_ db: Database) throws -> Bool {
        guard let layerVersions else { return false }
        var values: [String: Int64] = [:]
        for row in try Row.fetchAll(try db.cachedStatement(sql: "SELECT layer, version FROM layer_versions")) { values[row[0]] = row[1] }
        return DataVersions(buildings: values["buildings"] ?? 0, facilities: values["facilities"] ?? 0, network: values["network"] ?? 0,
                            grids: values["grids"] ?? 0, communities: values["communities"] ?? 0) == layerVersions
    }

    var rule: ReachRule { profile.reach }

    func snap(_ point: Coordinate) -> SnapPoint? { rule.place(point, on: snapper) }

    /// The building a point concerns: the footprint holding it (lowest id), else the nearest representative point
    /// within `buildingReach` (lowest id among equals). Both through the layers' R-trees, never a scan.
    func building(at point: Coordinate, _ db: Database) throws -> Coverage.Building? {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM buildings
            WHERE id IN (SELECT pkid FROM idx_buildings_footprint WHERE xmin <= ?1 AND xmax >= ?1 AND ymin <= ?2 AND ymax >= ?2)
              AND ST_Contains(footprint, MakePoint(?1, ?2, 4326))
            ORDER BY id LIMIT 1
            """), arguments: [point.longitude, point.latitude]), let index = buildingIndex[id] {
            return placed.buildings[index]
        }
        // A box holding every point within the reach (a degree of latitude is at least 110.5 km), then exact distances.
        let dLat = Self.buildingReach.value / 110_000, dLon = dLat / max(0.01, cos(point.latitude * .pi / 180))
        let candidates = try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT pkid FROM idx_buildings_point WHERE xmin <= ?2 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?3
            """), arguments: [point.longitude - dLon, point.longitude + dLon, point.latitude - dLat, point.latitude + dLat])
        var best: (Double, Int)?
        for id in candidates {
            guard let i = buildingIndex[id] else { continue }
            let d = Geodesy.distance(placed.buildings[i].point, point).value
            if d <= Self.buildingReach.value, best.map({ (d, i) < $0 }) ?? true { best = (d, i) }
        }
        return best.map { placed.buildings[$0.1] }
    }

    /// The grid for a point: the building's grid when it has one, else the grid holding the point, else the nearest
    /// grid with its distance (flagged outside).
    func grid(for point: Coordinate, building: Coverage.Building?, _ db: Database) throws -> (code: String, community: String?, outside: Bool, distance: Meters)? {
        if let building, let code = building.grid {
            return (code, building.community ?? grids.first { $0.code == code }?.community, false, Meters(0))
        }
        if let index = gridLocator.first(containing: point) {
            return (grids[index].code, grids[index].community, false, Meters(0))
        }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT code, community_code, ST_Distance(geom, MakePoint(?, ?, 4326), 1) AS d FROM grids ORDER BY d, code LIMIT 1
            """), arguments: [point.longitude, point.latitude]) else { return nil }
        let distance: Double? = row[2]
        return (row[0], row[1], true, Meters(distance ?? .infinity))
    }

    /// Households whose buildings are within `minutes` of walking from the point (nil when the point is off the network).
    func householdsWithin(minutes: Double, of point: Coordinate) throws -> Int? {
        guard let origin = snap(point) else { return nil }
        let answers = try NearestFacilitySearch.run(graph: graph, sources: [.init(facilityID: 0, snap: origin)],
                                                    targets: placed.snaps, horizon: rule.distance(minutes: minutes))
        var total = 0
        for (i, answer) in answers.enumerated() where answer != nil { total += placed.buildings[i].households }
        return total
    }

    /// Walking distances from `point` to each of `others` within `horizon` (nil: farther, or off the network).
    func walkingDistances(from point: Coordinate, to others: [Coordinate], horizon: Meters) throws -> [Meters?] {
        guard let origin = snap(point), !others.isEmpty else { return others.map { _ in nil } }
        let targets = others.map { snap($0) }
        return try NearestFacilitySearch.run(graph: graph, sources: [.init(facilityID: 0, snap: origin)], targets: targets, horizon: horizon)
            .map { $0?.distance }
    }

    /// A facility out of service: the nearest facility of `category` within `buildingReach` of the point, and the
    /// households that lose each life-circle level without it, by the coverage core on the current layers (stored
    /// runs are not read or written). Only buildings within the largest level's walk can lose anything.
    func facilityImpact(category: String, at point: Coordinate) throws -> FacilityImpact? {
        let candidates = facilities.filter { $0.category == category }
            .map { ($0, Geodesy.distance($0.location, point).value) }
            .filter { $0.1 <= Self.buildingReach.value }
            .sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
        guard let facility = candidates.first?.0, profile.categories.contains(category) else { return nil }
        if let known = impacts.withLock({ $0[facility.id] }) { return known }
        let reach = rule.distance(minutes: profile.levels.map(\.minutes).max() ?? 15).value + 2 * rule.snapLimit.value
        let nearby = placed.buildings.filter { Geodesy.distance($0.point, facility.location).value <= reach }
        let others = facilities.filter { $0.id != facility.id }
        let with = try Coverage.run(graph: graph, snapper: snapper, buildings: nearby, facilities: facilities, profile: profile)
        let without = try Coverage.run(graph: graph, snapper: snapper, buildings: nearby, facilities: others, profile: profile)
        let levels = profile.levels.indices.map { l in
            var households = 0
            for b in nearby.indices where with.results.isLevelMet(building: b, level: l) && !without.results.isLevelMet(building: b, level: l) {
                households += nearby[b].households
            }
            return FacilityImpact.Level(minutes: profile.levels[l].minutes, householdsLosing: households)
        }
        let impact = FacilityImpact(facilityID: facility.id, category: category, profile: profile.name, levels: levels)
        impacts.withLock { $0[facility.id] = impact }
        return impact
    }
}

/// The households that lose each life-circle level while a facility is out of service.
public struct FacilityImpact: Codable, Sendable, Hashable {
    public struct Level: Codable, Sendable, Hashable {
        public var minutes: Double
        public var householdsLosing: Int
        enum CodingKeys: String, CodingKey { case minutes, householdsLosing = "households_losing" }
    }
    public var facilityID: Int64
    public var category: String
    public var profile: String
    public var levels: [Level]
    enum CodingKeys: String, CodingKey { case facilityID = "facility_id", category, profile, levels }
}
