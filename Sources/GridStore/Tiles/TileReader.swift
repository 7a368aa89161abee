import Foundation
import GRDB
import GRDBSQLite
import GridModel
import GridTiles
import Synchronization

/// Reads one tile's features from the store and encodes them as a Mapbox Vector Tile.
///
/// Candidates come from the layer's R-tree (the tile's box with its buffer, in WGS84; for GCJ-02 tiles the WGS84
/// box that holds the tile's GCJ-02 box). Features whose box spans less than a pixel in both directions are left
/// out in the same query, so a low-zoom tile over a city does not read every building's outline.
enum TileReader {
    typealias Coverage = LatestCoverageRun

    /// `LatestCoverageRun.read` through statements kept with the connection, its profile's levels worked out once per
    /// profile text rather than decoded for every tile.
    static func latestCoverage(_ db: Database) throws -> Coverage? {
        guard let run = try LatestCoverageRun.runID(db) else { return nil }
        let profile = try String.fetchOne(db.cachedStatement(sql: "SELECT profile FROM coverage_runs WHERE id = ?"), arguments: [run])
        if let profile, let known = allLevelsByProfile.withLock({ $0[profile] }) { return Coverage(run: run, allLevels: known) }
        let allLevels = try LatestCoverageRun.allLevels(run: run, db)
        if let profile { allLevelsByProfile.withLock { $0 = [profile: allLevels] } }
        return Coverage(run: run, allLevels: allLevels)
    }

    /// The last profile text seen and its `allLevels`.
    private static let allLevelsByProfile = Mutex([String: String]())

    /// The columns a layer's rows select after the id and the geometry, one per property, and the values of the
    /// properties that depend only on the run (evaluated once by their own expression; the row selects `cb.run_id` in
    /// their place, so they are present exactly when the building has a row of the run).
    static func propertyColumns(_ source: TileLayerSource, coverage: Coverage?, _ db: Database) throws -> (sql: String, perRun: [Int: DatabaseValue]) {
        var sql = ""
        var perRun: [Int: DatabaseValue] = [:]
        for (offset, property) in source.properties.enumerated() {
            if source.joinsCoverage, Self.perRunProperties.contains(property.name) {
                sql += ", cb.run_id"
                perRun[offset] = try DatabaseValue.fetchOne(db.cachedStatement(sql: "SELECT \(property.expression) FROM (SELECT ? AS run_id) cb"),
                                                            arguments: [coverage?.run ?? -1]) ?? .null
            } else {
                sql += ", \(property.expression)"
            }
        }
        return (sql, perRun)
    }

    /// The joins of the latest coverage run and the current places, with their argument.
    static func coverageJoins(_ source: TileLayerSource, coverage: Coverage?) -> (sql: String, arguments: [any DatabaseValueConvertible & Sendable]) {
        guard source.joinsCoverage else { return ("", []) }
        return (" LEFT JOIN coverage_buildings cb ON cb.run_id = ? AND cb.building_id = t.id"
                + " LEFT JOIN building_places bp ON bp.building_id = t.id AND \(BuildingPlaces.isCurrentSQL)", [coverage?.run ?? -1])
    }

    /// The box in WGS84 whose R-tree entries a tile's query reads: the tile's buffered box, for GCJ-02 the WGS84 box
    /// that holds it.
    static func queryBox(_ tile: TileAddress, datum: TileDatum, options: TileGeometry.Options) -> BoundingBox {
        datum.system.wgs84Envelope(of: TileGeometry(tile: tile, options: options).bufferedBounds)
    }

    /// Whether `block` can draw this tile of `source`: from `generalisedBelowZoom` on, where a tile's query is the
    /// R-tree box and the pixel test alone (no classes, no ways).
    static func drawsFromBlock(_ source: TileLayerSource, _ tile: TileAddress) -> Bool {
        tile.z >= TileLayerSource.generalisedBelowZoom && source.lowZoomClasses?.classes(z: tile.z) == nil
    }

    /// What a layer's tiles read alike within one transaction: the latest coverage run and the property columns.
    struct LayerQuery {
        var coverage: Coverage?
        var columns: String
        var perRun: [Int: DatabaseValue]

