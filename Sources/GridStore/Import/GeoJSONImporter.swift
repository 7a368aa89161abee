import Foundation
import GRDB
import GridModel

/// `import geojson --layer NAME`: planners' FeatureCollections into one layer, in one transaction.
public enum GeoJSONImporter {
    public enum Layer: String, CaseIterable, Sendable {
        case communities, grids, buildings, facilities
    }

    /// Store field → the property that holds it in the file.
    public static func defaultPropertyNames(for layer: Layer) -> [String: String] {
        switch layer {
        case .communities:
            ["code": "code", "name": "name", "admin_code": "admin_code", "street_code": "street_code", "community_code": "community_code"]
        case .grids: ["code": "code", "name": "name", "community": "community"]
        case .buildings: ["id": "id", "households": "households", "levels": "levels", "type": "type", "name": "name"]
        case .facilities: ["id": "id", "category": "category", "name": "name", "capacity": "capacity"]
        }
    }

    /// Parses `households=HH,levels=FLOORS` into overrides of the default property names.
    public static func propertyMapping(_ text: String?, layer: Layer) throws -> [String: String] {
        var mapping = defaultPropertyNames(for: layer)
        guard let text, !text.isEmpty else { return mapping }
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else {
                throw StoreError.badInput("--map: expected FIELD=PROPERTY, got \"\(pair)\"")
            }
            guard mapping[parts[0]] != nil else {
                let known = mapping.keys.sorted().joined(separator: ", ")
                throw StoreError.badInput("--map: layer \(layer.rawValue) has no field \"\(parts[0])\" (fields: \(known))")
            }
            mapping[parts[0]] = parts[1]
        }
        return mapping
    }

    /// Places (pupils, beds, …) one facility may hold; beyond it the value is a data error.
    static let maximumCapacity = 1_000_000

    /// Reads the file in `crs` (nil: its `crs` member, else WGS84); see `LayerImporter`.
    public static func run(
        store: Store, path: String, layer: Layer, mapping: [String: String]? = nil, rules: ImportRules = .default,
        crs: CoordinateSystem? = nil, acceptMisaligned: Bool = false
    ) throws -> ImportSummary {
        try LayerImporter.run(
            store: store, path: path, format: .geojson, layer: layer,
            options: LayerImporter.Options(crs: crs, mapping: mapping, acceptMisaligned: acceptMisaligned, rules: rules))
    }

    struct Context: Sendable {
        var path: String
        var names: [String: String]
        var source: String
        var rules: ImportRules

        func fail(_ index: Int, _ feature: Feature, _ message: String) -> StoreError {
            let id = feature.id.flatMap(\.stringValue).map { " (id \"\($0)\")" } ?? ""
            return .badInput("\(path): feature \(index)\(id): \(message)")
        }

        func value(_ field: String, _ feature: Feature) -> JSONValue? {
            guard let property = names[field], let value = feature.properties[property], value != .null else { return nil }
            return value
        }

        func string(_ field: String, _ feature: Feature) -> String? {
            value(field, feature)?.stringValue.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }

        func requiredString(_ field: String, _ index: Int, _ feature: Feature) throws -> String {
            guard let text = string(field, feature) else {
                throw fail(index, feature, "property \"\(names[field] ?? field)\" (\(field)) is missing")
            }
            return text
        }

        func digits(_ field: String, _ count: Int, _ index: Int, _ feature: Feature) throws -> String {
            let text = try requiredString(field, index, feature)
            guard text.count == count, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else {
                throw fail(index, feature, "property \"\(names[field] ?? field)\" (\(field)) must be \(count) digits, got \"\(text)\"")
            }
            return text
        }

        func number(_ field: String, _ index: Int, _ feature: Feature, maximum: Int? = nil) throws -> Double? {
            guard let value = value(field, feature) else { return nil }
            guard let number = value.doubleValue, number.isFinite, number >= 0 else {
                throw fail(index, feature, "property \"\(names[field] ?? field)\" (\(field)) must be a non-negative number, got \(GeoJSON.encode(value))")
            }
            if let maximum, number > Double(maximum) {
                throw fail(index, feature, "property \"\(names[field] ?? field)\" (\(field)) must be at most \(maximum), got \(GeoJSON.encode(value))")
            }
            return number
        }

        /// A whole number from 0 to `maximum`, checked before it becomes an `Int`.
        func count(_ field: String, _ index: Int, _ feature: Feature, maximum: Int) throws -> Int? {
            guard let number = try number(field, index, feature, maximum: maximum) else { return nil }
            guard let whole = Int(exactly: number) else {
                throw fail(index, feature, "property \"\(names[field] ?? field)\" (\(field)) must be a whole number, got \(GeoJSON.encode(.number(number)))")
            }
            return whole
        }

        /// Runs one row's statement; a row the store refuses is reported as this feature, without SQL.
        func row(_ index: Int, _ feature: Feature, _ insert: () throws -> Void) throws {
            do { try insert() } catch let error as DatabaseError {
                let id = feature.id.flatMap(\.stringValue).map { " (id \"\($0)\")" } ?? ""
                throw ImportFailure.rowRefused(error, file: path, place: "feature \(index)\(id)")
            }
        }

        func area(_ index: Int, _ feature: Feature) throws -> MultiPolygon {
            guard let geometry = feature.geometry else { throw fail(index, feature, "geometry is null; expected Polygon or MultiPolygon") }
            guard let area = geometry.asMultiPolygon else {
                throw fail(index, feature, "geometry is \(geometry.typeName); expected Polygon or MultiPolygon")
            }
            return area
        }

        func sourceID(_ index: Int, _ feature: Feature) -> String {
            string("id", feature) ?? feature.id?.stringValue ?? "feature-\(index)"
        }
    }

    /// GEOS, through Spatialite, judges validity (self-intersections, bad holes) the same way QGIS does.
    static func checkValid(_ area: MultiPolygon, _ index: Int, _ feature: Feature, _ context: Context, _ db: Database) throws -> Data {
        let wkb = Data(Geometry.multiPolygon(area).wkb())
        var row: Row?
        try context.row(index, feature) {
            row = try Row.fetchOne(
                db, sql: "SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason FROM (SELECT GeomFromWKB(?, 4326) AS g)",
                arguments: [wkb])
        }
        if let row, (row["valid"] as Int?) != 1 {
            let reason: String = row["reason"] ?? "rejected by GEOS"
            throw context.fail(index, feature, "invalid polygon: \(reason)")
        }
        return wkb
    }

    static func importCommunities(_ features: [Feature], _ context: Context, _ db: Database) throws -> ([(name: String, value: Int)], WarningList) {
        var seen = Set<String>()
        var inserted = 0, updated = 0
        let statement = try db.makeStatement(sql: """
            INSERT INTO communities (code, name, admin_code, street_code, community_code, source, area_m2, geom)
            VALUES (?, ?, ?, ?, ?, ?, ?, GeomFromWKB(?, 4326))
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, admin_code = excluded.admin_code,
                street_code = excluded.street_code, community_code = excluded.community_code,
                source = excluded.source, area_m2 = excluded.area_m2, geom = excluded.geom
            """)
        for (index, feature) in features.enumerated() {
            let code = try context.digits("code", 12, index, feature)
            guard seen.insert(code).inserted else { throw context.fail(index, feature, "community code \(code) appears twice in the file") }
            let admin = context.string("admin_code", feature) ?? String(code.prefix(6))
            let street = context.string("street_code", feature) ?? String(code.dropFirst(6).prefix(3))
            let community = context.string("community_code", feature) ?? String(code.suffix(3))
            guard admin + street + community == code else {
                throw context.fail(index, feature, "code \(code) does not equal admin_code + street_code + community_code (\(admin)+\(street)+\(community))")
            }
            let area = try context.area(index, feature)
            let wkb = try checkValid(area, index, feature, context, db)
            let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM communities WHERE code = ?"), arguments: [code]) ?? false
            try context.row(index, feature) {
                try statement.execute(arguments: [
                    code, context.string("name", feature) ?? code, admin, street, community, context.source, area.areaSquareMeters, wkb,
                ])
            }
            if exists { updated += 1 } else { inserted += 1 }
        }
        return ([("features", features.count), ("communities inserted", inserted), ("communities updated", updated)], WarningList())
    }

    static func importGrids(_ features: [Feature], _ context: Context, _ db: Database) throws -> ([(name: String, value: Int)], WarningList) {
        var seen = Set<String>()
        var warnings = WarningList()
        var inserted = 0, updated = 0
        let statement = try db.makeStatement(sql: """
            INSERT INTO grids (code, name, community_code, source, area_m2, geom)
            VALUES (?, ?, ?, ?, ?, GeomFromWKB(?, 4326))
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, community_code = excluded.community_code,
                source = excluded.source, area_m2 = excluded.area_m2, geom = excluded.geom
            """)
        for (index, feature) in features.enumerated() {
            let code = try context.digits("code", 15, index, feature)
            guard seen.insert(code).inserted else { throw context.fail(index, feature, "grid code \(code) appears twice in the file") }
            let community = context.string("community", feature) ?? String(code.prefix(12))
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM communities WHERE code = ?"), arguments: [community]) ?? false else {
                throw context.fail(index, feature, "property \"\(context.names["community"] ?? "community")\" (community): no community \(community) in the store; import communities first")
            }
            if !code.hasPrefix(community) {
                warnings.add("grid code outside its community's code", "feature \(index): grid \(code) does not start with its community code \(community)")
            }
            let area = try context.area(index, feature)
            let wkb = try checkValid(area, index, feature, context, db)
            let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM grids WHERE code = ?"), arguments: [code]) ?? false
            try context.row(index, feature) {
                try statement.execute(arguments: [code, context.string("name", feature) ?? code, community, context.source, area.areaSquareMeters, wkb])
            }
            if exists { updated += 1 } else { inserted += 1 }
        }
        // Imported codes are valid from now in the code register.
        try GridCodes.recordUnregistered(db, since: ISO8601DateFormatter().string(from: Date()))
        return ([("features", features.count), ("grids inserted", inserted), ("grids updated", updated)], warnings)
    }

    static func importBuildings(_ features: [Feature], _ context: Context, _ db: Database) throws -> ([(name: String, value: Int)], WarningList) {
        var seen = Set<String>()
        var warnings = WarningList()
        var householdsTotal = 0, estimated = 0
        let statement = try db.makeStatement(sql: """
            INSERT INTO buildings (source, source_id, building_type, name, levels, levels_estimated, households,
                                   households_source, households_basis, area_m2, footprint, point)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, GeomFromWKB(?, 4326), MakePoint(?, ?, 4326))
            ON CONFLICT (source, source_id) DO UPDATE SET building_type = excluded.building_type, name = excluded.name,
                levels = excluded.levels, levels_estimated = excluded.levels_estimated, households = excluded.households,
                households_source = excluded.households_source, households_basis = excluded.households_basis,
                area_m2 = excluded.area_m2,
                footprint = excluded.footprint, point = excluded.point
            """)
        for (index, feature) in features.enumerated() {
            let id = context.sourceID(index, feature)
            guard seen.insert(id).inserted else { throw context.fail(index, feature, "building id \(id) appears twice in the file") }
            let area = try context.area(index, feature)
            let wkb = try checkValid(area, index, feature, context, db)
            let type = context.string("type", feature) ?? "yes"
            let footprint = area.areaSquareMeters
            var levels: Double
            var levelsEstimated = false
            if let given = try context.number("levels", index, feature, maximum: Int(context.rules.maximumLevels.rounded(.down))), given > 0 {
                levels = given
            } else {
                (levels, levelsEstimated) = context.rules.levels(buildingType: type, tags: OSMTags())
            }
            let households: Int
            let householdSource: String
            var basis: String?
            if let given = try context.count("households", index, feature, maximum: ImportRules.maximumHouseholds) {
                households = given
                householdSource = "imported"
            } else {
                let estimate = context.rules.estimate(
                    buildingType: type, name: context.string("name", feature), footprintSquareMeters: footprint, levels: levels, area: nil)
                households = estimate.households
                basis = estimate.basis.rawValue
                householdSource = "estimated"
                estimated += 1
            }
            // At most maximumHouseholds per building: the total cannot overflow.
            householdsTotal += households
            let point = area.representativePoint
            try context.row(index, feature) {
                try statement.execute(arguments: [
                    context.source, id, type, context.string("name", feature), levels, levelsEstimated, households,
                    householdSource, basis, footprint, wkb, point.longitude, point.latitude,
                ])
            }
        }
        // Buildings updated in place keep their register rows, and with them the register's households.
        let register = try RegisterRows.reconcile(db, source: context.source, warnings: &warnings)
        return ([("features", features.count), ("buildings", features.count), ("households", householdsTotal),
                 ("households estimated for buildings", estimated), ("buildings with register households", register.registerBuildings)],
                warnings)
    }

    static func importFacilities(_ features: [Feature], _ context: Context, _ db: Database) throws -> ([(name: String, value: Int)], WarningList) {
        var seen = Set<String>()
        var warnings = WarningList()
        let known = Set(context.rules.categories)
        let statement = try db.makeStatement(sql: """
            INSERT INTO facilities (category, name, source, source_id, capacity, geom)
            VALUES (?, ?, ?, ?, ?, MakePoint(?, ?, 4326))
            ON CONFLICT (source, source_id, category) DO UPDATE SET name = excluded.name, capacity = excluded.capacity,
                geom = excluded.geom
            """)
        var perCategory: [String: Int] = [:]
        for (index, feature) in features.enumerated() {
            let id = context.sourceID(index, feature)
            let category = try context.requiredString("category", index, feature)
            guard seen.insert(id + "\u{0}" + category).inserted else {
                throw context.fail(index, feature, "facility id \(id) with category \(category) appears twice in the file")
            }
            if !known.contains(category) {
                warnings.add("unknown category", "feature \(index): category \"\(category)\" is not one of \(known.sorted().joined(separator: ", "))")
            }
            let location: Coordinate
            switch feature.geometry {
            case .point(let point)?: location = point
            case let geometry? where geometry.asMultiPolygon != nil:
                guard let area = geometry.asMultiPolygon else { continue }
                _ = try checkValid(area, index, feature, context, db)
                location = area.representativePoint
            case let geometry?: throw context.fail(index, feature, "geometry is \(geometry.typeName); expected Point, Polygon or MultiPolygon")
            case nil: throw context.fail(index, feature, "geometry is null; expected Point")
            }
            let capacity = try context.count("capacity", index, feature, maximum: Self.maximumCapacity)
            try context.row(index, feature) {
                try statement.execute(arguments: [category, context.string("name", feature), context.source, id, capacity, location.longitude, location.latitude])
            }
            perCategory[category, default: 0] += 1
        }
        return ([("features", features.count)] + perCategory.sorted { $0.key < $1.key }.map { ("facilities: \($0.key)", $0.value) }, warnings)
    }
}
