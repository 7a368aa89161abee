import Foundation
import GridAnalysis
import GridModel

/// The JSON and GeoJSON shapes of a coverage result, a stored run and a comparison: one rendering for the
/// command line and the HTTP API, so both print the same figures under the same names.
public enum CoverageReport {
    /// A group's totals: buildings, households, and per level households and buildings covered and the
    /// uncovered buildings (buildings with households that miss the level: the one definition every format uses).
    public static func group(_ totals: Coverage.Totals, _ profile: LifeCircleProfile) -> [String: Any] {
        ["code": totals.key, "buildings": totals.buildings, "households": totals.households,
         "off_network_buildings": totals.offNetworkBuildings, "levels": CoverageRuns.levelsJSON(totals, profile)]
    }

    /// The categories that cannot cover anyone, named: `[{category, note}]`.
    public static func facilityNotes(_ result: Coverage.Result) -> [[String: Any]] {
        result.facilityNotes.map { ["category": $0.category, "note": $0.note] }
    }

    /// Summary, communities and grids (and every building when asked) of the buildings `keep` accepts, with the
    /// run's id and freshness when it is stored.
    public static func json(_ result: Coverage.Result, run: CoverageRuns.Stored?, seconds: Double?, buildings includeBuildings: Bool,
                            keep: (Coverage.Building) -> Bool = { _ in true }) -> [String: Any] {
        var summary = result.totals { keep($0) ? "all" : nil }.first.map { group($0, result.profile) } ?? [:]
        summary["facilities_placed"] = result.facilitiesPlaced
        summary["facilities_off_network"] = result.facilitiesOffNetwork
        summary["categories_without_facilities"] = facilityNotes(result)
        if !result.networkParts.isEmpty { summary["network_parts"] = CoverageRuns.networkPartsJSON(result) }
        var object: [String: Any] = [
            "run_id": run?.id as Any? ?? NSNull(), "profile": result.profile.name,
            "summary": summary,
            "categories_without_facilities": facilityNotes(result),
            "communities": result.totals { keep($0) ? $0.community : nil }.map { group($0, result.profile) },
            "grids": result.totals { keep($0) ? $0.grid : nil }.map { group($0, result.profile) },
        ]
        if let seconds { object["seconds"] = seconds }
        if let run {
            object["created_at"] = run.createdAt
            for (key, value) in run.freshness.json { object[key] = value }
        }
        if includeBuildings {
            var rows: [[String: Any]] = []
            for b in result.buildings.indices where keep(result.buildings[b]) {
                let building = result.buildings[b], outcome = result.results[b]
                var nearest: [String: Any] = [:]
                for (category, answer) in zip(result.categories, outcome.nearest) {
                    nearest[category] = answer.map { ["facility": $0.facilityID, "distance_m": ($0.distance.value * 100).rounded() / 100,
                                                      "minutes": ($0.distance.value / result.profile.walkingSpeed / 60 * 100).rounded() / 100] } ?? NSNull()
                }
                rows.append([
                    "id": building.id, "households": building.households, "grid": building.grid as Any? ?? NSNull(),
                    "community": building.community as Any? ?? NSNull(),
                    "off_network_m": outcome.offNetwork.map { ($0.value * 100).rounded() / 100 } as Any? ?? NSNull(),
                    "nearest": nearest,
                    "levels_met": LevelsMet.met(building: b, in: result).minutes,
                ])
            }
            object["buildings"] = rows
        }
        return object
    }

