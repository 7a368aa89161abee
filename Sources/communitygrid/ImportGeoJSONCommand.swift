import ArgumentParser
import Foundation
import GridCommandLine
import GridModel
import GridStore

extension GeoJSONImporter.Layer: ExpressibleByArgument {}

/// `--crs CODE`, shared by the layer imports, the household import and export.
struct CoordinateSystemOption: ParsableArguments {
    @Option(name: .customLong("crs"), help: ArgumentHelp(
        "The file's coordinate system: EPSG:NNNN (any code PROJ knows, e.g. EPSG:4490, EPSG:4527, EPSG:3857), gcj02 or bd09.",
        valueName: "CODE"))
    var code: String?

    func system() throws -> CoordinateSystem? {
        guard let code else { return nil }
        guard let system = CoordinateSystem(code: code) else {
            throw ValidationError("--crs: \"\(code)\" is not EPSG:NNNN, gcj02 or bd09")
        }
        return system
    }
}

/// The options every planner's-layer import takes, whatever the file format.
struct LayerImportOptions: ParsableArguments {
    @Option(help: "communities, grids, buildings or facilities.") var layer: GeoJSONImporter.Layer
    @OptionGroup var crs: CoordinateSystemOption
    @Option(name: .customLong("map"), help: ArgumentHelp("Property (column) names in the file: FIELD=PROPERTY,…", valueName: "MAPPING"))
    var mapping: String?
    @Flag(help: "Keep grids or communities that another reading (GCJ-02, BD-09) would place on clearly more of the store's buildings; the warning is kept in the import log.")
    var acceptMisaligned = false
    @Option(help: ArgumentHelp("Import rules as JSON, for household estimates.", valueName: "FILE")) var rules: String?

    func run(store options: StoreOptions, path: String, format: LayerImporter.Format, encoding: String? = nil, table: String? = nil,
             output: ImportOutput) throws {
        let store = try options.open()
        let names = try GeoJSONImporter.propertyMapping(mapping, layer: layer)
        let summary = try LayerImporter.run(
            store: store, path: path, format: format, layer: layer,
            options: LayerImporter.Options(
                crs: try crs.system(), encoding: encoding, mapping: names, table: table, acceptMisaligned: acceptMisaligned,
                rules: try Rules.load(rules)))
        try output.show(summary)
    }
}

struct ImportGeoJSON: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geojson",
        abstract: "Import a GeoJSON FeatureCollection into one layer.",
        discussion: """
            Positions are WGS84 unless --crs or the file's "crs" member names another system (converted with PROJ;
            gcj02 and bd09 by the product's own transforms). Default property names — communities: code
            (12 digits), name; grids: code (15 digits), name, community; buildings: households, levels, type,
            name; facilities: category, name, capacity. Communities and grids are matched by code (re-importing
            updates them); grids need their community in the store.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The GeoJSON file.") var path: String
    @OptionGroup var layer: LayerImportOptions
    @OptionGroup var output: ImportOutput

    func run() async throws {
        try layer.run(store: store, path: path, format: .geojson, output: output)
    }
}

struct ImportShapefile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shapefile",
        abstract: "Import an ESRI Shapefile (.shp with .shx, .dbf, optional .prj and .cpg) into one layer.",
        discussion: """
            The .prj names the coordinate system unless --crs does; without either positions are WGS84. The DBF
            charset comes from --encoding, else the .cpg, else the DBF's language driver, else UTF-8 when the
            attributes are valid UTF-8 and GB18030 (which holds GBK) when not. Field names and rules as for geojson.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The .shp file.") var path: String
    @OptionGroup var layer: LayerImportOptions
    @Option(help: ArgumentHelp("The DBF charset: UTF-8, GBK or GB18030 (also CP936, BIG5, CP1252).", valueName: "E")) var encoding: String?
    @OptionGroup var output: ImportOutput

    func run() async throws {
        try layer.run(store: store, path: path, format: .shapefile, encoding: encoding, output: output)
    }
}

struct ImportGeoPackage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpkg",
        abstract: "Import a GeoPackage feature table into one layer.",
        discussion: """
            The table is --table, else the one named like the layer, else the only feature table. Its spatial
            reference (gpkg_spatial_ref_sys) names the coordinate system unless --crs does.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The .gpkg file.") var path: String
    @OptionGroup var layer: LayerImportOptions
    @Option(help: ArgumentHelp("GeoPackages are UTF-8; only UTF-8 is accepted.", valueName: "E")) var encoding: String?
    @Option(help: "The feature table to read.") var table: String?
    @OptionGroup var output: ImportOutput

    func run() async throws {
        try layer.run(store: store, path: path, format: .gpkg, encoding: encoding, table: table, output: output)
    }
}
