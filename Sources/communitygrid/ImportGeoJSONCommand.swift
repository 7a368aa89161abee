import ArgumentParser
import Foundation
import GridStore

extension GeoJSONImporter.Layer: ExpressibleByArgument {}

struct ImportGeoJSON: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geojson",
        abstract: "Import a GeoJSON FeatureCollection (WGS84) into one layer.",
        discussion: """
            Default property names — communities: code (12 digits), name; grids: code (15 digits), name,
            community; buildings: households, levels, type, name; facilities: category, name, capacity.
            Communities and grids are matched by code (re-importing updates them); grids need their
            community in the store.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The GeoJSON file.") var path: String
    @Option(help: "communities, grids, buildings or facilities.") var layer: GeoJSONImporter.Layer
    @Option(name: .customLong("map"), help: ArgumentHelp("Property names in the file: FIELD=PROPERTY,…", valueName: "MAPPING"))
    var mapping: String?
    @Option(help: ArgumentHelp("Import rules as JSON, for household estimates.", valueName: "FILE")) var rules: String?
    @OptionGroup var output: ImportOutput

    func run() async throws {
        let store = try self.store.open()
        let names = try GeoJSONImporter.propertyMapping(mapping, layer: layer)
        let summary = try GeoJSONImporter.run(store: store, path: path, layer: layer, mapping: names, rules: try Rules.load(rules))
        try output.show(summary)
    }
}
