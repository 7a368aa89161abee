import Foundation
import GRDB
import GridAnalysis
import GridModel

/// `import geojson|shapefile|gpkg PATH --layer LAYER`: a planner's layer in any of the three formats and any
/// coordinate system PROJ knows (or GCJ-02 / BD-09), converted to WGS84 and checked against the store's
/// buildings before it is stored, in one transaction.
public enum LayerImporter {
    public enum Format: String, CaseIterable, Sendable {
        case geojson, shapefile, gpkg
    }

    public struct Options: Sendable {
        /// The file's coordinate system; nil: the file's own declaration (`crs` member, `.prj`, gpkg spatial
        /// reference), else WGS84.
        public var crs: CoordinateSystem?
        /// The DBF charset of a Shapefile; nil: the `.cpg`, the DBF's language driver, or detected.
        public var encoding: String?
        /// Store field → property (column) name; nil: the defaults.
        public var mapping: [String: String]?
        /// The GeoPackage table; nil: the one named like the layer, or the only one.
        public var table: String?
        /// Keep a layer that another reading (GCJ-02, BD-09 shifted back) would place on clearly more buildings.
        public var acceptMisaligned = false
        public var rules: ImportRules = .default

        public init(crs: CoordinateSystem? = nil, encoding: String? = nil, mapping: [String: String]? = nil, table: String? = nil,
                    acceptMisaligned: Bool = false, rules: ImportRules = .default) {
            self.crs = crs
            self.encoding = encoding
            self.mapping = mapping
            self.table = table
            self.acceptMisaligned = acceptMisaligned
            self.rules = rules
        }
    }

    public static func run(
        store: Store, path: String, format: Format, layer: GeoJSONImporter.Layer, options: Options = Options()
    ) throws -> ImportSummary {
        let started = Date()
        let names = options.mapping ?? GeoJSONImporter.defaultPropertyNames(for: layer)
        let command = RerunCommand(store: store.path, format: format, path: path, layer: layer, options: options, names: names)
        let storeCentre = try MisplacedLayer.dataCentre(store)
        let context = LayerReadContext(
            path: path, explicitSystem: options.crs, encoding: options.encoding, table: options.table, layerName: layer.rawValue,
            projectedPositions: { position, index, middle in
                MisplacedLayer.projectedError(path: path, featureIndex: index, position: position, middle: middle, near: storeCentre, command: command)
            })
        let reading: LayerReading
        switch format {
        case .geojson:
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StoreError.badInput("\(path): file not found or not readable")
            }
            reading = try GeoJSONLayerReader.read(data, context)
        case .shapefile: reading = try ShapefileLayerReader.read(context)
        case .gpkg: reading = try GeoPackageLayerReader.read(context)
        }
        var features = reading.features
        if format == .shapefile {
            // DBF field names are case-insensitive (and Spatialite's reader lower-cases them): match --map's names so.
            for index in features.indices {
                for property in Set(names.values) where features[index].properties[property] == nil {
                    if let key = features[index].properties.keys.first(where: { $0.lowercased() == property.lowercased() }) {
                        features[index].properties[property] = features[index].properties[key]
                    }
                }
            }
        }
        let source = format.rawValue + ":" + URL(fileURLWithPath: path).lastPathComponent
        let layerContext = GeoJSONImporter.Context(path: path, names: names, source: source, rules: options.rules)
        let accept = options.acceptMisaligned
        let system = reading.system
        let systemNote = "\(reading.system) (\(reading.systemSource))"
        let notes = reading.warnings
        let read = features
        do {
        return try store.write { db in
            let features = read
            var misalignment: String?
            if layer == .communities || layer == .grids {
                let areas = features.compactMap { $0.geometry?.asMultiPolygon }
                if let misaligned = try MisplacedLayer.checkAlignment(areas: areas, read: system, db: db, path: path, command: command) {
                    guard accept else { throw StoreError.badInput(misaligned) }
                    misalignment = misaligned
                }
            }
            let outcome: (counts: [(name: String, value: Int)], warnings: WarningList)
            // Every feature inserts a row or updates the one with its key: the rows not added were updated in place.
            let rowsBefore = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(layer.rawValue)") ?? 0
            switch layer {
            case .communities: outcome = try GeoJSONImporter.importCommunities(features, layerContext, db)
            case .grids: outcome = try GeoJSONImporter.importGrids(features, layerContext, db)
            case .buildings: outcome = try GeoJSONImporter.importBuildings(features, layerContext, db)
            case .facilities: outcome = try GeoJSONImporter.importFacilities(features, layerContext, db)
            }
            var warnings = outcome.warnings
            for note in notes { warnings.add(note.kind, note.message) }
            if let misalignment { warnings.add("layer misaligned with the store's buildings (kept: --accept-misaligned)", misalignment) }
            var summary = ImportSummary(
                file: path, format: format.rawValue, layer: layer.rawValue, counts: outcome.counts,
                warnings: warnings, seconds: Date().timeIntervalSince(started))
            summary.coordinateSystem = systemNote
            let rowsAfter = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(layer.rawValue)") ?? 0
            let updated = features.count - (rowsAfter - rowsBefore)
            if updated > 0 { summary.changes.append(.init(layer.rawValue, "replaced (same key)", updated)) }
            if layer == .buildings { summary.households = try HouseholdSources.read(db, source: source) }
            try summary.log(in: db, startedAt: started)
            return summary
        }
        } catch let error as DatabaseError {
            throw ImportFailure.storeFailed(error, file: path)
        }
    }
}

/// The command a user re-runs with `--crs` named, as they would type it.
struct RerunCommand: Sendable {
    var store: String
    var format: LayerImporter.Format
    var path: String
    var layer: GeoJSONImporter.Layer
    var extra: [String]

    init(store: String, format: LayerImporter.Format, path: String, layer: GeoJSONImporter.Layer,
         options: LayerImporter.Options, names: [String: String]) {
        self.store = store
        self.format = format
        self.path = path
        self.layer = layer
        var extra: [String] = []
        let defaults = GeoJSONImporter.defaultPropertyNames(for: layer)
        let changed = names.filter { defaults[$0.key] != $0.value }.sorted { $0.key < $1.key }
        if !changed.isEmpty { extra += ["--map", changed.map { "\($0.key)=\($0.value)" }.joined(separator: ",")] }
        if let encoding = options.encoding { extra += ["--encoding", encoding] }
        if let table = options.table { extra += ["--table", table] }
        self.extra = extra
    }

    func with(_ system: CoordinateSystem) -> String {
        (["communitygrid", "--db", store, "import", format.rawValue, path, "--layer", layer.rawValue] + extra + ["--crs", system.description])
            .map(Self.shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./:=,@+".unicodeScalars.contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