        init(_ source: TileLayerSource, _ db: Database) throws {
            coverage = source.joinsCoverage ? try TileReader.latestCoverage(db) : nil
            (columns, perRun) = try TileReader.propertyColumns(source, coverage: coverage, db)
        }
    }

    /// `query`: the layer's `LayerQuery` in this transaction, read here when not given. `readsInPlace`: the rows are
    /// read with SQLite's column accessors and the geometries from their stored blobs (`StoredGeometry`); false reads
    /// them as `Row`s with `AsBinary`, the reference the tests compare the tiles with.
    static func layer(_ source: TileLayerSource, _ tile: TileAddress, datum: TileDatum, options: TileGeometry.Options,
                      cells: BuildingCellIndex? = nil, areaFigures: CoverageAreaFigures? = nil, block: TileFeatureBlock? = nil,
                      query: LayerQuery? = nil, readsInPlace: Bool = true, _ db: Database) throws -> VectorTileLayer {
        let geometry = TileGeometry(tile: tile, options: options)
        // Below its first zoom the layer has nothing to draw.
        guard tile.z >= source.drawnFromZoom else { return VectorTileLayer(name: source.name, extent: options.extent) }
        let box = queryBox(tile, datum: datum, options: options)
        let prepared = try query ?? LayerQuery(source, db)
        let coverage = prepared.coverage, columns = prepared.columns, perRun = prepared.perRun
        let generalised = tile.z < TileLayerSource.generalisedBelowZoom
        // Below `classJoinedBelowZoom` the lines join by class, else (below `generalisedBelowZoom`) by way.
        let joinsByClass = generalised && source.classJoinedBelowZoom.map { tile.z < $0 } == true
        let wayColumn = generalised
            ? (joinsByClass ? source.classProperty : source.lowZoomWayProperty).flatMap { name in source.properties.firstIndex { $0.name == name } } : nil
        let inPlace = readsInPlace && wayColumn == nil
        var sql = "SELECT t.id, " + (inPlace ? "t.\(source.geometryColumn)" : "AsBinary(t.\(source.geometryColumn))") + columns
            + (source.mergesSmallBuildings && source.joinsCoverage && tile.z < TileLayerSource.requirementSumsBelowZoom ? ", cb.requirements_met" : "")
            + " FROM \(source.table) t"
        let joins = coverageJoins(source, coverage: coverage)
        sql += joins.sql
        var arguments = joins.arguments
        sql += " WHERE t.id IN (SELECT pkid FROM \"\(source.spatialIndex)\" WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?"
        arguments += [box.maxLongitude, box.minLongitude, box.maxLatitude, box.minLatitude]
        let span = geometry.minimumFeatureSpanDegrees
        // Low zooms generalise: outlines need a box of `lowZoomMinimumPixels` (below zoom 10 a cell's), a building
        // drawn on its own one of a cell (the others are merged into their cells).
        let pixels = Double(source.minimumPixels(z: tile.z))
        let minimumSpan = (longitude: span.longitude * pixels, latitude: span.latitude * pixels)
        if !source.isPointLayer {
            sql += " AND (xmax - xmin >= ? OR ymax - ymin >= ?)"
            arguments += [minimumSpan.longitude, minimumSpan.latitude]
        }
        sql += ")"
        if let rule = source.lowZoomClasses, let classes = rule.classes(z: tile.z) {
            sql += " AND \(rule.expression) IN (\(classes.map { _ in "?" }.joined(separator: ", ")))"
            arguments += classes
        }
        sql += " ORDER BY t.id"

        // The buildings whose point lies in this tile: those under the pixel test are summed into cells right away, the
        // others only if the tile cannot draw them (see below).
        let tileCells = TileCells(tile: tile, extent: options.extent)
        let levelNames = coverage.map { $0.allLevels.split(separator: ",").map(String.init) } ?? []
        // The run's requirements, when the index holds them for this run, below `requirementSumsBelowZoom`.
        let requirementThemes = source.mergesSmallBuildings && coverage != nil && tile.z < TileLayerSource.requirementSumsBelowZoom
            && cells?.key.coverageRun == coverage?.run ? cells?.requirementThemes ?? [] : []
        var sums = BuildingCellSums(cells: source.mergesSmallBuildings && cells != nil ? tileCells.cellsAcross * tileCells.cellsAcross : 0,
                                    levels: levelNames.count, requirements: requirementThemes.count)
        // For each distinct `levels_met` of the run, the bits of the profile's levels it holds.
        let levelMasks: [UInt64] = (cells?.levelSets ?? []).map { met in
            levelNames.enumerated().reduce(UInt64(0)) { mask, level in met.contains(level.element) ? mask | (1 << UInt64(level.offset)) : mask }
        }
        let allLevelsMask: UInt64 = levelNames.isEmpty ? 0 : (1 << UInt64(levelNames.count)) - 1
        var drawnOnTheirOwn: [Int64: Int] = [:]
        func merge(_ position: Int, _ cells: BuildingCellIndex) {
            guard let cell = tileCells.cell(worldX: cells.worldX[position], worldY: cells.worldY[position]) else { return }
            let levels = cells.levels[position]
            let requirements = requirementThemes.isEmpty ? -1 : cells.requirements[position]
            sums.add(cell: cell, households: cells.households[position], area: cells.area[position],
                     levels: levels >= 0 ? levelMasks[Int(levels)] : 0, all: allLevelsMask,
                     requirements: requirements >= 0 ? cells.requirementSets[Int(requirements)] : [])
        }
        let merging = source.mergesSmallBuildings ? cells : nil
        // Below `requirementSumsBelowZoom` a building drawn on its own stands for a cell of one: it carries the households
        // meeting each requirement as a cell does (all of them or none), read from the run's verdicts in its row, in
        // every tile it is drawn in; its `coverage_levels_met` tells the levels.
        let ownRequirements = generalised && merging != nil && !requirementThemes.isEmpty
        let requirementsColumn = Int32(source.properties.count + 2)
        let householdsOffset = source.properties.firstIndex { $0.name == "households" }
        // Per distinct `requirements_met` of the run, whether it meets each requirement.
        let requirementFlags: [[Bool]] = ownRequirements ? (merging?.requirementSets ?? []).map { met in
            var flags = [Bool](repeating: false, count: requirementThemes.count)
            for requirement in met { flags[requirement] = true }
            return flags
        } : []
        /// The requirement figures of a building drawn on its own, nil without a verdict of the run.
        func ownRequirementFigures(_ verdicts: String?, households: Int64) -> [(String, VectorTileLayer.Value)]? {
            guard ownRequirements, let verdicts, let set = merging?.requirementSetIndex[verdicts] else { return nil }
            return requirementThemes.indices.map { (requirementThemes[$0].cellProperty, .integer(requirementFlags[Int(set)][$0] ? households : 0)) }
        }
        if let merging {
            for position in merging.range(tile) {
                // The query's own test, on the same R-tree values.
                if merging.spanX[position] >= minimumSpan.longitude || merging.spanY[position] >= minimumSpan.latitude {
                    drawnOnTheirOwn[merging.ids[position]] = position
                } else {
                    merge(position, merging)
                }
            }
        }

        let thinning = source.thinningBelowZoom.map { tile.z < $0 } == true
            ? source.properties.firstIndex { $0.name == source.thinningProperty } : nil
        let thinningUnits = generalised ? 8 * TileLayerSource.lowZoomThinningPixels : tileCells.cellUnits
        var taken = Set<ThinningKey>()
        let areaCode = areaFigures != nil && source.coverageAreas != nil ? source.properties.firstIndex { $0.name == "code" } : nil
        // Below `generalisedBelowZoom`, with `lowZoomSharesOnly`, the households meeting each theme are left out.
        let omittedFigures = generalised && source.lowZoomSharesOnly ? Set(areaFigures?.themes.map(\.householdsProperty) ?? []) : []
        let omitted = Set(source.properties.indices.filter { offset in
            let name = source.properties[offset].name
            return (generalised && source.lowZoomOmittedProperties.contains(name)) || source.propertiesFromZoom[name].map { tile.z < $0 } == true
        })

        var layer = VectorTileLayer(name: source.name, extent: options.extent)
        var properties: [(String, VectorTileLayer.Value)] = []
        func draw(id: Int64, _ feature: Geometry, requirementsMet: String? = nil, _ column: (Int) -> DatabaseValue) {
            guard let shape = geometry.shape(feature) else {
                if let merging, let position = drawnOnTheirOwn[id] { merge(position, merging) }
                return
            }
            if let thinning, case .points(let points) = shape, let first = points.first {
                let key = ThinningKey(value: column(thinning), column: Self.floorDivide(first.x, thinningUnits), row: Self.floorDivide(first.y, thinningUnits))
                guard taken.insert(key).inserted else { return }
            }
            properties.removeAll(keepingCapacity: true)
            for (offset, property) in source.properties.enumerated() where !omitted.contains(offset) {
                var value = column(offset)
                if let once = perRun[offset], !value.isNull { value = once }
                if let value = Self.value(value, property.type, coverage: coverage) {
                    properties.append((property.name, value))
                }
            }
            if let areaFigures, let areaCode, let code = String.fromDatabaseValue(column(areaCode)),
               let area = source.coverageAreas == .grids ? areaFigures.grid(code) : areaFigures.community(code) {
                properties.append(contentsOf: omittedFigures.isEmpty ? areaFigures.tileProperties(area)
                                  : areaFigures.tileProperties(area).filter { !omittedFigures.contains($0.0) })
            }
            if let figures = ownRequirementFigures(requirementsMet, households: householdsOffset.flatMap { Int64.fromDatabaseValue(column($0)) } ?? 0) {
                properties.append(contentsOf: figures)
            }
            layer.add(id: UInt64(exactly: id), properties: properties, geometry: shape)
        }
        if let block, Self.drawsFromBlock(source, tile) {
            // The query's tests on the R-tree's own values, over the block's features in id order.
            for feature in block.features {
                guard feature.xmin <= box.maxLongitude, feature.xmax >= box.minLongitude,
                      feature.ymin <= box.maxLatitude, feature.ymax >= box.minLatitude else { continue }
                if !source.isPointLayer {
                    guard feature.xmax - feature.xmin >= minimumSpan.longitude || feature.ymax - feature.ymin >= minimumSpan.latitude else { continue }
                }
                // A geometry the store cannot decode fails the tile that draws it, as the tile's query does.
                guard let decoded = feature.geometry else { continue }
                draw(id: feature.id, try decoded.get()) { feature.values[$0] }
            }
        } else if inPlace {
            let statement = try db.cachedStatement(sql: sql)
            try statement.setArguments(StatementArguments(arguments))
            let handle = statement.sqliteStatement
            defer { sqlite3_reset(handle) }
            var values = [DatabaseValue](repeating: .null, count: source.properties.count)
            // Without thinning or area figures a feature's properties are its columns (but those left out at this zoom)
            // alone: they are tabled as read.
            let tagsAsRead = thinning == nil && areaCode == nil
            let drawnColumns = source.properties.indices.map { !omitted.contains($0) }
            let names = source.properties.map(\.name), types = source.properties.map(\.type)
            var perRunValues = [DatabaseValue?](repeating: nil, count: names.count)
            for (offset, value) in perRun { perRunValues[offset] = value }
            let hintKey = ValueCountKey(layer: source.name, z: tile.z)
            if let hint = sizeHints.withLock({ $0[hintKey] }) {
                layer.reserveValues(hint.values)
                layer.reserveFeatureBytes(hint.featureBytes + hint.featureBytes / 4)
            }
            defer {
                if tagsAsRead {
                    let hint = SizeHint(values: layer.valueCount, featureBytes: layer.featureBytes)
                    sizeHints.withLock { $0[hintKey] = hint }
                }
            }
            while true {
                let code = sqlite3_step(handle)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
                }
                guard sqlite3_column_type(handle, 1) != SQLITE_NULL else { continue }
                let id = sqlite3_column_int64(handle, 0)
                let blob = sqlite3_column_blob(handle, 1)
                let raw = UnsafeRawBufferPointer(start: blob, count: blob == nil ? 0 : Int(sqlite3_column_bytes(handle, 1)))
                var feature: Geometry
                if let stored = StoredGeometry.geometry(raw) {
                    feature = stored
                } else {
                    // Not a plain blob: read as Spatialite reads it, with the reference path's outcome.
                    let bytes = Data(raw)
                    guard let wkb = try Data.fetchOne(db.cachedStatement(sql: "SELECT AsBinary(?)"), arguments: [bytes]) else { continue }
                    feature = try Geometry(wkb: [UInt8](wkb))
                }
                if datum != .wgs84 { feature = datum.system.fromWGS84(feature) }
                guard tagsAsRead else {
                    for offset in values.indices { values[offset] = DatabaseValue(sqliteStatement: handle, index: Int32(offset + 2)) }
                    draw(id: id, feature, requirementsMet: ownRequirements ? String.fromDatabaseValue(DatabaseValue(sqliteStatement: handle, index: requirementsColumn)) : nil) { values[$0] }
                    continue
                }
                // What `draw` does, with each column's value tabled straight from SQLite's accessors.
                guard let shape = geometry.shape(feature) else {
                    if let merging, let position = drawnOnTheirOwn[id] { merge(position, merging) }
                    continue
                }
                guard layer.begin(shape) else { continue }
                for offset in 0..<names.count where drawnColumns[offset] {
                    let index = Int32(offset + 2)
                    let type = sqlite3_column_type(handle, index)
                    if type == SQLITE_NULL { continue }
                    if let once = perRunValues[offset] {
                        if let value = Self.value(once, types[offset], coverage: coverage) { layer.tag(names[offset], value) }
                        continue
                    }
                    switch type {
                    case SQLITE_INTEGER:
                        let number = sqlite3_column_int64(handle, index)
                        switch types[offset] {
                        case .boolean: layer.tag(names[offset], .bool(number != 0))
                        case .number: layer.tag(names[offset], .double(Double(number)))
                        default: layer.tag(names[offset], .integer(number))
                        }
                    case SQLITE_FLOAT:
                        layer.tag(names[offset], .double(sqlite3_column_double(handle, index)))
                    case SQLITE_TEXT:
                        guard let text = sqlite3_column_text(handle, index) else {
                            throw DatabaseError(resultCode: .SQLITE_NOMEM, message: "no memory for a text column", sql: sql)
                        }
                        if types[offset] == .boolean {
                            layer.tag(names[offset], .bool(String(cString: text) == coverage?.allLevels))
                        } else {
                            layer.tag(names[offset], text: UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, index))), cString: text)
                        }
                    default:
                        continue  // a BLOB, which a vector tile leaves out
                    }
                }
                if ownRequirements {
                    let verdicts = sqlite3_column_text(handle, requirementsColumn).map { String(cString: $0) }
                    let households = householdsOffset.map { sqlite3_column_int64(handle, Int32($0 + 2)) } ?? 0
                    for (name, value) in ownRequirementFigures(verdicts, households: households) ?? [] { layer.tag(name, value) }
                }
                layer.finish(id: UInt64(exactly: id))
            }
        } else {
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
            if let wayColumn {
                try ways(rows, source, wayColumn: wayColumn, joinsByClass: joinsByClass, geometry: geometry, datum: datum, coverage: coverage, into: &layer)
                return layer
            }
            while let row = try rows.next() {
                let id: Int64 = row[0]
                guard let wkb = row[1] as Data? else { continue }
                var feature = try Geometry(wkb: [UInt8](wkb))
                if datum != .wgs84 { feature = datum.system.fromWGS84(feature) }
                draw(id: id, feature, requirementsMet: ownRequirements ? row[Int(requirementsColumn)] as String? : nil) { row[$0 + 2] as DatabaseValue }
            }
        }
        for cell in 0..<sums.buildings.count where sums.buildings[cell] > 0 {
            properties.removeAll(keepingCapacity: true)
            properties.append(("buildings", .integer(Int64(sums.buildings[cell]))))
            properties.append(("households", .integer(sums.households[cell])))
            properties.append(("area_m2", .double((sums.area[cell] * 10).rounded() / 10)))
            if let coverage {
                properties.append(("coverage_run", .integer(coverage.run)))
                properties.append(("households_coverage_met", .integer(sums.householdsMeetingAll[cell])))
                for (offset, level) in levelNames.enumerated() {
                    properties.append(("households_met_\(level)", .integer(sums.householdsMeeting[cell * levelNames.count + offset])))
                }
                for (offset, theme) in requirementThemes.enumerated() {
                    properties.append((theme.cellProperty, .integer(sums.householdsMeetingRequirement[cell * requirementThemes.count + offset])))
                }
            }
            layer.add(id: nil, properties: properties, geometry: tileCells.square(cell))
        }
        return layer
    }

    /// Each layer's count of distinct values and bytes of features in the tile of the zoom drawn last: the room a
    /// layer's value table and features are given at first (a quarter more for the features), so they seldom grow.
    private static let sizeHints = Mutex([ValueCountKey: SizeHint]())
    private struct SizeHint {
        var values: Int
        var featureBytes: Int
    }
    private struct ValueCountKey: Hashable {
        var layer: String
        var z: Int
    }

    /// The edges of a tile joined into their ways (`lowZoomWayProperty`), one feature each in order of the way's
    /// first edge id: a way's properties are its first edge's, but for the nodes (left out) and `waySummedProperty` (summed), with `edges` counting them. Edges are chained in id order
    /// where one ends at the next one's end or start, then clipped and simplified to the pixel as one line each.
    /// Edges without a way stay features of their own. `joinsByClass`: `wayColumn` is the class (`classProperty`),
    /// and a feature carries only it, the sum and `edges`.
    static func ways(_ rows: RowCursor, _ source: TileLayerSource, wayColumn: Int, joinsByClass: Bool = false, geometry: TileGeometry, datum: TileDatum,
                     coverage: Coverage?, into layer: inout VectorTileLayer) throws {
        struct Way { var row: [DatabaseValue]; var lines: [[Coordinate]]; var sum: Double; var edges: Int64 }
        var ways: [Way] = []
        var wayIndex: [DatabaseValue: Int] = [:]
        let summed = source.waySummedProperty.flatMap { name in source.properties.firstIndex { $0.name == name } }
        while let row = try rows.next() {
            guard let wkb = row[1] as Data? else { continue }
            let coordinates: [Coordinate]
            switch try Geometry(wkb: [UInt8](wkb)) {
            case .lineString(let line): coordinates = line.coordinates
            default: continue
            }
            var line = datum == .wgs84 ? coordinates : coordinates.map { datum.system.fromWGS84($0) }
            let values = (0..<source.properties.count).map { row[$0 + 2] as DatabaseValue }
            let length = summed.flatMap { Double.fromDatabaseValue(values[$0]) } ?? 0
            let way: DatabaseValue? = joinsByClass ? values[wayColumn] : Int64.fromDatabaseValue(values[wayColumn]).map { $0.databaseValue }
            guard let way, let index = wayIndex[way] else {
                if let way { wayIndex[way] = ways.count }
                ways.append(Way(row: values, lines: [line], sum: length, edges: 1))
                continue
            }
            ways[index].sum += length
            ways[index].edges += 1
            let last = ways[index].lines[ways[index].lines.count - 1]
            if last.last == line.first {
                ways[index].lines[ways[index].lines.count - 1].append(contentsOf: line.dropFirst())
            } else if last.last == line.last {
                line.reverse()
                ways[index].lines[ways[index].lines.count - 1].append(contentsOf: line.dropFirst())
            } else {
                ways[index].lines.append(line)
            }
        }
        var properties: [(String, VectorTileLayer.Value)] = []
        for way in ways {
            let lines = way.lines.compactMap { try? LineString($0) }
            guard !lines.isEmpty, let shape = geometry.shape(.multiLineString(lines)) else { continue }
            properties.removeAll(keepingCapacity: true)
            for (offset, property) in source.properties.enumerated() {
                if offset == summed {
                    properties.append((property.name, .double((way.sum * 100).rounded() / 100)))
                } else if !Self.edgeProperties.contains(property.name), !joinsByClass || offset == wayColumn,
                          let value = value(way.row[offset], property.type, coverage: coverage) {
                    properties.append((property.name, value))
                }
            }
            properties.append(("edges", .integer(way.edges)))
            layer.add(id: nil, properties: properties, geometry: shape)
        }
    }

    /// A network edge's own properties, which a way of several edges does not carry.
    static let edgeProperties: Set<String> = ["source_node", "target_node"]

    /// Properties whose expression reads nothing of the row but `cb.run_id` (the latest run, the same for every
    /// building of the tile).
    static let perRunProperties: Set<String> = ["coverage_stale"]

    private struct ThinningKey: Hashable {
        var value: DatabaseValue
        var column: Int
        var row: Int
    }

    static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// A column's value as the items endpoint gives it (`coverage_met` true when every level of the run's profile
    /// is met); nil for SQL NULL, which a vector tile leaves out.
    static func value(_ value: DatabaseValue, _ type: TileLayerSource.ValueType, coverage: Coverage?) -> VectorTileLayer.Value? {
        switch value.storage {
        case .null, .blob: return nil
        case .int64(let number):
            switch type {
            case .boolean: return .bool(number != 0)
            case .number: return .double(Double(number))
            default: return .integer(number)
            }
        case .double(let number):
            return number.isFinite ? .double(number) : nil
        case .string(let text):
            return type == .boolean ? .bool(text == coverage?.allLevels) : .string(text)
        }
    }

    /// The box of the layer's features (its R-tree's), nil when it is empty.
    static func extent(_ source: TileLayerSource, _ db: Database) throws -> BoundingBox? {
        guard let row = try Row.fetchOne(db, sql: "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM \"\(source.spatialIndex)\""),
              let minX = row[0] as Double?, let minY = row[1] as Double?, let maxX = row[2] as Double?, let maxY = row[3] as Double?
        else { return nil }
        return BoundingBox(minLongitude: minX, minLatitude: minY, maxLongitude: maxX, maxLatitude: maxY)
    }
}