    /// Buildings as GeoJSON features with their coverage; buildings no longer in the store are left out.
    public static func geoJSON(_ result: Coverage.Result, footprints: [Int64: MultiPolygon], existing: Set<Int64>?,
                               keep: (Coverage.Building) -> Bool = { _ in true }) -> String {
        var features: [String] = []
        for b in result.buildings.indices where keep(result.buildings[b]) {
            let building = result.buildings[b], outcome = result.results[b]
            guard let geometry = footprints[building.id].map(Geometry.multiPolygon)
                ?? ((existing?.contains(building.id) ?? true) ? .point(building.point) : nil) else { continue }
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
            features.append(GeoJSON.encodeFeature(id: .number(Double(building.id)), geometry: geometry, properties: properties))
        }
        // A foreign member (RFC 7946 §6.1) names the categories no building can meet, so a red map is explained.
        return "{\"type\":\"FeatureCollection\",\"categories_without_facilities\":" + notesJSONText(result)
            + ",\"features\":[" + features.joined(separator: ",\n") + "]}"
    }

    static func notesJSONText(_ result: Coverage.Result) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: facilityNotes(result), options: [.sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: comparisons

    public static func keyJSON(_ key: CoverageComparison.Key) -> [String: Any] {
        ["minutes": key.minutes, "category": key.category as Any? ?? NSNull()]
    }

    public static func keyLabel(_ key: CoverageComparison.Key) -> String {
        "\(CoverageRuns.formatMinutes(key.minutes))-min " + (key.category ?? "level")
    }

    static func changesJSON(_ group: CoverageComparison.Group, _ keys: [CoverageComparison.Key]) -> [[String: Any]] {
        zip(keys, group.changes).map { key, change in
            var object = keyJSON(key)
            object["households_gained"] = change.householdsGained
            object["households_lost"] = change.householdsLost
            object["buildings_gained"] = change.buildingsGained
            object["buildings_lost"] = change.buildingsLost
            return object
        }
    }

    /// `a`, `b`: the two sides' descriptions (a stored run's `json`, or `{"facilities": "current"}` …).
    public static func comparisonJSON(_ comparison: CoverageComparison, a: [String: Any], b: [String: Any]) -> [String: Any] {
        [
            "a": a, "b": b,
            "compared": comparison.keys.map(keyJSON),
            "total": changesJSON(comparison.total, comparison.keys),
            "communities": comparison.communities.map { ["code": $0.key, "changes": changesJSON($0, comparison.keys)] as [String: Any] },
            "grids": comparison.grids.map { ["code": $0.key, "changes": changesJSON($0, comparison.keys)] as [String: Any] },
            "changed_buildings": comparison.changedBuildings.map { building in
                ["id": building.id, "households": building.households, "grid": building.grid as Any? ?? NSNull(),
                 "community": building.community as Any? ?? NSNull(),
                 "gained": building.gained.map(keyJSON), "lost": building.lost.map(keyJSON)] as [String: Any]
            },
            "only_in_a": comparison.onlyInA, "only_in_b": comparison.onlyInB,
        ]
    }

    /// The changed buildings as GeoJSON: footprint (or point), households, grid, community, and the levels and
    /// requirements gained and lost (labels such as `5-min kindergarten`).
    public static func comparisonGeoJSON(_ comparison: CoverageComparison, footprints: [Int64: MultiPolygon], points: [Int64: Coordinate]) -> String {
        var features: [String] = []
        for building in comparison.changedBuildings {
            guard let geometry = footprints[building.id].map(Geometry.multiPolygon) ?? points[building.id].map(Geometry.point) else { continue }
            let properties: [(String, JSONValue)] = [
                ("id", .number(Double(building.id))), ("households", .number(Double(building.households))),
                ("grid", building.grid.map(JSONValue.string) ?? .null), ("community", building.community.map(JSONValue.string) ?? .null),
                ("gained", .array(building.gained.map { .string(keyLabel($0)) })), ("lost", .array(building.lost.map { .string(keyLabel($0)) })),
                ("change", .string(building.lost.isEmpty ? "gained" : building.gained.isEmpty ? "lost" : "mixed")),
            ]
            features.append(GeoJSON.encodeFeature(id: .number(Double(building.id)), geometry: geometry, properties: properties))
        }
        return "{\"type\":\"FeatureCollection\",\"features\":[" + features.joined(separator: ",\n") + "]}"
    }
}
