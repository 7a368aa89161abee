import ArgumentParser
import Foundation
import GridCommandLine
import GridStore

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import OpenStreetMap, GeoJSON, Shapefile, GeoPackage or a CSV household register. Each import is one transaction.",
        subcommands: [ImportOSM.self, ImportGeoJSON.self, ImportShapefile.self, ImportGeoPackage.self, ImportHouseholds.self])
}

struct ImportOutput: ParsableArguments {
    @Flag(help: "Print the summary as JSON.")
    var json = false

    func show(_ summary: ImportSummary) throws {
        if json { try Console.printJSON(summary.json) } else { print(summary.text) }
    }
}