/// A layer's features over a block of tiles, read in one query: every feature whose R-tree entry meets the block's
/// box, in id order, with that entry, its geometry in the tiles' datum and its property columns as a tile's query
/// selects them. `TileReader.layer` draws a tile of the block from it by the same tests on the same values as the
/// tile's own query, so the tile is the same byte for byte; the block spares re-reading and decoding a feature for
/// each tile and zoom it appears in.
final class TileFeatureBlock {
    struct Feature {
        var id: Int64
        var xmin: Double, xmax: Double, ymin: Double, ymax: Double
        /// Nil without a geometry.
        var geometry: Result<Geometry, any Error>?
        var values: [DatabaseValue]
    }

    let features: [Feature]

    /// The features of `source` whose R-tree entry meets `box` (WGS84): give the union of the tiles' `queryBox`es.
    init(_ source: TileLayerSource, box: BoundingBox, datum: TileDatum, query: TileReader.LayerQuery, _ db: Database) throws {
        let columns = query.columns
        let joins = TileReader.coverageJoins(source, coverage: query.coverage)
        let sql = "SELECT t.id, AsBinary(t.\(source.geometryColumn)), r.xmin, r.xmax, r.ymin, r.ymax" + columns
            + " FROM \"\(source.spatialIndex)\" r JOIN \(source.table) t ON t.id = r.pkid" + joins.sql
            + " WHERE r.xmin <= ? AND r.xmax >= ? AND r.ymin <= ? AND r.ymax >= ? ORDER BY t.id"
        let arguments = joins.arguments + [box.maxLongitude, box.minLongitude, box.maxLatitude, box.minLatitude]
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        let count = source.properties.count
        var features: [Feature] = []
        while let row = try rows.next() {
            guard let xmin = row[2] as Double?, let xmax = row[3] as Double?, let ymin = row[4] as Double?, let ymax = row[5] as Double? else { continue }
            var geometry: Result<Geometry, any Error>?
            if let wkb = row[1] as Data? {
                geometry = Result {
                    let feature = try Geometry(wkb: [UInt8](wkb))
                    return datum == .wgs84 ? feature : datum.system.fromWGS84(feature)
                }
            }
            features.append(Feature(id: row[0], xmin: xmin, xmax: xmax, ymin: ymin, ymax: ymax, geometry: geometry,
                                    values: (0..<count).map { row[$0 + 6] as DatabaseValue }))
        }
        self.features = features
    }
}
